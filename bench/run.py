"""The load benchmark: join storm, fan-out against a bare broadcast, many rooms, timers, pairing, sizes.

    .venv/bin/python bench/run.py           # make bench: 1,000 in a room, 2,000 across 20 rooms
    .venv/bin/python bench/run.py --quick   # make bench-quick: under a minute

Everything runs on 127.0.0.1. Servers run in child processes, the bots in several load-generator processes
(bench/crowd.py), and latency is the bot's receive time minus the moment the facilitator emitted, both read
from `time.time()`, which every process on one host shares. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import crowd  # noqa: E402
import socketio  # noqa: E402
from servers import Facilitator, ServerProcess, create_workshop, pct  # noqa: E402

FULL = {"n": 1000, "reps": 20, "step_reps": 3, "rooms": 20, "per_room": 100, "workers": 4, "concurrency": 25,
        "sync_samples": 15}
QUICK = {"n": 200, "reps": 10, "step_reps": 2, "rooms": 4, "per_room": 100, "workers": 2, "concurrency": 25,
         "sync_samples": 15}
AGREEMENTS, ROUND_1, ROUND_2 = 1, 3, 4  # step indices in agendas/quick-connect.yaml
WAIT_S = 15


class Pool:
    """Load-generator processes, each asked the same thing or its share."""

    def __init__(self, size: int):
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes, self.locks = [], [], []
        for _ in range(size):
            mine, theirs = context.Pipe()
            process = context.Process(target=crowd.serve, args=(theirs,), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.locks.append(asyncio.Lock())
            self.processes.append(process)

    def share(self, n: int) -> list[tuple[int, int]]:
        """Split `n` bots into (first, count) per worker."""
        size = len(self.pipes)
        counts = [n // size + (i < n % size) for i in range(size)]
        return [(sum(counts[:i]), counts[i]) for i in range(size)]

    async def ask(self, i: int, *request):
        def exchange():
            self.pipes[i].send(request)
            return self.pipes[i].recv()
        async with self.locks[i]:  # one request at a time on a pipe
            answer = await asyncio.get_running_loop().run_in_executor(None, exchange)
        if isinstance(answer, dict) and "error" in answer:
            raise RuntimeError(f"worker {i}: {answer['error']}")
        return answer

    async def each(self, *request) -> list:
        return await asyncio.gather(*(self.ask(i, *request) for i in range(len(self.pipes))))

    async def total(self, *request) -> int:
        return sum(await self.each(*request))

    def stop(self) -> None:
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            try:
                pipe.send(("stop",))
                pipe.poll(20) and pipe.recv()
            except (OSError, EOFError):
                pass
            process.join(5)
            if process.is_alive():
                process.kill()


async def join_crowd(pool: Pool, key: str, url: str, code: str, n: int, concurrency: int,
                     offset: int = 0) -> dict:
    """Join `n` attendees across the workers at once; return seconds until the last one has its `you`."""
    began = time.time()
    specs = [[(key, url, code, count, offset + first)] for first, count in pool.share(n)]
    outcomes = await asyncio.gather(*(pool.ask(i, "join", spec, concurrency) for i, spec in enumerate(specs)))
    return {"seconds": max(o["done_at"] for o in outcomes) - began,
            "joined": sum(o["joined"] for o in outcomes), "failed": sum(o["failed"] for o in outcomes),
            "failures": sorted({f for o in outcomes for f in o["failures"]})[:5]}


async def prepare_round(fac: Facilitator, pool: Pool, key: str, n: int) -> None:
    """Agreements (the bots agree), then round 1 with everyone paired, then its timer."""
    await fac.command("go_to_step", {"index": AGREEMENTS})
    agreed = await pool.total("wait_agreed", key, WAIT_S)
    if agreed < n:
        print(f"  warning: only {agreed} of {n} agreed", flush=True)
    await fac.command("go_to_step", {"index": ROUND_1})
    await fac.command("start_timer")


def latencies(arrivals: list[dict], emitted: dict[int, float]) -> tuple[list[float], int]:
    """Return every receive-minus-emit latency in ms, and how many messages never came."""
    found, missed = [], 0
    for seen in arrivals:
        for seq, at in emitted.items():
            if seq in seen:
                found.append((seen[seq] - at) * 1000)
            else:
                missed += 1
    return found, missed


def summary(values: list[float], missed: int = 0) -> dict:
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "max": round(max(values), 1) if values else None, "missed": missed}


async def fanout(pools: Pool, targets: list[tuple], reps: int) -> dict[str, dict]:
    """Send `reps` shared changes to each target in turn; targets are (key, send) with send() -> (t, seq)."""
    emitted: dict[str, dict[int, float]] = {key: {} for key, _ in targets}
    for rep in range(reps):
        for key, send in targets:
            at, seq = await send(rep)
            emitted[key][seq] = at
            await pools.total("wait_seq", key, seq, WAIT_S)
            await asyncio.sleep(0.05)
    results = {}
    for key, _ in targets:
        arrivals = [a for part in await pools.each("arrivals", key) for a in part]
        results[key] = summary(*latencies(arrivals, emitted[key]))
    return results


def timer_sender(fac: Facilitator):
    """Alternate pause and resume: a timer change that every phone must show."""
    async def send(rep: int) -> tuple[float, int]:
        return await fac.command("pause_timer" if rep % 2 == 0 else "resume_timer")
    return send


async def step_changes(fac: Facilitator, pool: Pool, key: str, reps: int) -> dict:
    """Move between the two rounds: a new room state plus a personal `you` to every attendee."""
    sent = []
    for rep in range(reps):
        at, _ = await fac.command("go_to_step", {"index": ROUND_2 if rep % 2 == 0 else ROUND_1})
        sent.append(at)
        await pool.total("wait_you", key, at, WAIT_S)
        await asyncio.sleep(0.05)
    values, missed = [], 0
    for times in [t for part in await pool.each("you_arrivals", key) for t in part]:
        for i, at in enumerate(sent):
            until = sent[i + 1] if i + 1 < len(sent) else float("inf")
            first = next((t for t in times if at < t < until), None)
            if first is None:
                missed += 1
            else:
                values.append((first - at) * 1000)
    return summary(values, missed)


async def timer_agreement(fac: Facilitator, pool: Pool, key: str, shift_ms: float, samples: int) -> dict:
    """Skew every clock by up to +/- `shift_ms`, add 100 +/- 50 ms each way, sync, start a timer.

    The bots estimate their offset as the attendee page does on connect (the middle of the interval
    its first 12 samples allow); the first 5 and all samples are judged the same way for comparison.
    """
    await pool.total("network", key, shift_ms, 100, 50)
    synced = await pool.total("sync", key, samples, 100)
    at, seq = await fac.command("start_timer")
    await pool.total("wait_seq", key, seq, WAIT_S)
    deadline = fac.rooms[seq]["timer"]["deadline"]
    found = [d for part in await pool.each("deadlines", key, seq) for d in part]
    await pool.total("network", key, 0, 0, 0)
    result = {"bots": len(found), "synced": synced}
    for method in ("page", "interval_5", "interval_all"):
        errors = sorted(d[method] - deadline for d in found)
        middle95 = errors[int(0.975 * (len(errors) - 1))] - errors[int(0.025 * (len(errors) - 1))]
        result[method] = {"spread_ms": round(errors[-1] - errors[0], 1), "spread_95_ms": round(middle95, 1),
                          "worst_error_ms": round(max(abs(errors[0]), abs(errors[-1])), 1)}
    result["samples"] = samples
    return result


async def late_joiners(fac: Facilitator, pool: Pool, key: str, url: str, n: int, concurrency: int) -> dict:
    """Let `n` more people join mid-round and agree; count the shared `room` messages that caused."""
    before = fac.seq
    joined = await join_crowd(pool, f"{key}-late", url, fac.room["code"], n, concurrency, offset=10_000)
    agreed = await pool.total("wait_agreed", f"{key}-late", WAIT_S)
    await asyncio.sleep(0.5)
    await pool.each("close", f"{key}-late")
    return {"late": {"joined": joined["joined"], "agreed": agreed, "seconds": round(joined["seconds"], 2),
                     "room_broadcasts": fac.seq - before}}


def packet_bytes(event: str, data: dict) -> int:
    """Return the size of an event as the server sends it: engine.io '4' + socket.io packet, UTF-8."""
    from workshop.shell.events import WireJSON

    class WirePacket(socketio.packet.Packet):
        json = WireJSON

    encoded = WirePacket(socketio.packet.EVENT, data=[event, data]).encode()
    return len(("4" + encoded).encode())


class Baseline:
    """The bare broadcast server with N bots in one room, for as long as the run compares against it."""

    def __init__(self, server: ServerProcess, client: socketio.AsyncClient):
        self.server, self.client, self.payload = server, client, {}

    @classmethod
    async def start(cls, pool: Pool, folder: Path, n: int, concurrency: int) -> Baseline:
        server = ServerProcess("baseline", folder, "--max-connections", "20000").start()
        rss_before = server.rss_kb()
        outcomes = await asyncio.gather(*(pool.ask(i, "plain", "base", server.url, "bench", count, first,
                                                   concurrency)
                                          for i, (first, count) in enumerate(pool.share(n))))
        failed = sum(o["failed"] for o in outcomes)
        if failed:
            print(f"  warning: {failed} baseline connections failed", flush=True)
        client = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        await client.connect(server.url, auth={"room": "baseline-console"}, transports=["websocket"])
        baseline = cls(server, client)
        baseline.rss_kb_per_connection = round((server.rss_kb() - rss_before) / n, 1)
        return baseline

    async def send(self, rep: int) -> tuple[float, int]:
        at = time.time()
        ack = await self.client.call("trigger", {"room": "bench", "payload": self.payload}, timeout=WAIT_S)
        return at, ack["seq"]

    async def stop(self, pool: Pool) -> None:
        await pool.each("close", "base")
        if self.client.connected:
            await self.client.disconnect()
        self.server.stop()


async def one_room(kind: str, cfg: dict, pool: Pool, baseline: Baseline, folder: Path, out: dict,
                   log) -> None:
    """N attendees join one room on the `kind` server; timer changes go out interleaved with the baseline."""
    extra = ("--max-connections", "20000") if kind == "workshop" else ()
    server = ServerProcess(kind, folder, "--grace", "600", *extra).start()
    prefix = "" if kind == "workshop" else "gevent_"
    fac = None
    try:
        fac = await Facilitator.connect(server.url, await asyncio.to_thread(create_workshop, server.url))
        code = fac.room["code"]
        rss_before = server.rss_kb()
        log(f"[{kind}] join storm: {cfg['n']} attendees into one room")
        joined = await join_crowd(pool, kind, server.url, code, cfg["n"], cfg["concurrency"])
        log(f"  {joined}")
        out.update({f"{prefix}join_storm_s": round(joined["seconds"], 2),
                    f"{prefix}join_failures": joined["failed"]})
        if joined["failures"]:
            out[f"{prefix}join_failure_kinds"] = joined["failures"]
        await prepare_round(fac, pool, kind, joined["joined"])
        if not baseline.payload:
            baseline.payload = fac.room
            room_state, you = await pool.ask(0, "sample", kind)
            out.update(room_bytes=packet_bytes("room", room_state), you_bytes=packet_bytes("you", you))
            out["attendee_state_bytes"] = out["room_bytes"] + out["you_bytes"]
        log(f"[{kind}] fan-out: {cfg['reps']} timer changes to {cfg['n']}, interleaved with the baseline")
        results = await fanout(pool, [("base", baseline.send), (kind, timer_sender(fac))], cfg["reps"])
        mine, base = results[kind], results["base"]
        log(f"  {kind:8} {mine}\n  baseline {base}")
        out.update({f"{prefix}fanout": mine, f"{prefix}baseline": base, f"{prefix}fanout_p95_ms": mine["p95"],
                    f"{prefix}baseline_p95_ms": base["p95"],
                    f"{prefix}fanout_p95_ratio": round(mine["p95"] / base["p95"], 2),
                    f"{prefix}fanout_missed": mine["missed"]})
        if kind == "workshop":
            log(f"[{kind}] step changes: {cfg['step_reps']} moves between rounds (a room and a `you` each)")
            out["step_change"] = await step_changes(fac, pool, kind, cfg["step_reps"])
            log(f"  {out['step_change']}")
            log(f"[{kind}] timer agreement: clocks +/- 5 min apart, 100 +/- 50 ms each way")
            out["timer"] = await timer_agreement(fac, pool, kind, 300_000, cfg["sync_samples"])
            out["timer_spread_ms"] = out["timer"]["page"]["spread_ms"]
            out["timer_spread_interval_ms"] = out["timer"]["interval_all"]["spread_ms"]
            log(f"  {out['timer']}")
            out.update(await late_joiners(fac, pool, kind, server.url, cfg["n"] // 10, cfg["concurrency"]))
            log(f"  {out['late']}")
        rss = server.rss_kb()
        out[f"{prefix}rss_kb_per_attendee_one_room"] = round((rss - rss_before) / cfg["n"], 1)
    finally:
        await pool.each("close", kind)
        if fac:
            await fac.close()
        server.stop()


async def many_rooms(cfg: dict, pool: Pool, folder: Path, out: dict, log) -> None:
    """Rooms running a round at once on one server; the turns change on the server's clock."""
    rooms, per_room = cfg["rooms"], cfg["per_room"]
    server = ServerProcess("workshop", folder, "--time-scale", "0.02", "--grace", "600",
                           "--max-connections", "20000").start()
    facs: list[Facilitator] = []
    try:
        for _ in range(rooms):
            workshop = await asyncio.to_thread(create_workshop, server.url)
            facs.append(await Facilitator.connect(server.url, workshop))
        rss_idle = server.rss_kb()
        log(f"[rooms] {rooms * per_room} attendees join {rooms} rooms at once")
        specs = [[] for _ in pool.pipes]
        for j, fac in enumerate(facs):
            specs[j % len(specs)].append((f"r{j}", server.url, fac.room["code"], per_room, j * per_room))
        began = time.time()
        outcomes = await asyncio.gather(*(pool.ask(i, "join", s, max(2, cfg["concurrency"] // len(s)))
                                          for i, s in enumerate(specs) if s))
        out.update(rooms_attendees=rooms * per_room,
                   rooms_join_s=round(max(o["done_at"] for o in outcomes) - began, 2),
                   rooms_join_failures=sum(o["failed"] for o in outcomes))
        log(f"  joined in {out['rooms_join_s']} s, {out['rooms_join_failures']} failed")
        await asyncio.gather(*(fac.command("go_to_step", {"index": AGREEMENTS}) for fac in facs))
        for j in range(rooms):
            await pool.ask(j % len(specs), "wait_agreed", f"r{j}", WAIT_S)
        await asyncio.gather(*(fac.command("go_to_step", {"index": ROUND_1}) for fac in facs))
        started = await asyncio.gather(*(fac.command("start_timer") for fac in facs))
        log("[rooms] every room runs round 1; the server moves each turn at its deadline")
        peak = server.rss_kb()
        end = time.monotonic() + 60
        while time.monotonic() < end and not all(fac.room["phase"]["speaker"] is None for fac in facs):
            await asyncio.sleep(0.25)
            peak = max(peak, server.rss_kb())
        values, missed = [], 0
        for j, fac in enumerate(facs):
            turns = {seq: room["timer"]["deadline"] - room["timer"]["duration_ms"]
                     for seq, room in fac.rooms.items()
                     if seq >= started[j][1] and (room["timer"] or {}).get("state") == "running"}
            for seen in await pool.ask(j % len(specs), "arrivals", f"r{j}"):
                for seq, began_ms in turns.items():
                    if seq in seen:
                        values.append(seen[seq] * 1000 - began_ms)
                    else:
                        missed += 1
        out["rooms_turn_latency"] = summary(values, missed)
        out.update(rooms_turn_p95_ms=out["rooms_turn_latency"]["p95"], rss_kb_idle=rss_idle, rss_kb_peak=peak,
                   rss_kb_per_attendee=round((peak - rss_idle) / (rooms * per_room), 1))
        log(f"  turn changes {out['rooms_turn_latency']}\n  RSS idle {rss_idle} kB, peak {peak} kB")
    finally:
        for j in range(len(facs)):
            await pool.ask(j % len(pool.pipes), "close", f"r{j}")
        for fac in facs:
            await fac.close()
        server.stop()


def pairing_figures(rounds: int) -> dict:
    """Run bench/pairing_bench.py for 10,000 people; fall back to timing make_groups here."""
    try:
        done = subprocess.run([sys.executable, "bench/pairing_bench.py", "--people", "10000", "--rounds",
                               str(rounds), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        return {"pairing_10k_ms": figures["pairing_10k_ms"], "pairing": figures}
    except (subprocess.SubprocessError, ValueError, IndexError, KeyError):
        from workshop.core.pairing.form import make_groups
        began = time.perf_counter()
        make_groups([f"a_{i:016x}" for i in range(10_000)], random.Random(1))
        return {"pairing_10k_ms": round((time.perf_counter() - began) * 1000, 1)}


def worst_sizes() -> dict:
    """Return the largest `you` (a triad of 40-emoji names) and `room` the shipped agendas can produce."""
    from workshop.core.agenda import load_agendas
    from workshop.core.room import Room, Settings
    from workshop.core.view import room_view, you_view
    agendas, _ = load_agendas(ROOT / "agendas")
    rng, you, room_size = random.Random(1), 0, 0
    for agenda in agendas.values():
        room = Room("ABCDEF", "0" * 64, agenda, 0, Settings())
        for i in range(3):
            room.join(f"a_{i:016x}", "\U0001F331" * 40, f"{i}" * 64, 0, rng)
            if room.needs_agreement:
                room.agree(f"a_{i:016x}", rng)
        for index, step in enumerate(agenda.steps):
            room.go_to_step(index, 0, rng)
            room_size = max(room_size, packet_bytes("room", room_view(room)))
            if step.kind == "round":
                you = max(you, packet_bytes("you", you_view(room, "a_0000000000000000")))
    return {"you_bytes_worst": you, "room_bytes_worst": room_size}


def machine() -> str:
    """Return the CPU count, model and memory, for the record."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return f"{os.cpu_count()} x {model}, {memory_kb // 1024 ** 2} GB RAM, Python {sys.version.split()[0]}"


def raise_file_limit() -> int:
    """Let this process and its children (servers and workers) hold many sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def bench(cfg: dict, log) -> dict:
    out: dict = {"mode": "quick" if cfg is QUICK else "full", "attendees": cfg["n"], "reps": cfg["reps"]}
    pool = Pool(cfg["workers"])
    with tempfile.TemporaryDirectory(prefix="h2h-bench-") as folder:
        folder = Path(folder)
        baseline = None
        try:
            baseline = await Baseline.start(pool, folder, cfg["n"], cfg["concurrency"])
            out["baseline_rss_kb_per_connection"] = baseline.rss_kb_per_connection
            await one_room("workshop", cfg, pool, baseline, folder, out, log)
            await one_room("gevent", cfg, pool, baseline, folder, out, log)
            await baseline.stop(pool)
            await many_rooms(cfg, pool, folder, out, log)
        finally:
            if baseline:
                baseline.server.stop()
            pool.stop()
    log("[pairing] 10,000 people")
    out.update(pairing_figures(3 if cfg is QUICK else 5))
    try:
        out.update(worst_sizes())
    except Exception as error:  # the room's API may move; the measured sizes above still stand
        out["worst_sizes_error"] = repr(error)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts; under a minute")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    out = {"file_limit": raise_file_limit(), "machine": machine(), "load_start": os.getloadavg()[0]}
    began = time.monotonic()

    def log(text: str) -> None:
        print(f"{time.monotonic() - began:6.1f}s {text}", flush=True)

    out.update(asyncio.run(bench(cfg, log)))
    out.update(seconds=round(time.monotonic() - began, 1), load_end=os.getloadavg()[0])
    targets = {
        "fanout_p95_ratio <= 1.25": out.get("fanout_p95_ratio", 99) <= 1.25,
        "join_storm_s < 10, no failures": out.get("join_storm_s", 99) < 10 and out.get("join_failures") == 0,
        "timer_spread_ms < 50": out.get("timer_spread_ms", 999) < 50,
        "you_bytes < 2048": out.get("you_bytes", 9999) < 2048,
    }
    for name, met in targets.items():
        print(f"target {name}: {'met' if met else 'MISSED'}")
    out["targets_met"] = all(targets.values())
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
