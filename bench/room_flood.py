"""Memory under a flood of room creations: RSS and the size of Live's maps, before, during and after.

    python bench/room_flood.py [--addresses 100] [--tries 25]

Serves the app under eventlet on 127.0.0.1 in this process (so that Live's maps can be read),
behind one trusted proxy hop, and floods POST /api/workshops from `--addresses` made-up
addresses (X-Forwarded-For), `--tries` each. Then it ends every room through Live.run, as
`end_workshop` does, and floods again from other addresses. Prints one JSON object;
docs/reliability.md keeps the figures.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet.wsgi  # noqa: E402
import requests  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop import create_app  # noqa: E402


def rss_mb() -> float:
    """Return this process's resident memory in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def maps(live) -> dict:
    """Return how many entries the registry, the connections and the clock keep in each of their maps."""
    return {"rooms": len(live.rooms.rooms), "locks": len(live.rooms.locks), "tokens": len(live.rooms.tokens),
            "connections": len(live.connections.by_sid), "timer_at": len(live.clock.timer_at),
            "deadlines": len(live.clock.deadlines), "creation_buckets": len(live.creations.buckets),
            "code_budgets": len(live.code_guard.budgets)}


def flood(url: str, addresses: int, tries: int, first: int = 0) -> dict:
    """Try to start `tries` workshops from each made-up address; count the answers."""
    counts: dict[str, int] = {}
    session = requests.Session()
    began = time.monotonic()
    for _ in range(tries):
        for a in range(first, first + addresses):
            answer = session.post(f"{url}/api/workshops", json={"agenda": "quick-connect"},
                                  headers={"X-Forwarded-For": f"10.{a // 250}.{a % 250}.7"}, timeout=10)
            counts[str(answer.status_code)] = counts.get(str(answer.status_code), 0) + 1
    return {"answers": counts, "seconds": round(time.monotonic() - began, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--addresses", type=int, default=100)
    parser.add_argument("--tries", type=int, default=25)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="flood-"))
    app = create_app({"DB": str(folder / "flood.db"), "INSTANCE": str(folder / "instance"),
                      "ASYNC_MODE": "eventlet", "PROXY_HOPS": 1, "ORGANIZER_KEY": "flood"})
    live = app.extensions["workshop"]
    listener = eventlet.listen(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    eventlet.spawn(eventlet.wsgi.server, listener, app, log_output=False)
    eventlet.sleep(0.1)
    requests.get(url + "/healthz", timeout=5)
    report = {"before": {"rss_mb": round(rss_mb(), 1), **maps(live)}}
    report["flood_1"] = flood(url, args.addresses, args.tries)
    report["after_flood_1"] = {"rss_mb": round(rss_mb(), 1), **maps(live)}
    now = live.clock()
    for code in list(live.rooms.rooms):
        live.rooms.run(code, lambda room: room.end(now))
    report["after_ending_all"] = {"rss_mb": round(rss_mb(), 1), **maps(live)}
    report["flood_2"] = flood(url, args.addresses, args.tries, first=args.addresses)  # fresh addresses
    report["after_flood_2"] = {"rss_mb": round(rss_mb(), 1), **maps(live)}
    print(json.dumps(report, indent=2))
    live.stop()


if __name__ == "__main__":
    main()
