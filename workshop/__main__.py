"""Run the server: `python -m workshop --host 0.0.0.0 --port 5000`.

This is the only module that imports eventlet, and it patches the standard
library before anything else is imported.
"""

import os
import warnings

# The stack is chosen knowingly (see README): say it once there, not on every start.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

# One process resolves no names while it serves (its one lookup, this machine's own name for the LAN
# address, is done before it serves), so it goes without eventlet's green DNS and the dnspython it
# loads: a tenth of a second of every start. A cluster's workers (WORKSHOP_REDIS_URL) reach Redis
# and each other by name, and keep it, so that a slow lookup never holds up every connection.
if not os.environ.get("WORKSHOP_REDIS_URL"):
    os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402
import stat  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

import eventlet.wsgi  # noqa: E402

from .shell import links  # noqa: E402
from .shell.app import create_app  # noqa: E402

ENVIRONMENT_HELP = """
environment variables (each overrides the default, flags override them):
  WORKSHOP_INSTANCE           folder for the database and the server's keys (default: instance/)
  WORKSHOP_DB                 SQLite file (default: instance/workshop.db)
  WORKSHOP_AGENDAS            folder of agenda YAML files (default: agendas/)
  WORKSHOP_PUBLIC_URL         public base URL for join links and QR codes, e.g. behind a proxy
                              or a tunnel: https://workshop.example.org (default: this laptop's
                              LAN address, found at start)
  WORKSHOP_CORS_ORIGINS       comma-separated origins allowed to open sockets
                              (default: same origin only)
  WORKSHOP_PROXY_HOPS         how many reverse proxies to trust for X-Forwarded-* (default: 0)
  WORKSHOP_GRACE_SECONDS      how long a disconnected attendee keeps their place (default: 120)
  WORKSHOP_TIME_SCALE         multiply every agenda duration, e.g. 0.01 for tests (default: 1)
  WORKSHOP_MAX_ATTENDEES      attendee cap per room (default: 2000)
  WORKSHOP_FEEDBACK_THRESHOLD responses needed before feedback results show (default: 5, min 3)
  WORKSHOP_ORGANIZER_KEY      organizer secret for /organizer (default: generated once,
                              printed that once, and kept in instance/organizer.key);
                              changing it signs every organizer out
  WORKSHOP_ORGANIZER_IDLE_HOURS  an organizer sign-in unused this long ends (default: 12)
  WORKSHOP_REQUIRE_ORGANIZER_KEY  1: starting a workshop needs the organizer key (or an organizer
                              signed in at /organizer), on the home page and the API (default: 0)
  WORKSHOP_MAX_ROOMS          most open workshops at once; more are refused until one ends
                              (default: 1000)
  PORT                        port, when --port is not given (as on most hosts)
"""


def parse_args(argv=None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m workshop",
        description="Heart to Heart: run live workshops in pairs, with synchronized prompts and timers.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="0.0.0.0",
                        help="address to listen on (default: 0.0.0.0, every interface, so that phones "
                             "on the venue's network reach it; 127.0.0.1 keeps it to this laptop)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 5000)),
                        help="port to listen on (default: $PORT or 5000)")
    parser.add_argument("--db", help="SQLite database file (default: instance/workshop.db)")
    parser.add_argument("--agendas", help="folder of agenda files (default: agendas/)")
    parser.add_argument("--time-scale", type=float,
                        help="multiply every agenda duration (tests and demos use e.g. 0.02)")
    parser.add_argument("--grace", type=float, help="seconds a disconnected attendee keeps their place")
    parser.add_argument("--max-connections", type=int, default=10_000,
                        help="most simultaneous connections (default: 10000)")
    parser.add_argument("--require-organizer-key", action="store_true", default=None,
                        help="only someone with the organizer key may start a workshop "
                             "(default: anyone, a few per hour per address)")
    parser.add_argument("--unix-socket", metavar="PATH",
                        help="also serve on this Unix socket, for a proxy on the same machine "
                             "(docs/scaling.md: cheaper than TCP over loopback)")
    parser.add_argument("--idle-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="drop a connection that sends or takes nothing for this long (default: 60; "
                             "keep it over 30: a phone's heartbeat comes every 10 s and may be 20 s late)")
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request")
    return parser.parse_args(argv)


def calm_garbage_collector() -> None:
    """Keep the collector's full passes out of the way of a broadcast.

    A full collection walks every tracked object, and a room of hundreds of attendees, its
    groups and its agenda are many: measured with the benchmark, one pause of about 60 ms
    landed in the middle of a timer change and set its p95 at 3 to 4 times the bare
    broadcast's. What the server loaded at start (modules, agendas, the rooms it booted) is
    frozen out of the collector's sight, and collections run less often; reference counting
    still frees almost everything at once, so memory does not grow with it.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main(argv=None) -> None:
    """Start the server with eventlet's WSGI server."""
    args = parse_args(argv)
    # Libraries log at warning only: fontTools, for one, lists at info the glyphs each PDF
    # subsets, which tells which scripts the answers were written in.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("workshop").setLevel(logging.INFO)
    listener = listen(args.host, args.port)
    proxied = listen_unix(args.unix_socket) if args.unix_socket else None
    port = listener.getsockname()[1]
    lan = links.lan_url(args.host, port)
    overrides = {"ASYNC_MODE": "eventlet", "LAN_URL": lan, "LISTEN_HOST": args.host}
    for key, value in (("DB", args.db), ("AGENDAS", args.agendas), ("TIME_SCALE", args.time_scale),
                       ("GRACE_SECONDS", args.grace), ("REQUIRE_ORGANIZER_KEY", args.require_organizer_key)):
        if value is not None:
            overrides[key] = value
    app = create_app(overrides)
    calm_garbage_collector()
    local = links.local_url(args.host, port)
    base = links.choose_base(app.config.get("PUBLIC_URL"), local, lan)
    also = f" (on this laptop also {local}/)" if base != local else ""
    print(f"Heart to Heart is running on {base}/{also}", flush=True)
    print(f"  Start a workshop:  {base}/", flush=True)
    print(f"  Attendees join at: {base}/join", flush=True)
    print(f"  Organizer reports: {base}/organizer", flush=True)
    print(f"  Organizer key:     {organizer_key_note(app.config)}", flush=True)
    print(f"  Database:          {app.config['DB']}", flush=True)
    # A cluster's worker listens on loopback behind HAProxy: its launcher says where phones go.
    warning = None if os.environ.get("WORKSHOP_REDIS_URL") else links.advice(base, args.host)
    if warning:
        print("\n" + textwrap.fill(warning, 96, initial_indent="  ", subsequent_indent="  "), flush=True)
    # A client that stops sending mid-request (a Content-Length its body never reaches) would hold
    # a green thread and a connection for ever; the idle timeout drops it.
    serve = {"max_size": args.max_connections, "log_output": args.access_log,
             "socket_timeout": args.idle_timeout}
    if proxied is not None:
        eventlet.spawn(eventlet.wsgi.server, proxied, app, **serve)
    eventlet.wsgi.server(listener, app, **serve)


def organizer_key_note(config) -> str:
    """Say where the organizer key is; show the key itself only the once it was made.

    Hosting platforms keep everything a process prints, so a key printed at every start
    would end up in their logs.
    """
    source, path = config["ORGANIZER_KEY_SOURCE"], config["ORGANIZER_KEY_FILE"]
    if source == "environment":
        return "set by WORKSHOP_ORGANIZER_KEY (not shown)"
    relative = os.path.relpath(path)
    shown = path if relative.startswith("..") else relative
    if source == "new":
        return (f"{config['ORGANIZER_KEY']}\n"
                f"                     (made just now, shown only this once, kept in {shown})")
    return f"kept in {shown} (never printed again)"


def listen(host: str, port: int):
    """Take the port before anything else, so that a second server stops before touching the database.

    Not socketio.run: it listens with SO_REUSEPORT, which lets a second server share the
    port silently, each with rooms of its own. Here a port in use is an error.
    """
    family, *_, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    try:
        # A join storm overflows eventlet's default backlog of 50 (PITFALLS): queue more.
        return eventlet.listen(address, family, backlog=2048, reuse_port=False)
    except OSError as error:
        sys.exit(f"Cannot listen on {host}:{port}: {error.strerror}. "
                 "Is another server running there? Choose another --port.")


def listen_unix(path: str):
    """Take a Unix socket readable and writable by this user only, replacing a stale one left by a crash.

    Only a socket nobody answers on is replaced: a path to any other file (a typo naming the
    database) or to a live server's socket stops this server instead.
    """
    from .shell.cluster import answered_at  # a Unix socket is for a cluster's proxy

    if os.path.lexists(path):
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            sys.exit(f"Cannot serve on {path}: it is a file, not a socket. Choose another --unix-socket.")
        if answered_at(path):
            sys.exit(f"Cannot serve on {path}: a server is answering there. Choose another --unix-socket.")
        os.unlink(path)  # left by a server that stopped without removing it
    old = os.umask(0o177)
    try:
        return eventlet.listen(path, socket.AF_UNIX, backlog=2048)
    finally:
        os.umask(old)


if __name__ == "__main__":
    main()
