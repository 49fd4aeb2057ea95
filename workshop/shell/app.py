"""The application factory: config, database, rooms and routes."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from ..core.limits import CodeGuard, RateLimit
from ..core.room import Settings
from . import broadcast, language
from .clock import Clock
from .connections import Connections
from .events import socketio
from .keys import kept_secret
from .live import Live
from .polling import OversizedPolls
from .registry import Registry
from .store import Store

ROOT = Path(__file__).resolve().parents[2]
MESSAGE_LIMIT = 128 * 1024  # bytes of one Socket.IO message (docs/protocol.md, "Limits"); fits any
# one person's feedback, however its JSON is escaped (workshop/core/agenda.py, FORM_ANSWER_LIMIT)

# Each WORKSHOP_* variable sets the config key after the prefix, parsed by the type beside it.
ENVIRONMENT = {
    "DB": str,
    "INSTANCE": str,
    "AGENDAS": str,
    "PUBLIC_URL": str,
    "CORS_ORIGINS": str,
    "GRACE_SECONDS": float,
    "TIME_SCALE": float,
    "MAX_ATTENDEES": int,
    "FEEDBACK_THRESHOLD": int,
    "ORGANIZER_KEY": str,
    "ORGANIZER_IDLE_HOURS": float,
    "PROXY_HOPS": int,
    "REQUIRE_ORGANIZER_KEY": lambda value: value.strip().lower() in ("1", "true", "yes", "on"),
    "MAX_ROOMS": int,
    # Cluster mode (docs/scaling.md): all three come from the launcher or the systemd unit.
    "REDIS_URL": str,
    "WORKER": int,
    "WORKERS": int,
    "PEERS": str,
}


class SessionCookies(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS, as the trusted proxy says."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Say Secure for an https public URL, and for any request whose scheme (after ProxyFix) is https."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def config_from_environment(environ=os.environ) -> dict:
    """Read the WORKSHOP_* environment variables."""
    found = {}
    for name, kind in ENVIRONMENT.items():
        value = environ.get(f"WORKSHOP_{name}")
        if value:
            found[name] = kind(value)
    return found


def build_live(config, settings: Settings) -> Live:
    """Wire this app's rooms, clock and connections to its database and its Socket.IO server."""
    store = Store(config["DB"], secret=config["SECRET_KEY"])
    # The clock waits on an event of the server's async mode: green under eventlet and gevent.
    clock = Clock(event=socketio.server.eio.create_event, spawn=socketio.start_background_task)
    rooms = Registry(store, clock, settings, max_rooms=config["MAX_ROOMS"],
                     send=lambda room, change: broadcast.send_change(socketio, room, change,
                                                                     connections.sid_of))
    connections = Connections(socketio, rooms)
    limits = config["LIMITS"]
    return Live(rooms, clock, connections,
                code_guard=CodeGuard(sleep=lambda seconds: socketio.sleep(seconds),
                                     **limits.get("codes", {})),
                creations=RateLimit(**limits.get("creations", {"per_second": 1 / 60, "burst": 20})),
                event_limit=RateLimit(per_second=10, burst=40))


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app, open its database and bring its rooms back to life."""
    instance = (test_config or {}).get("INSTANCE") or os.environ.get("WORKSHOP_INSTANCE") or ROOT / "instance"
    app = Flask(__name__, instance_path=str(Path(instance).resolve()),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_mapping(
        DB=str(Path(app.instance_path) / "workshop.db"),
        AGENDAS=str(ROOT / "agendas"),
        PUBLIC_URL=None,
        CORS_ORIGINS=None,
        GRACE_SECONDS=120.0,
        TIME_SCALE=1.0,
        MAX_ATTENDEES=2000,
        FEEDBACK_THRESHOLD=5,
        ORGANIZER_IDLE_HOURS=12.0,
        ASYNC_MODE=None,
        CLOCK=True,
        PROXY_HOPS=0,
        REQUIRE_ORGANIZER_KEY=False,
        MAX_ROOMS=1000,
        LIMITS={},  # tests only: {"codes": {...CodeGuard...}, "creations": {...RateLimit...}}
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.config.update(config_from_environment())
    if test_config:
        app.config.update(test_config)
    instance = Path(app.instance_path)
    app.config.setdefault("SECRET_KEY", None)
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or kept_secret(instance / "secret.key")[0]
    # Where the organizer key came from decides what the entry point may print: a key made just
    # now is shown once; afterwards only its file is named, and a key set by the environment never.
    app.config["ORGANIZER_KEY_FILE"] = str(instance / "organizer.key")
    if app.config.get("ORGANIZER_KEY"):
        app.config["ORGANIZER_KEY_SOURCE"] = "environment"
    else:
        app.config["ORGANIZER_KEY"], made = kept_secret(instance / "organizer.key")
        app.config["ORGANIZER_KEY_SOURCE"] = "new" if made else "file"
    # Lax: a sign-in or logout form cannot be posted from another site, yet a report link
    # opened from an e-mail still finds the browser signed in.
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SECURE=str(app.config["PUBLIC_URL"] or "").startswith("https"),
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["ORGANIZER_IDLE_HOURS"]))
    app.session_interface = SessionCookies()

    settings = Settings(
        grace_ms=int(app.config["GRACE_SECONDS"] * 1000),
        time_scale=app.config["TIME_SCALE"],
        max_attendees=app.config["MAX_ATTENDEES"],
        feedback_threshold=max(3, app.config["FEEDBACK_THRESHOLD"]),
    )
    origins = app.config["CORS_ORIGINS"]
    queue = {}
    if app.config.get("REDIS_URL"):
        from . import cluster
        holds = cluster.owns(app.config.get("WORKER", 1), app.config.get("WORKERS", 1))
        queue["client_manager"] = cluster.message_queue(app.config["REDIS_URL"], holds)
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        cors_allowed_origins=origins.split(",") if isinstance(origins, str) else origins,
        max_http_buffer_size=MESSAGE_LIMIT,
        ping_interval=10,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
        **queue,
    )
    app.wsgi_app = OversizedPolls(app.wsgi_app, socketio.server.eio, MESSAGE_LIMIT)
    live = build_live(app.config, settings)
    if app.config.get("WORKERS", 1) > 1:
        from . import cluster
        live.rooms.owns = cluster.owns(app.config["WORKER"], app.config["WORKERS"])
    live.rooms.boot()
    app.extensions["workshop"] = live

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from . import organizer, studio, web
    language.init_app(app)
    app.register_blueprint(web.bp)
    app.register_blueprint(organizer.bp)
    if app.config.get("REDIS_URL"):
        from . import peers
        app.register_blueprint(peers.bp)
    app.register_blueprint(studio.bp)
    if app.config["CLOCK"]:
        live.start()
    return app
