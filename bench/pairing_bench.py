"""Measure pairing speed: a round for a big room, and live changes in a 1,000-person room.

Usage: python bench/pairing_bench.py [--people 10000] [--rounds 5] [--json]
The last line printed is one JSON object with every figure.
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop.core.pairing.form import History, Pairing, make_groups  # noqa: E402
from workshop.core.pairing.regroup import add_person, remove_person  # noqa: E402

LIVE_ROOM = 1_000
LIVE_CALLS = 2_000


def time_rounds(people: list[str], rounds: int, odd: str) -> list[float]:
    """Hold rounds with history and return each make_groups time in ms."""
    rng, history, times = random.Random(1), History(), []
    for _ in range(rounds):
        start = time.perf_counter()
        pairing = make_groups(people, rng, history=history, odd=odd)
        times.append((time.perf_counter() - start) * 1000)
        history.record(pairing.groups)
    return times


def time_live_changes(cold: bool) -> tuple[float, float]:
    """Return mean microseconds per add_person and remove_person call in a 1,000-person room.

    Cold calls rebuild the Pairing from its groups each time, as a caller that keeps no Pairing would.
    """
    rng, history = random.Random(2), History()
    present = [f"a{i}" for i in range(LIVE_ROOM)]
    pairing = make_groups(present, rng, history=history)
    history.record(pairing.groups)
    adding = removing = 0.0
    for i in range(LIVE_CALLS):
        leaving = present.pop(rng.randrange(len(present)))
        if cold:
            pairing = Pairing(list(pairing.groups), list(pairing.waiting))
        start = time.perf_counter()
        pairing = remove_person(pairing, leaving, history, rng)
        removing += time.perf_counter() - start
        present.append(f"b{i}")
        if cold:
            pairing = Pairing(list(pairing.groups), list(pairing.waiting))
        start = time.perf_counter()
        pairing = add_person(pairing, present[-1], history, rng)
        adding += time.perf_counter() - start
    return adding / LIVE_CALLS * 1e6, removing / LIVE_CALLS * 1e6


def label(count: int) -> str:
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    name = label(args.people)
    figures, rows = {}, []
    for odd, count, key in (("triad", args.people, f"pairing_{name}"),
                            ("triad", args.people + 1, f"pairing_{name}_odd_triad"),
                            ("facilitator", args.people + 1, f"pairing_{name}_odd_facilitator")):
        times = time_rounds([f"p{i}" for i in range(count)], args.rounds, odd)
        figures[f"{key}_ms"] = round(statistics.median(times), 1)
        figures[f"{key}_max_ms"] = round(max(times), 1)
        rows.append((f"make_groups {count} people, {odd}", f"median {statistics.median(times):.1f} ms",
                     f"max {max(times):.1f} ms"))
    for cold in (False, True):
        add_us, remove_us = time_live_changes(cold)
        suffix = "_cold" if cold else ""
        figures[f"add_person_1k{suffix}_us"] = round(add_us, 1)
        figures[f"remove_person_1k{suffix}_us"] = round(remove_us, 1)
        how = "fresh Pairing each call" if cold else "kept Pairing"
        rows.append((f"add_person / remove_person, {LIVE_ROOM} people, {how}",
                     f"{add_us:.1f} us", f"{remove_us:.1f} us"))
    if not args.json:
        width = max(len(row[0]) for row in rows)
        for row in rows:
            print(f"{row[0]:<{width}}  {row[1]:>18}  {row[2]:>14}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
