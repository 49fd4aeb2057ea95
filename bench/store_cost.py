"""Where durable state lives (docs/scaling.md, section 4): what one join's commit costs in each place.

Local: the real store (SQLite, WAL, synchronous=NORMAL) saving the change of a join, as every
join does under its room's lock. Shared: the same bytes written to a redis-server over loopback
(the best case for a store on another machine: a LAN adds its round trip), once with
`appendfsync everysec` (loses up to a second on a crash, unlike the local store) and once with
`appendfsync always` (as durable as the local store). Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from workshop.core.agenda import load_agendas  # noqa: E402
from workshop.core.room import Room, Settings  # noqa: E402
from workshop.shell.keys import digest  # noqa: E402
from workshop.shell.store import Store  # noqa: E402

N = 2000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 3)


def figures(values_ms: list[float]) -> dict:
    return {"p50_ms": percentile(values_ms, 50), "p95_ms": percentile(values_ms, 95),
            "mean_ms": round(sum(values_ms) / len(values_ms), 3)}


def local_joins(folder: Path) -> tuple[dict, list[tuple[str, str]]]:
    """Time the real store's commit of each join's change; return the figures and the rows written."""
    agenda = load_agendas(ROOT / "agendas")[0]["quick-connect"]
    now = int(time.time() * 1000)
    room = Room("K7QF3M", digest("key"), agenda, now, Settings(max_attendees=N + 10))
    store = Store(folder / "store.db", secret="bench")
    store.create_room(room)
    rng, costs, rows = random.Random(1), [], []
    for i in range(N):
        change = room.join(f"a_{i:016x}", f"Bot {i}", digest(str(i)), now, rng)
        began = time.perf_counter()
        store.save(room, change, now)
        costs.append((time.perf_counter() - began) * 1000)
        rows.append((f"a_{i:016x}", json.dumps({"name": f"Bot {i}", "token_hash": digest(str(i)),
                                                   "joined_at": now, "status": "away"})))
    return figures(costs), rows


def redis_joins(folder: Path, fsync: str, rows: list[tuple[str, str]]) -> dict:
    """Time the same rows written to redis-server over loopback with the given appendfsync."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / f"redis-{fsync}"
    data.mkdir()
    command = [shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
               "--save", "", "--appendonly", "yes", "--appendfsync", fsync]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        costs = []
        for attendee_id, row in rows:
            began = time.perf_counter()
            with client.pipeline(transaction=True) as tx:
                tx.hset("room:K7QF3M:attendees", attendee_id, row)
                tx.hincrby("room:K7QF3M", "seq", 1)
                tx.execute()
            costs.append((time.perf_counter() - began) * 1000)
        return figures(costs)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="store-cost-") as tmp:
        folder = Path(tmp)
        local, rows = local_joins(folder)
        result = {"joins": N, "sqlite_wal_normal": local,
                  "redis_loopback_everysec": redis_joins(folder, "everysec", rows),
                  "redis_loopback_always": redis_joins(folder, "always", rows)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
