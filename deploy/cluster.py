"""Start a cluster on one machine: redis-server, HAProxy and N workers, restarting a worker that dies.

`python -m deploy.cluster --workers 2` is what `make cluster WORKERS=2` runs. Every
file it writes (Redis's configuration and password, HAProxy's configuration and code
map, the workers' databases and logs, the shared keys) goes under `--dir`
(instance/cluster/). The tests and the benchmark drive the same `Cluster` class.
Several machines are described in docs/deploy.md; this is the one-machine form.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"redis-server": "redis-server", "haproxy": "haproxy"}  # command -> Debian package


def ensure_tools(install: bool = True) -> None:
    """Find redis-server and haproxy, installing them with apt-get when root; else say how, and stop."""
    missing = [package for command, package in PACKAGES.items() if not shutil.which(command)
               and not Path("/usr/sbin", command).exists()]
    if not missing:
        return
    command = ["apt-get", "install", "-y", *missing]
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {' '.join(missing)} with apt-get...", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return
    sys.exit(f"The cluster needs {' and '.join(missing)}. Install with:\n  sudo {' '.join(command)}")


def tool(command: str) -> str:
    """Return the path of a system command, looking in /usr/sbin too (haproxy lives there)."""
    found = shutil.which(command) or str(Path("/usr/sbin", command))
    return found


def answers(url: str, timeout: float = 1.0) -> bool:
    """Tell whether a URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(test, timeout: float, what: str) -> None:
    """Poll `test` until it holds, or fail after `timeout` seconds naming `what`."""
    end = time.monotonic() + timeout
    while not test():
        if time.monotonic() > end:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)


def keep_secret(path: Path) -> str:
    """Return the secret kept in a file, making it (owner-only) the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def codes_in(db: Path) -> list[str]:
    """Return the codes of the workshops, open or ended, in a worker's database (read only)."""
    import sqlite3

    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as connection:
            return [code for (code,) in connection.execute("SELECT code FROM rooms")]
    except sqlite3.Error:  # no table yet
        return []


@dataclass
class Retry:
    """When the supervisor starts a process again: at once after a long run, later and later after
    runs that ended within QUICK seconds (a port taken, a broken file), up to LONGEST: a process that
    cannot start must not be started five times a second for ever."""

    QUICK = 5.0
    LONGEST = 30.0
    started: float = 0.0
    failures: int = 0
    due: float | None = None

    def began(self) -> None:
        self.started = time.monotonic()

    def ended(self) -> float:
        """Note an exit; return the seconds to wait before the next start."""
        self.failures = self.failures + 1 if time.monotonic() - self.started < self.QUICK else 0
        wait = min(self.LONGEST, 2.0 ** (self.failures - 1)) if self.failures else 0.0
        self.due = time.monotonic() + wait
        return wait

    def now(self) -> bool:
        """Tell whether a start is due now (and clear it)."""
        if self.due is None or time.monotonic() < self.due:
            return False
        self.due = None
        return True


@dataclass
class Worker:
    index: int
    host: str
    port: int
    folder: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    retry: Retry = field(default_factory=Retry)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def socket(self) -> Path:
        return self.folder / "workshop.sock"

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Cluster:
    folder: Path
    workers: int = 2
    port: int = 8000
    bind: str = "127.0.0.1"
    hosts: list[str] | None = None
    worker_ports: list[int] | None = None
    redis_port: int = 6390
    public_url: str | None = None
    env: dict = field(default_factory=dict)
    worker_args: list[str] = field(default_factory=list)
    stats_socket: bool = True
    # How HAProxy reaches the workers: "unix" sockets when they share its machine (a frame relayed over
    # a Unix socket costs the kernel far less than one over TCP loopback), "tcp" across machines.
    link: str = "unix"

    def __post_init__(self):
        self.folder = Path(self.folder).resolve()
        hosts = self.hosts or ["127.0.0.1"] * self.workers
        ports = self.worker_ports or [self.port + 100 + i for i in range(1, self.workers + 1)]
        self.members = [Worker(i, hosts[i - 1], ports[i - 1], self.folder / f"w{i}")
                        for i in range(1, self.workers + 1)]
        self.redis: subprocess.Popen | None = None
        self.redis_wanted = False  # started and not stopped on purpose: the supervisor restarts it
        self.redis_retry = Retry()
        self.haproxy: subprocess.Popen | None = None
        self.stopping = False
        self.supervisor: threading.Thread | None = None
        self.claim = None  # the open cluster.lock, held while this cluster runs
        self.log = print
        # HAProxy binds its stats socket as <path>.<pid>.tmp first, and a Unix socket's path holds 107
        # bytes: a cluster folder deep in the file system gets a short private folder for it instead.
        self.stats_path = self.folder / "haproxy.sock"
        if self.stats_socket and len(str(self.stats_path)) > 90:
            self.stats_path = Path(tempfile.mkdtemp(prefix="workshop-haproxy-")) / "stats.sock"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "::", "") else self.bind
        return f"http://{host}:{self.port}"

    # -- redis ---------------------------------------------------------------

    @property
    def redis_url(self) -> str:
        return f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/0"

    def start_redis(self) -> None:
        """Start redis-server on loopback with a password; pub/sub only, so nothing is written to disk."""
        folder = self.folder / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        self.redis_password = keep_secret(self.folder / "redis.password")
        conf = folder / "redis.conf"
        conf.touch(mode=0o600)
        conf.write_text(f"bind 127.0.0.1\nport {self.redis_port}\nrequirepass {self.redis_password}\n"
                        f"dir {folder}\nsave \"\"\nappendonly no\nprotected-mode yes\n"
                        f"maxclients 1000\ntcp-keepalive 30\n")
        with open(folder / "redis.log", "ab") as log:
            self.redis = subprocess.Popen([tool("redis-server"), str(conf)], stdout=log,
                                          stderr=subprocess.STDOUT)
        self.redis_wanted = True
        self.redis_retry.began()

        def up() -> bool:
            if self.redis.poll() is not None:
                said = (folder / "redis.log").read_text(errors="replace").strip().splitlines()
                raise RuntimeError(f"redis-server stopped: {said[-1] if said else 'no message'}")
            return self._redis_answers()

        wait_until(up, 15, "redis-server")

    def _redis_answers(self) -> bool:
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(f"AUTH {self.redis_password}\r\nPING\r\n".encode())
                seen = b""
                while b"\r\n+" not in seen and (chunk := s.recv(100)):
                    seen += chunk
                return b"+PONG" in seen + s.recv(100) if b"+PONG" not in seen else True
        except OSError:
            return False

    def stop_redis(self, hard: bool = False) -> None:
        """Stop redis-server (kill -9 when `hard`), on purpose: the supervisor leaves it stopped."""
        self.redis_wanted = False
        if self.redis and self.redis.poll() is None:
            self.redis.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            self.redis.wait(timeout=10)

    # -- haproxy -------------------------------------------------------------

    def write_proxy_config(self) -> Path:
        """Write HAProxy's configuration and code map from deploy/haproxy.cfg.in and the ownership rule."""
        from workshop.shell.cluster import code_map

        self.folder.mkdir(parents=True, exist_ok=True)
        codes = self.folder / "codes.map"
        codes.write_text(code_map(self.workers))
        # Only the shared backend checks each worker; the others track its verdict, so a worker answers
        # one health check a second, not one per backend.
        check = "check inter 1s fall 2 rise 1"
        line = "    server w{i} {address} {check} maxconn 8000"
        servers = [line.format(i=w.index, address=self.proxy_address(w), check=check) for w in self.members]
        tracked = [line.format(i=w.index, address=self.proxy_address(w), check=f"track any/w{w.index}")
                   for w in self.members]
        owners = "\n\n".join(f"backend w{w.index}\n{tracked[w.index - 1]}" for w in self.members)
        organizer = [tracked[0]] + [s + " backup" for s in tracked[1:]]
        stats = (f"stats socket {self.stats_path} mode 600 level admin"
                 if self.stats_socket else "")
        text = Template((ROOT / "deploy" / "haproxy.cfg.in").read_text()).substitute(
            bind=f"bind {self.bind}:{self.port}", codes_map=str(codes), stats=stats,
            organizer_servers="\n".join(organizer), any_servers="\n".join(servers), owner_backends=owners)
        config = self.folder / "haproxy.cfg"
        config.write_text(text)
        subprocess.run([tool("haproxy"), "-c", "-q", "-f", str(config)], check=True)
        return config

    def proxy_address(self, worker: Worker) -> str:
        """Say where HAProxy reaches a worker: its Unix socket on this machine, else its address and port."""
        return f"unix@{worker.socket}" if self.uses_socket(worker) else f"{worker.host}:{worker.port}"

    def uses_socket(self, worker: Worker) -> bool:
        """Tell whether the proxy reaches this worker over a Unix socket (same machine, short enough path)."""
        return self.link == "unix" and len(str(worker.socket)) < 100

    def start_proxy(self) -> None:
        """Start HAProxy in the foreground of its own process."""
        config = self.write_proxy_config()
        with open(self.folder / "haproxy.log", "ab") as log:
            self.haproxy = subprocess.Popen([tool("haproxy"), "-db", "-f", str(config)], stdout=log,
                                            stderr=subprocess.STDOUT)
        wait_until(lambda: self.haproxy.poll() is None and answers(self.url + "/healthz"), 15, "HAProxy")

    # -- workers -------------------------------------------------------------

    def worker_env(self, worker: Worker) -> dict:
        peers = ",".join(w.url for w in self.members if w is not worker)
        env = {**os.environ, **self.env,
               "WORKSHOP_INSTANCE": str(self.folder / "shared"),
               "WORKSHOP_REDIS_URL": self.redis_url,
               "WORKSHOP_WORKER": str(worker.index),
               "WORKSHOP_WORKERS": str(self.workers),
               "WORKSHOP_PEERS": peers,
               "WORKSHOP_PROXY_HOPS": "1"}
        if self.public_url:
            env["WORKSHOP_PUBLIC_URL"] = self.public_url
        return {k: v for k, v in env.items() if v != ""}

    def start_worker(self, worker: Worker, wait: bool = True) -> None:
        """Start one worker on its own address, port and database."""
        worker.folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "workshop", "--host", worker.host, "--port", str(worker.port),
                   "--db", str(worker.folder / "workshop.db"), *self.worker_args]
        if self.uses_socket(worker):
            command += ["--unix-socket", str(worker.socket)]
        with open(worker.folder / "worker.log", "ab") as log:
            worker.process = subprocess.Popen(command, cwd=ROOT, env=self.worker_env(worker), stdout=log,
                                              stderr=subprocess.STDOUT)
        worker.retry.began()
        if wait:
            self.wait_for(worker)

    def wait_for(self, worker: Worker) -> None:
        """Wait until a worker answers; if it stops instead, fail at once with the last line it logged."""
        def up() -> bool:
            if worker.process.poll() is not None:
                said = (worker.folder / "worker.log").read_text(errors="replace").strip().splitlines()
                raise RuntimeError(f"worker {worker.index} stopped: {said[-1] if said else 'no message'}")
            return answers(worker.url + "/healthz")

        wait_until(up, 30, f"worker {worker.index}")

    def supervise(self, every: float = 0.2) -> None:
        """Restart any worker that exits, on the same data directory (systemd's Restart=always), and
        redis-server if it fails (Restart=on-failure: Ctrl-C reaches it too, and it then exits 0)."""
        def loop():
            while not self.stopping:
                redis = self.redis
                if redis is not None and self.redis_wanted and redis.poll() is not None and not self.stopping:
                    if redis.returncode == 0 and self.redis_retry.due is None:
                        self.redis_wanted = False
                        self.log("redis-server stopped (exit 0): left stopped")
                    else:
                        self.revive("redis-server", redis, self.redis_retry, self.start_redis)
                for worker in self.members:
                    process = worker.process
                    if process is not None and process.poll() is not None and not self.stopping:
                        self.revive(f"worker {worker.index}", process, worker.retry,
                                    lambda worker=worker: self.restart_worker(worker))
                time.sleep(every)

        self.supervisor = threading.Thread(target=loop, name="supervisor", daemon=True)
        self.supervisor.start()

    def revive(self, what: str, process: subprocess.Popen, retry: Retry, start) -> None:
        """Start an exited process again when its Retry says so, and say when."""
        if retry.due is None:
            wait = retry.ended()
            self.log(f"{what} exited ({process.returncode}); restarting it"
                     + (f" in {wait:.0f} s" if wait else ""))
        if retry.now():
            try:
                start()
            except (OSError, RuntimeError) as error:
                self.log(f"{what} could not restart: {error}")

    def restart_worker(self, worker: Worker) -> None:
        worker.restarts += 1
        self.start_worker(worker, wait=False)

    def proxy_sees(self, worker: Worker, up: bool) -> bool:
        """Tell whether HAProxy's health check has the worker up (or down), from its stats socket."""
        import socket
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(2)
                s.connect(str(self.stats_path))
                s.sendall(b"show stat\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        except OSError:
            return False
        for row in data.decode().splitlines():
            cells = row.split(",")
            if len(cells) > 17 and cells[0] == f"w{worker.index}" and cells[1] == f"w{worker.index}":
                return cells[17].startswith("UP") == up
        return False

    # -- all of it -----------------------------------------------------------

    def start(self, supervise: bool = True) -> Cluster:
        """Start Redis, then the workers, then HAProxy; stop everything if any part fails."""
        ensure_tools()
        self.claim_folder()
        try:
            self.check_worker_count()
            self.check_ports()
            keep_secret(self.folder / "shared" / "secret.key")  # made once, before any worker races to
            keep_secret(self.folder / "shared" / "organizer.key")
            self.start_redis()
            for worker in self.members:
                self.start_worker(worker, wait=False)
            for worker in self.members:
                self.wait_for(worker)
            self.start_proxy()
        except BaseException:
            self.stop()
            raise
        if supervise:
            self.supervise()
        return self

    def check_worker_count(self) -> None:
        """Refuse a folder whose workshops were made by another number of workers, before anything starts.

        Each workshop's code names the worker that made it (docs/scaling.md): started with a count
        under which some code names another worker, HAProxy would send that workshop's phones,
        console and report to a worker that does not hold it. Read from the workshops' codes
        themselves, so a folder that ran with another count but made nothing then is not refused.
        """
        from workshop.shell.cluster import owner

        codes = {int(db.parent.name[1:]): codes_in(db) for db in self.folder.glob("w*/workshop.db")
                 if db.parent.name[1:].isdigit()}

        def misplaced(workers: int) -> int:
            return sum(1 for index, held in codes.items() for code in held
                       if index > workers or owner(code, workers) != index)

        lost = misplaced(self.workers)
        if lost:
            made = next((n for n in range(1, 65) if not misplaced(n)), None)
            raise RuntimeError(
                f"{self.folder} holds workshops made by a cluster of {made or 'another number of'} workers: "
                f"with {self.workers}, {plural(lost, 'workshop')} would be sent to a worker that does not "
                f"hold {'it' if lost == 1 else 'them'}. Start it with WORKERS={made or '(as before)'}, or "
                f"start a cluster of {self.workers} in another folder (CLUSTER_DIR=..., or --dir).")

    def check_ports(self) -> None:
        """Refuse ports something already listens on, before anything starts.

        A readiness check cannot tell our redis-server or worker from another cluster's on the same
        port: without this, a second cluster on taken ports "started", shared HAProxy's port with
        the first one, and restarted workers that could never listen.
        """
        import errno
        import socket

        wanted = [("HAProxy", self.bind or "0.0.0.0", self.port, "CLUSTER_PORT"),
                  ("redis-server", "127.0.0.1", self.redis_port, "REDIS_PORT")]
        wanted += [(f"worker {w.index}", w.host, w.port, "CLUSTER_PORT") for w in self.members]
        for at, (what, host, port, variable) in enumerate(wanted):
            twin = next((other for other in wanted[:at] if other[2] == port
                         and (other[1] == host or {other[1], host} & {"0.0.0.0", "::", ""})), None)
            if twin:
                raise RuntimeError(f"port {port} is asked for twice, by {twin[0]} and by {what}: "
                                   f"choose another {variable if variable != twin[3] else 'port'}")
        for what, host, port, variable in wanted:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
                try:
                    probe.bind((host, port))
                except OSError as error:
                    if error.errno == errno.EADDRINUSE:
                        raise RuntimeError(
                            f"port {port} ({what}) is already in use, by another cluster or program: "
                            f"choose another {variable}") from None
                    # an address of another machine (a worker there) is not ours to check

    def claim_folder(self) -> None:
        """Hold the folder's cluster.lock while this cluster runs: a second launch from the same folder
        stops here, before it rewrites redis.conf or starts anything (the kernel lets the lock go
        when this process ends, however it ends)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        claim = open(self.folder / "cluster.lock", "a+")  # noqa: SIM115 (held open while the cluster runs)
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            claim.seek(0)
            holder = claim.read().strip() or "unknown"
            claim.close()
            raise RuntimeError(f"a cluster is already running from {self.folder} (its launcher is pid "
                               f"{holder}): stop it first, or start this one in another folder "
                               f"(CLUSTER_DIR=..., or --dir)") from None
        claim.seek(0)
        claim.truncate()
        claim.write(f"{os.getpid()}\n")
        claim.flush()
        self.claim = claim

    def stop(self) -> None:
        """Stop every process this cluster started."""
        self.stopping = True
        if self.supervisor is not None:
            self.supervisor.join(timeout=5)
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
        for worker in self.members:
            if worker.process and worker.process.poll() is None:
                os.kill(worker.pid, signal.SIGCONT)
                worker.process.terminate()
        for process in [self.haproxy, *(w.process for w in self.members)]:
            if process and process.poll() is None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        from workshop.shell.cluster import answered_at

        # A worker ended by a signal leaves its socket file behind, HAProxy its stats socket: remove
        # those of the processes this cluster started, and any other nobody answers on (one that did
        # not start, beside processes still running there, must not take their sockets away).
        owned = [(w.socket, w.process is not None) for w in self.members]
        owned.append((self.stats_path, self.haproxy is not None))
        for path, ours in owned:
            if path.is_socket() and (ours or not answered_at(path)):
                path.unlink()
        if self.stats_path.parent != self.folder:
            shutil.rmtree(self.stats_path.parent, ignore_errors=True)
        self.stop_redis()
        if self.claim is not None:
            self.claim.close()
            self.claim = None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="how many workers (default 2: one per core)")
    parser.add_argument("--bind", default="0.0.0.0", help="HAProxy's address (default: every interface)")
    parser.add_argument("--port", type=int, default=8000, help="HAProxy's port (default 8000)")
    parser.add_argument("--redis-port", type=int, default=6390, help="redis-server's loopback port")
    parser.add_argument("--dir", default=str(ROOT / "instance" / "cluster"), help="where everything is kept")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers (WORKERS=) must be 1 or more")
    from workshop.shell import links

    public = os.environ.get("WORKSHOP_PUBLIC_URL") or links.lan_url(args.bind, args.port)
    cluster = Cluster(Path(args.dir).resolve(), workers=args.workers, port=args.port, bind=args.bind,
                      redis_port=args.redis_port, public_url=public)
    # The first Ctrl-C, SIGTERM or SIGHUP (the terminal closed) stops the cluster; any later one (a
    # second Ctrl-C or kill, and make passes its own SIGTERM on too) is ignored, so that it cannot cut
    # the stop short and leave the processes running unsupervised. Set here rather than inherited: a
    # launcher started in the background by a script would otherwise ignore SIGINT, and Ctrl-C would
    # stop redis-server alone.
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def ignore_stops() -> None:
        for number in stops:
            try:
                signal.signal(number, signal.SIG_IGN)
            except OSError:  # "ignored due to race condition": that signal came meanwhile; set it now
                signal.signal(number, signal.SIG_IGN)

    def stop_asked(signum, frame):
        ignore_stops()
        raise KeyboardInterrupt

    for number in stops:
        signal.signal(number, stop_asked)
    cluster.log = say
    try:
        cluster.start()  # stops what it started if any part fails, or if it is interrupted
    except RuntimeError as error:
        sys.exit(f"The cluster did not start: {error}")
    except KeyboardInterrupt:
        sys.exit("Stopped while starting.")
    try:
        base = public or cluster.url
        say(f"Heart to Heart cluster: {args.workers} workers behind HAProxy on {base}/")
        say(f"  Start a workshop:  {base}/")
        say(f"  Attendees join at: {base}/join")
        say(f"  Organizer reports: {base}/organizer")
        for worker in cluster.members:
            say(f"  worker {worker.index}: {worker.url} (pid {worker.pid}, {worker.folder / 'workshop.db'})")
        say(f"  redis-server: 127.0.0.1:{args.redis_port} (password in {cluster.folder / 'redis.password'})")
        say(f"  Organizer key: kept in {cluster.folder / 'shared' / 'organizer.key'}")
        say("  Ctrl-C stops everything.")
        if links.advice(base, args.bind):
            say(f"\n  Phones can't reach {base}: it opens only on this machine. To let them in, start the "
                "cluster with HOST=0.0.0.0 (make cluster's default) or set WORKSHOP_PUBLIC_URL.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        ignore_stops()
        say("Stopping the cluster...")
        cluster.stop()


def say(text: str) -> None:
    """Print a line; a terminal that was closed (SIGHUP) must not keep the cluster from stopping."""
    try:
        print(text, flush=True)
    except OSError:
        pass

if __name__ == "__main__":
    main()
