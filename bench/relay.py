"""What the proxy costs: one process reached directly, through HAProxy and through nginx (`make bench-relay`).

The cluster's capacity ratio (bench/cluster.py) counts HAProxy, which relays every frame between
a phone and its worker. This measures that relay alone, side by side in one run: the same
`python -m workshop` process and the same load (bench/cluster.py's `load`: a join storm of Node
bots, a round's turns on the server's clock, three facilitator messages) reached directly, through
HAProxy (Debian's haproxy, as deploy/haproxy.cfg.in runs it: HTTP mode, websocket tunnels, one
thread), through HAProxy with its default of a thread per core, and through nginx (Debian's
nginx-light, one worker, websocket upgrade). It reports CPU-seconds per 1,000 deliveries of the
server and of the proxy, each pass in turn, and ends with one JSON line.
Every address is loopback; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

from cluster import Single, load, machine  # noqa: E402
from servers import free_port  # noqa: E402

from deploy.cluster import answers, wait_until  # noqa: E402

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

HAPROXY_CFG = """\
global
    maxconn 9000
{threads}

defaults
    mode http
    option forwardfor
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout http-request 10s

frontend web
    bind 127.0.0.1:{port}
    maxconn 9000
    default_backend one

backend one
    server s1 127.0.0.1:{server_port} maxconn 9000
"""

NGINX_CONF = """\
daemon off;
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 9000; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{server_port};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
        }}
    }}
}}
"""


class Fronted:
    """A Single server (trusting one proxy hop, as the cluster's workers do) behind a proxy process."""

    def __init__(self, folder: Path, name: str, config: str, command: list[str], check: list[str],
                 threads: str = ""):
        folder.mkdir(parents=True, exist_ok=True)
        self.server = Single(folder, env={"WORKSHOP_PROXY_HOPS": "1"})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        path = folder / f"{name}.conf"
        path.write_text(config.format(port=self.port, server_port=self.server.port, folder=folder,
                                      workers=1, threads=threads))
        subprocess.run([*check, str(path)], check=True, capture_output=True)
        with open(folder / f"{name}.log", "ab") as log:
            self.process = subprocess.Popen([*command, str(path)], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: self.process.poll() is None and answers(self.url + "/healthz"), 15, name)
        except BaseException:
            self.stop()
            raise

    def pids(self) -> dict[str, list[int]]:
        """The server as `workers`, the proxy's processes (nginx: its master and worker) as `proxy`."""
        return {"workers": [self.server.process.pid],
                "proxy": [self.process.pid, *children(self.process.pid)], "redis": []}

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.terminate()
                self.process.wait(timeout=15)
        finally:
            self.server.stop()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def haproxy(folder: Path, threads: str = "    nbthread 1") -> Fronted:
    """HAProxy as the cluster runs it: one thread."""
    return Fronted(folder, "haproxy", HAPROXY_CFG, [HAPROXY, "-db", "-f"], [HAPROXY, "-c", "-q", "-f"],
                   threads)


def haproxy_per_core(folder: Path) -> Fronted:
    """HAProxy's own default: a thread for each core."""
    return haproxy(folder, threads="")


def nginx(folder: Path) -> Fronted:
    return Fronted(folder, "nginx", NGINX_CONF, [NGINX, "-p", str(folder), "-c"],
                   [NGINX, "-q", "-p", str(folder), "-t", "-c"])


TARGETS = {"direct": Single, "haproxy": haproxy, "haproxy_per_core": haproxy_per_core, "nginx": nginx}


async def bench(args, log) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {kind: [] for kind in args.targets}
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        for rep in range(1, args.passes + 1):
            for kind in args.targets:
                log(f"[pass {rep}] {kind}: {args.rooms} rooms of {args.per_room}")
                target = TARGETS[kind](Path(tmp) / f"{rep}-{kind}")
                try:
                    results[kind].append(await load(target, args.rooms, args.per_room, args.concurrency, log))
                finally:
                    target.stop()
    return results


def pooled(runs: list[dict], key: str) -> float | None:
    """Seconds of `key` per 1,000 deliveries over every pass (sums, not a mean of ratios)."""
    deliveries = sum(run["deliveries"] for run in runs)
    return round(sum(run[key] for run in runs) / deliveries * 1000, 4) if deliveries else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--per-room", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--passes", type=int, default=2, help="times over the targets, one after another")
    parser.add_argument("--targets", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    args = parser.parse_args()
    if not (BENCH / "node_modules" / "ws").exists():
        sys.exit("Install the bots first: cd bench && npm ci")
    proxies = (("haproxy", HAPROXY), ("nginx-light", NGINX))
    missing = [package for package, path in proxies if not Path(path).exists()]
    if missing:
        sys.exit(f"Install the proxies first: apt-get install {' '.join(missing)}")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a bot's socket, the proxy's two

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    log(f"bench-relay on {machine()}, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    results = asyncio.run(bench(args, log))
    line = {"relay_attendees": args.rooms * args.per_room, "relay_passes": args.passes}
    for kind, runs in results.items():
        line[f"{kind}_join_failures"] = sum(run["join_failures"] for run in runs)
        line[f"{kind}_server_cpu_s_per_1000"] = pooled(runs, "workers_cpu_s")
        line[f"{kind}_proxy_cpu_s_per_1000"] = pooled(runs, "proxy_cpu_s")
    for other in ("haproxy_per_core", "nginx"):
        if {"haproxy", other} <= results.keys() and line["haproxy_proxy_cpu_s_per_1000"]:
            line[f"{other}_over_haproxy"] = round(line[f"{other}_proxy_cpu_s_per_1000"]
                                                  / line["haproxy_proxy_cpu_s_per_1000"], 2)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
