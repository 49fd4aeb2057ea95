"""The bot client against a real server: phones agree, get partners, share one countdown, give feedback."""

import asyncio
import json
import subprocess
import sys

import pytest

from bench.simulate import Crowd, Network, random_answers

from .support import ROOT, Server, facilitator, wait_until


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """One real server for the module: each test opens its own workshop on it."""
    running = Server(tmp_path_factory.mktemp("simulate") / "x.db", "--time-scale", "0.01").start()
    yield running
    running.stop()


def step_index(console, kind):
    return next(s["index"] for s in console.latest("console")["agenda"]["steps"] if s["kind"] == kind)


async def until(predicate, timeout=5.0):
    """Wait in the event loop until `predicate()` holds."""
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


@pytest.mark.server
def test_ten_bots_agree_pair_up_and_share_one_deadline(slow_server):
    workshop = slow_server.create_workshop("quick-connect")
    console = facilitator(slow_server, workshop)
    assert console.send("go_to_step", {"index": step_index(console, "agreements")}) == {"ok": True}

    async def scenario():
        network = Network(shift_ms=300_000, delay_ms=20, jitter_ms=10)  # clocks minutes apart, a slow Wi-Fi
        crowd = await Crowd.start(slow_server.url, workshop["code"], 10, network=network, agree=True,
                                  feedback=True, seed=1)
        try:
            await until(lambda: all(bot.you["attendee"]["agreed"] for bot in crowd.joined))
            await crowd.sync_clocks(samples=3)
            await asyncio.to_thread(console.send, "go_to_step", {"index": step_index(console, "round")})
            assert await asyncio.to_thread(console.send, "start_timer") == {"ok": True}
            await until(lambda: all((b.room["timer"] or {}).get("state") == "running" for b in crowd.bots))
            during_round = crowd.report()
            assert await asyncio.to_thread(console.send, "open_feedback") == {"ok": True}
            await until(lambda: all(bot.you["attendee"]["answered"] for bot in crowd.bots))
            await crowd.settle()
            return during_round, crowd.report()
        finally:
            await crowd.close()

    report, after_feedback = asyncio.run(scenario())
    checks = report["checks"]
    assert checks["joined"] == 10 and checks["failed"] == 0
    assert checks["grouped"] == 10 and checks["alone"] == 0 and checks["groups_consistent"]
    assert checks["same_step"] and checks["same_deadline"]
    assert checks["deadline_spread_ms"] < 50
    for bot in report["bots"]:
        assert bot["kind"] == "round" and bot["role"] in ("A", "B", "C")
        assert bot["partners"] and bot["prompt"] and bot["local_deadline"]
    assert after_feedback["checks"]["errors"] == 0
    wait_until(lambda: (console.latest("feedback_count") or {}).get("responses") == 10, what="ten responses")


@pytest.mark.server
def test_command_line_prints_the_report_as_json_last(slow_server):
    workshop = slow_server.create_workshop("quick-connect")
    out = subprocess.run(
        [sys.executable, "bench/simulate.py", "--url", slow_server.url, "--code", workshop["code"],
         "--attendees", "3", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("Bot 0000: step 0 welcome")
    report = json.loads(lines[-1])
    assert report["checks"]["joined"] == 3 and report["checks"]["same_step"]


@pytest.mark.server
def test_a_wrong_code_counts_as_a_failed_join(slow_server):
    async def scenario():
        crowd = await Crowd.start(slow_server.url, "ZZZZZZ", 2)
        await crowd.close()
        return crowd.report()

    checks = asyncio.run(scenario())["checks"]
    assert checks["failed"] == 2 and checks["failures"] == ["join 404 room_unavailable"]


def test_random_answers_are_valid_for_each_kind_of_question():
    import random
    step = {"questions": [{"id": "s", "type": "scale"}, {"id": "o", "type": "single", "options": ["x", "y"]},
                          {"id": "m", "type": "multiple", "options": ["x", "y", "z"]},
                          {"id": "t", "type": "text"}]}
    answers = random_answers(step, random.Random(3))
    assert 1 <= answers["s"] <= 5 and answers["o"] in ("x", "y")
    assert answers["m"] and set(answers["m"]) <= {"x", "y", "z"} and isinstance(answers["t"], str)
