"""One process against a cluster of workers, side by side in one run (`make bench-cluster`).

For each load (50 rooms of 100, then one room of 2,000) it starts a single server, runs the
load, stops it, then starts the cluster (redis-server, HAProxy, N workers from
deploy/cluster.py) and runs the same load through the proxy; it does so `--passes` times (3),
one process and the cluster taking turns, and pools the passes: this machine is shared, and a
neighbour's work shifts one pass's CPU figures by a tenth either way. The phones are Node `ws`
bots (bench/crowd.js: Engine.IO 4 / Socket.IO 4 text framing, far lighter than Python
clients); facilitators are python-socketio clients. Measured: the join storm, turn
changes (each turn moves on the server's clock at its deadline: latency is a bot's
receive time minus the moment the turn began), fan-out of a facilitator's message
(receive time minus the moment it was sent), failures, and CPU-seconds per 1,000
deliveries of every server process (workers, and for the cluster HAProxy and Redis) from
/proc/<pid>/stat, with the bots' own CPU beside it. Ends with one JSON line.
Every address is loopback; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

from servers import Facilitator, free_port, pct  # noqa: E402

from deploy.cluster import Cluster, answers, wait_until  # noqa: E402

ORGANIZER_KEY = "organizer-key-for-the-benchmark"
TICK = os.sysconf("SC_CLK_TCK")
WORKER_ARGS = ["--time-scale", "0.02", "--grace", "600", "--max-connections", "20000"]
AGENDA = yaml.safe_load((ROOT / "agendas" / "quick-connect.yaml").read_text())
ROUND_1 = next(i for i, s in enumerate(AGENDA["steps"]) if s["kind"] == "round")


def cpu_seconds(pids: list[int]) -> float:
    """Return the user+system CPU time of processes, from /proc/<pid>/stat."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


async def settled(pids: dict[str, list[int]], calm: float = 0.25, within: float = 30.0) -> float:
    """Wait until the servers have finished what the join storm left them (at most `within` seconds).

    A worker may still be working through the storm's queued messages after the last join is
    answered; measured from then, that work would be charged to the deliveries. Calm is under
    `calm` of a core for the processes together, over two half seconds in a row.
    """
    everyone = [pid for group in pids.values() for pid in group]
    began = time.monotonic()
    quiet, before = 0, cpu_seconds(everyone)
    while quiet < 2 and time.monotonic() - began < within:
        await asyncio.sleep(0.5)
        now = cpu_seconds(everyone)
        quiet = quiet + 1 if now - before < calm * 0.5 else 0
        before = now
    return round(time.monotonic() - began, 1)


def summary(values: list[float], missed: int) -> dict:
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "max": round(max(values), 1) if values else None, "missed": missed}


class Crowd:
    """The Node bots in one child process, asked over a pipe of JSON lines."""

    def __init__(self):
        self.process = subprocess.Popen(["node", str(BENCH / "crowd.js")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, cwd=BENCH, text=True)

    def ask(self, op: str, **args) -> dict:
        self.process.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    async def aask(self, op: str, **args) -> dict:
        return await asyncio.to_thread(self.ask, op, **args)

    def cpu(self) -> float:
        return cpu_seconds([self.process.pid])

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Single:
    """One `python -m workshop` process, as `make run` starts it."""

    workers = 1

    def __init__(self, folder: Path, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "WORKSHOP_INSTANCE": str(folder / "single"),
               "WORKSHOP_ORGANIZER_KEY": ORGANIZER_KEY, **(env or {})}
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "single.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workshop", "--host", "127.0.0.1", "--port", str(self.port),
                 "--db", str(folder / "single.db"), *WORKER_ARGS], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT)
        wait_until(lambda: answers(self.url + "/healthz"), 30, "the single server")

    def pids(self) -> dict[str, list[int]]:
        return {"workers": [self.process.pid], "proxy": [], "redis": []}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


class Many:
    """The cluster: redis-server, HAProxy and the workers, as `make cluster` starts it."""

    def __init__(self, folder: Path, workers: int, link: str = "unix"):
        self.workers = workers
        self.cluster = Cluster(folder / f"cluster{workers}", workers=workers, port=free_port(),
                               worker_ports=[free_port() for _ in range(workers)], redis_port=free_port(),
                               env={"WORKSHOP_ORGANIZER_KEY": ORGANIZER_KEY}, worker_args=WORKER_ARGS,
                               stats_socket=False, link=link)
        self.cluster.log = lambda text: None
        self.cluster.start(supervise=False)
        self.url = self.cluster.url

    def pids(self) -> dict[str, list[int]]:
        return {"workers": [w.pid for w in self.cluster.members],
                "proxy": [self.cluster.haproxy.pid], "redis": [self.cluster.redis.pid]}

    def stop(self) -> None:
        self.cluster.stop()


def create(url: str) -> dict:
    body = {"agenda": "quick-connect", "organizer_key": ORGANIZER_KEY}
    response = requests.post(url + "/api/workshops", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


async def load(target, rooms: int, per_room: int, concurrency: int, log) -> dict:
    """Run one load against one target: join storm, a round's turns on the server's clock, then fan-out."""
    crowd = Crowd()
    facs: list[Facilitator] = []
    out: dict = {}
    try:
        workshops = [await asyncio.to_thread(create, target.url) for _ in range(rooms)]
        facs = list(await asyncio.gather(*(Facilitator.connect(f"{target.url}/?code={w['code']}", w)
                                           for w in workshops)))
        specs = [{"key": f"r{j}", "url": target.url, "code": w["code"], "n": per_room, "first": j * per_room}
                 for j, w in enumerate(workshops)]
        joined = await crowd.aask("join_many", specs=specs, concurrency=concurrency)
        out.update(attendees=rooms * per_room, joined=joined["joined"], join_failures=joined["failed"],
                   join_s=round(joined["seconds"], 2), connected_at_once=joined["connected"],
                   join_failure_examples=joined["failures"])
        log(f"  join storm: {joined['joined']} of {rooms * per_room} in {out['join_s']} s, "
            f"{joined['failed']} failed {joined['failures'][:2]}, {joined['connected']} connected at once")
        await asyncio.gather(*(fac.command("go_to_step", {"index": ROUND_1}) for fac in facs))
        pids = target.pids()
        out["settle_s"] = await settled(pids)
        cpu0 = {k: cpu_seconds(v) for k, v in pids.items()}
        bots0, delivered0 = crowd.cpu(), (await crowd.aask("count"))["delivered"]
        wall0 = time.monotonic()
        started = await asyncio.gather(*(fac.command("start_timer") for fac in facs))
        end = time.monotonic() + 90
        while time.monotonic() < end and not all(fac.room["phase"]["speaker"] is None for fac in facs):
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)
        emitted: list[dict[int, float]] = [{} for _ in facs]
        for rep in range(3):
            sent = await asyncio.gather(*(fac.command("send_message", {"text": f"Message {rep}"})
                                          for fac in facs))
            for j, (at, seq) in enumerate(sent):
                emitted[j][seq] = at * 1000
            await asyncio.sleep(1.5)
        await asyncio.sleep(1.0)
        cpu1 = {k: cpu_seconds(v) for k, v in pids.items()}
        bots1, delivered1 = crowd.cpu(), (await crowd.aask("count"))["delivered"]
        wall = time.monotonic() - wall0
        turn_values, turn_missed, fan_values, fan_missed = [], 0, [], 0
        for j, fac in enumerate(facs):
            turns = {seq: room["timer"]["deadline"] - room["timer"]["duration_ms"]
                     for seq, room in fac.rooms.items()
                     if seq >= started[j][1] and (room["timer"] or {}).get("state") == "running"}
            for seen in (await crowd.aask("arrivals", key=f"r{j}"))["seen"]:
                for seq, began_ms in turns.items():
                    if str(seq) in seen:
                        turn_values.append(seen[str(seq)] - began_ms)
                    else:
                        turn_missed += 1
                for seq, at in emitted[j].items():
                    if str(seq) in seen:
                        fan_values.append(seen[str(seq)] - at)
                    else:
                        fan_missed += 1
        deliveries = delivered1 - delivered0
        server_cpu = sum(cpu1.values()) - sum(cpu0.values())
        workers_cpu = cpu1["workers"] - cpu0["workers"]
        out.update(
            turn=summary(turn_values, turn_missed), fanout=summary(fan_values, fan_missed),
            turn_values=turn_values, fanout_values=fan_values,
            deliveries=deliveries, window_s=round(wall, 1),
            server_cpu_s=round(server_cpu, 2), workers_cpu_s=round(workers_cpu, 2),
            proxy_and_redis_cpu_s=round(server_cpu - workers_cpu, 2),
            proxy_cpu_s=round(cpu1["proxy"] - cpu0["proxy"], 2),
            redis_cpu_s=round(cpu1["redis"] - cpu0["redis"], 2),
            cpu_s_per_1000=round(server_cpu / deliveries * 1000, 4) if deliveries else None,
            workers_cpu_s_per_1000=round(workers_cpu / deliveries * 1000, 4) if deliveries else None,
            bots_cpu_s=round(bots1 - bots0, 2),
            bots_cpu_share=round((bots1 - bots0) / max(1e-9, bots1 - bots0 + server_cpu), 2))
        log(f"  settled in {out['settle_s']} s\n  turn changes {out['turn']}\n  fan-out {out['fanout']}\n"
            f"  {deliveries} deliveries in {out['window_s']} s; server CPU {out['server_cpu_s']} s "
            f"(workers {out['workers_cpu_s']} s, proxy {out['proxy_cpu_s']} s, "
            f"Redis {out['redis_cpu_s']} s) = "
            f"{out['cpu_s_per_1000']} s per 1,000; "
            f"bots CPU {out['bots_cpu_s']} s ({out['bots_cpu_share']:.0%})")
        return out
    finally:
        await asyncio.gather(*(fac.close() for fac in facs), return_exceptions=True)
        try:
            crowd.ask("close")
        finally:
            crowd.stop()


async def bench(args, log) -> dict:
    """Every load on every target, `args.passes` times, the targets taking turns: {kind: {load: [pass]}}."""
    loads = {"rooms": (args.rooms, args.per_room), "hall": (1, args.hall)}
    loads = {name: load for name, load in loads.items() if name in args.loads}
    results: dict = {kind: {name: [] for name in loads} for kind in args.targets}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        for name, (rooms, per_room) in loads.items():
            for rep in range(1, args.passes + 1):
                for kind in args.targets:
                    log(f"[{name}, pass {rep}] {kind}: {rooms} room(s) of {per_room}")
                    folder = Path(tmp) / f"{name}-{rep}-{kind}"
                    target = Single(folder) if kind == "single" else \
                        Many(folder, args.workers, link="tcp" if kind == "cluster-tcp" else "unix")
                    try:
                        results[kind][name].append(await load(target, rooms, per_room, args.concurrency, log))
                    finally:
                        target.stop()
    return results


def pooled(passes: list[dict]) -> dict:
    """One load's passes on one target as one: latencies over every arrival, CPU over every delivery."""
    sums = {key: round(sum(p[key] for p in passes), 2) for key in
            ("server_cpu_s", "workers_cpu_s", "proxy_cpu_s", "redis_cpu_s", "bots_cpu_s")}
    deliveries = sum(p["deliveries"] for p in passes)

    def per_1000(seconds: float) -> float | None:
        return round(seconds / deliveries * 1000, 4) if deliveries else None

    return {
        "passes": len(passes), "attendees": passes[0]["attendees"],
        "join_failures": sum(p["join_failures"] for p in passes),
        "join_s": max(p["join_s"] for p in passes),
        "connected_at_once": min(p["connected_at_once"] for p in passes),
        "turn": summary([v for p in passes for v in p["turn_values"]],
                        sum(p["turn"]["missed"] for p in passes)),
        "fanout": summary([v for p in passes for v in p["fanout_values"]],
                          sum(p["fanout"]["missed"] for p in passes)),
        "deliveries": deliveries, **sums,
        "cpu_s_per_1000": per_1000(sums["server_cpu_s"]),
        "workers_cpu_s_per_1000": per_1000(sums["workers_cpu_s"]),
        "bots_cpu_share": round(sums["bots_cpu_s"] / max(1e-9, sums["bots_cpu_s"] + sums["server_cpu_s"]), 2),
    }


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.machine())
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--per-room", type=int, default=100)
    parser.add_argument("--hall", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loads", nargs="+", choices=["rooms", "hall"], default=["rooms", "hall"],
                        help="run only these loads (the JSON line needs both)")
    parser.add_argument("--targets", nargs="+", choices=["single", "cluster", "cluster-tcp"],
                        default=["single", "cluster"],
                        help="what to load: one process, the cluster (HAProxy reaches its workers on Unix "
                             "sockets), the cluster over TCP loopback (as across machines); the JSON line "
                             "needs single and cluster")
    parser.add_argument("--passes", type=int, default=3,
                        help="times over the targets for each load, one after another (pooled)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 rooms of 20, a hall of 200")
    args = parser.parse_args()
    if args.quick:
        args.rooms, args.per_room, args.hall = 5, 20, 200
    if not (BENCH / "node_modules" / "ws").exists():
        sys.exit("Install the bots first: cd bench && npm ci")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    log(f"bench-cluster on {machine()}, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    each = asyncio.run(bench(args, log))
    results = {kind: {name: pooled(passes) for name, passes in loads.items()} for kind, loads in each.items()}
    for loads in each.values():
        for passes in loads.values():
            for one in passes:
                del one["turn_values"], one["fanout_values"]
    if set(args.loads) != {"rooms", "hall"} or not {"single", "cluster"} <= set(args.targets):
        log("details: " + json.dumps(results))
        return
    single, cluster = results["single"], results["cluster"]
    # Pass by pass, to show the spread the pooled ratio hides.
    ratios = [round(args.workers * one["cpu_s_per_1000"] / many["cpu_s_per_1000"], 2)
              for one, many in zip(each["single"]["rooms"], each["cluster"]["rooms"], strict=True)]
    ratio = (args.workers * single["rooms"]["cpu_s_per_1000"] / cluster["rooms"]["cpu_s_per_1000"]
             if single["rooms"]["cpu_s_per_1000"] and cluster["rooms"]["cpu_s_per_1000"] else None)
    workers_ratio = (args.workers * single["rooms"]["workers_cpu_s_per_1000"]
                     / cluster["rooms"]["workers_cpu_s_per_1000"]
                     if cluster["rooms"]["workers_cpu_s_per_1000"] else None)
    line = {
        "cluster_workers": args.workers,
        "cluster_attendees": cluster["rooms"]["connected_at_once"],
        "cluster_join_failures": cluster["rooms"]["join_failures"],
        "cluster_join_s": cluster["rooms"]["join_s"],
        "cluster_turn_p95_ms": cluster["rooms"]["turn"]["p95"],
        "single_turn_p95_ms": single["rooms"]["turn"]["p95"],
        "cluster_fanout_p95_ms": cluster["rooms"]["fanout"]["p95"],
        "single_fanout_p95_ms": single["rooms"]["fanout"]["p95"],
        "cluster_capacity_ratio": round(ratio, 2) if ratio else None,
        "cluster_capacity_ratio_workers_only": round(workers_ratio, 2) if workers_ratio else None,
        "cluster_capacity_ratio_passes": ratios,
        **({"cluster_tcp_capacity_ratio": round(args.workers * single["rooms"]["cpu_s_per_1000"]
                                                / results["cluster-tcp"]["rooms"]["cpu_s_per_1000"], 2)}
           if "cluster-tcp" in results else {}),
        "single_cpu_s_per_1000": single["rooms"]["cpu_s_per_1000"],
        "cluster_cpu_s_per_1000": cluster["rooms"]["cpu_s_per_1000"],
        "hall_attendees": args.hall,
        "hall_single_turn_p95_ms": single["hall"]["turn"]["p95"],
        "hall_cluster_turn_p95_ms": cluster["hall"]["turn"]["p95"],
        "hall_single_fanout_p95_ms": single["hall"]["fanout"]["p95"],
        "hall_cluster_fanout_p95_ms": cluster["hall"]["fanout"]["p95"],
        "hall_join_failures": single["hall"]["join_failures"] + cluster["hall"]["join_failures"],
        "bots_cpu_share": max(r["bots_cpu_share"] for k in results.values() for r in k.values()),
    }
    log("details, pass by pass: " + json.dumps(each))
    log("details, pooled: " + json.dumps(results))
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
