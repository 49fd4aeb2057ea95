"""Faults with real clients: kill -9 mid-round and mid-feedback, reconnection storms, a bad network.

Crowds are python-socketio AsyncClients in one event loop (a thread each would not scale); a few
phones go through `tests/proxy.py`, which cuts, refuses or silently stalls their connections.
Each test stops every server it starts. Figures go to `artifacts/faults.json` for
docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest
import requests
import socketio

from workshop.shell.ballot import mark

from .proxy import Proxy
from .support import ROOT, Phone, Server, facilitator, wait_until

pytestmark = pytest.mark.server

FIGURES = ROOT / "artifacts" / "faults.json"


def record(name: str, **figures) -> None:
    """Keep a test's figures for the reliability doc."""
    FIGURES.parent.mkdir(exist_ok=True)
    found = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    found[name] = {**figures, "at": time.strftime("%Y-%m-%d %H:%M:%S")}
    FIGURES.write_text(json.dumps(found, indent=2, sort_keys=True))
    print(name, figures)


def ballot_box(server: Server, code: str) -> tuple[int, set[str]]:
    """Return how many answers the ballot box holds for a room, and which bots' marks it lists."""
    box = sqlite3.connect(f"{server.db}.feedback")
    try:
        bags = {kind: json.loads(body) for kind, body in
                box.execute("SELECT kind, body FROM bags WHERE code = ?", [code])}
    finally:
        box.close()
    secret = (server.db.parent / "instance" / "secret.key").read_text().strip()
    people = [r[0] for r in rows(server.db, "SELECT id FROM attendees WHERE code = ?", code)]
    marks = set(bags.get("answered", []))
    return (len(bags.get("published", [])) + len(bags.get("pending", [])),
            {who for who in people if mark(secret, code, who) in marks})


def rows(db: Path, sql: str, *args) -> list[tuple]:
    """Read the server's database while it runs (WAL lets a reader in)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute(sql, args).fetchall()


def assert_intact(db: Path) -> None:
    """The database file survived the crash whole."""
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def step_index(console: Phone, kind: str) -> int:
    return next(s["index"] for s in console.latest("console")["agenda"]["steps"] if s["kind"] == kind)


# -- a crowd of asyncio clients ------------------------------------------------------------------------

class Bot:
    """One attendee's phone: joins over HTTP, keeps the newest `room` and `you`, reconnects by itself."""

    def __init__(self, url: str, session: aiohttp.ClientSession, name: str):
        self.url, self.session, self.name = url, session, name
        self.room: dict | None = None
        self.you: dict | None = None
        self.connects = 0
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1.0,
                                        request_timeout=10, http_session=session, handle_sigint=False)
        self.sio.on("room", self.on_room)
        self.sio.on("you", self.on_you)
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)

    async def on_room(self, data):
        if self.room is None or data["seq"] >= self.room["seq"]:
            self.room = data

    async def on_you(self, data):
        self.you = data

    async def on_connect(self):
        self.connects += 1

    async def on_disconnect(self, reason=None):
        self.room = self.you = None  # what comes back after a reconnection is the server's word

    async def join(self, code: str) -> None:
        async with self.session.post(f"{self.url}/api/join", json={"code": code, "name": self.name},
                                     timeout=aiohttp.ClientTimeout(total=30)) as response:
            body = await response.json()
            assert response.status == 201, body
        self.id, self.token, self.code = body["attendee_id"], body["token"], body["code"]

    async def connect(self) -> None:
        await self.sio.connect(self.url, auth={"role": "attendee", "code": self.code, "token": self.token},
                               transports=["websocket"], wait_timeout=30)

    async def call(self, event: str, data: dict | None = None, timeout: float = 10) -> dict:
        """Send and wait for the acknowledgement; between a drop and the reconnection, wait to be back.

        python-socketio refuses to send (BadNamespaceError) before anything leaves, so waiting and
        sending once connected is what a phone does, and nothing is sent twice.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                return await self.sio.call(event, data or {}, timeout=timeout)
            except socketio.exceptions.BadNamespaceError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.05)


class Crowd:
    """Many bots in one room, sharing one HTTP session."""

    def __init__(self, url: str, n: int, prefix: str = "Bot"):
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                             cookie_jar=aiohttp.DummyCookieJar())
        self.bots = [Bot(url, self.session, f"{prefix} {i:04d}") for i in range(n)]

    async def each(self, action, concurrency: int = 50) -> list:
        gate = asyncio.Semaphore(concurrency)

        async def one(bot):
            async with gate:
                return await action(bot)

        return await asyncio.gather(*(one(bot) for bot in self.bots))

    async def until(self, predicate, timeout: float, what: str) -> float:
        """Wait until every bot satisfies `predicate`; return how long that took."""
        began = time.perf_counter()
        while time.perf_counter() - began < timeout:
            if all(predicate(bot) for bot in self.bots):
                return time.perf_counter() - began
            await asyncio.sleep(0.02)
        missing = [bot.name for bot in self.bots if not predicate(bot)]
        raise AssertionError(f"{len(missing)} bots never got {what} within {timeout}s: {missing[:5]}")

    async def close(self) -> None:
        await asyncio.gather(*(bot.sio.disconnect() for bot in self.bots), return_exceptions=True)
        await self.session.close()


def timer_of(bot: Bot) -> dict:
    return (bot.room or {}).get("timer") or {}


# -- kill -9 mid-round and mid-feedback ---------------------------------------------------------------

def test_sigkill_mid_round_and_mid_feedback_loses_nothing_and_every_phone_resumes(tmp_path):
    server = Server(tmp_path / "kill.db", "--time-scale", "0.2", "--grace", "120").start()
    console = None
    try:
        workshop = server.create_workshop("quick-connect")
        code = workshop["code"]
        console = facilitator(server, workshop)
        figures = asyncio.run(_kill_scenario(server, console, code, n=120))
        record("sigkill", **figures)
    finally:
        if console is not None:
            console.client.reconnection = False
            console.close()
        server.stop()


async def _kill_scenario(server: Server, console: Phone, code: str, n: int) -> dict:
    send = lambda *args: asyncio.to_thread(console.send, *args)  # noqa: E731
    crowd = Crowd(server.url, n)
    try:
        began = time.perf_counter()
        await crowd.each(lambda bot: bot.join(code))
        await crowd.each(lambda bot: bot.connect())
        await crowd.until(lambda bot: bot.you is not None, 30, "a first `you`")
        join_s = time.perf_counter() - began
        acks = await crowd.each(lambda bot: bot.call("agree"))
        assert all(ack == {"ok": True} for ack in acks)
        assert (await send("go_to_step", {"index": step_index(console, "round")}))["ok"]
        await crowd.until(lambda bot: bot.you and bot.you["group"], 30, "a group")
        assert (await send("start_timer", {})) == {"ok": True}
        await crowd.until(lambda bot: timer_of(bot).get("state") == "running", 30, "a running timer")
        before = {bot.id: (bot.you["group"]["id"], bot.room["step"]["index"], bot.room["phase"]["index"],
                           timer_of(bot)["deadline"]) for bot in crowd.bots}
        assert len({deadline for *_, deadline in before.values()}) == 1
        groups_seen = {group for group, *_ in before.values()}

        # kill -9 in the middle of the first turn
        await asyncio.to_thread(server.kill)
        await asyncio.to_thread(server.start)
        resume_round_s = await crowd.until(lambda bot: bot.you is not None and bot.room is not None, 60,
                                           "their state back after the first restart")
        moved_on = 0
        for bot in crowd.bots:
            group, step, phase, deadline = before[bot.id]
            assert bot.you["attendee"]["id"] == bot.id
            assert bot.you["group"]["id"] == group
            assert bot.room["step"]["index"] == step
            if bot.room["phase"]["index"] == phase:
                assert timer_of(bot)["deadline"] == deadline
            else:
                moved_on += 1
        assert rows(server.db, "SELECT count(*) FROM attendees WHERE code = ?", code)[0][0] == n
        assert {r[0] for r in rows(server.db, "SELECT id FROM groups WHERE code = ?", code)} == groups_seen

        # kill -9 while the feedback comes in: some answers acknowledged, some in flight
        await asyncio.to_thread(console.wait_for, lambda c: c.client.connected, "console back", 20)
        assert (await send("open_feedback", {}))["ok"]
        await crowd.until(lambda bot: bot.room and bot.room["feedback"]["open"], 30, "the open form")
        acknowledged: set[str] = set()
        answers = {"overall": 4, "listened_to": 5, "pace": "About right", "anything_else": "Thank you."}

        async def answer(bot: Bot, delay: float) -> None:
            await asyncio.sleep(delay)
            try:
                if (await bot.call("send_feedback", {"answers": answers}, timeout=3)) == {"ok": True}:
                    acknowledged.add(bot.id)
            except Exception:  # the server died under it: not acknowledged
                pass

        tasks = [asyncio.create_task(answer(bot, i * 0.004)) for i, bot in enumerate(crowd.bots)]
        for _ in range(500):
            if len(acknowledged) >= n // 3:
                break
            await asyncio.sleep(0.01)
        await asyncio.to_thread(server.kill)
        acknowledged_at_kill = set(acknowledged)
        await asyncio.gather(*tasks)
        await asyncio.to_thread(server.start)
        resume_feedback_s = await crowd.until(lambda bot: bot.you is not None and bot.room is not None, 60,
                                              "their state back after the second restart")
        stored, answered = ballot_box(server, code)
        assert acknowledged <= answered, "an acknowledged answer was lost"
        assert stored == len(answered), "responses and the has-answered list disagree"
        for bot in crowd.bots:
            assert bot.you["attendee"]["answered"] == (bot.id in answered)
            assert bot.room["feedback"]["open"] is True

        # everyone sends again: the ones the server kept are refused, the others are taken
        again = await crowd.each(lambda bot: bot.call("send_feedback", {"answers": answers}))
        for bot, ack in zip(crowd.bots, again, strict=True):
            assert ack == {"ok": True} if bot.id not in answered else ack["code"] == "already_answered"
        total, _ = ballot_box(server, code)
        assert total == n
        assert_intact(server.db)
        fresh = facilitator(server, {"code": code, "facilitator_key": console.auth["key"]})
        try:
            assert fresh.latest("console")["feedback"]["responses"] == n
        finally:
            fresh.close()
        return {"clients": n, "join_and_connect_s": round(join_s, 2), "kills": 2,
                "resume_after_round_kill_s": round(resume_round_s, 2), "turn_moved_on": moved_on,
                "resume_after_feedback_kill_s": round(resume_feedback_s, 2),
                "answers_acknowledged_before_kill": len(acknowledged_at_kill),
                "answers_kept_across_kill": len(answered), "responses_in_db": total}
    finally:
        await crowd.close()


def test_sigkill_mid_joins_keeps_every_acknowledged_join(tmp_path):
    server = Server(tmp_path / "joins.db").start()
    try:
        code = server.create_workshop()["code"]
        figures = asyncio.run(_joins_then_kill(server, code, n=150))
        record("sigkill_mid_joins", **figures)
    finally:
        server.stop()


async def _joins_then_kill(server: Server, code: str, n: int) -> dict:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        acknowledged: list[str] = []

        async def join(i: int) -> None:
            try:
                async with session.post(f"{server.url}/api/join", json={"code": code, "name": f"J{i}"},
                                        timeout=aiohttp.ClientTimeout(total=5)) as response:
                    if response.status == 201:
                        acknowledged.append((await response.json())["attendee_id"])
            except (TimeoutError, aiohttp.ClientError):
                pass

        tasks = [asyncio.create_task(join(i)) for i in range(n)]
        for _ in range(500):
            if len(acknowledged) >= n // 3:
                break
            await asyncio.sleep(0.005)
        await asyncio.to_thread(server.kill)
        await asyncio.gather(*tasks)
    await asyncio.to_thread(server.start)
    stored = {r[0] for r in rows(server.db, "SELECT id FROM attendees WHERE code = ?", code)}
    assert set(acknowledged) <= stored
    assert_intact(server.db)
    assert 0 < len(acknowledged) < n
    return {"joins_sent": n, "acknowledged": len(acknowledged), "stored": len(stored)}


def test_a_running_turn_moves_on_after_a_restart_even_if_no_phone_comes_back(tmp_path):
    server = Server(tmp_path / "alone.db", "--time-scale", "0.03", "--grace", "120").start()
    try:
        workshop = server.create_workshop("quick-connect")
        console = facilitator(server, workshop)
        phones = [Phone(server.url, {"role": "attendee", "code": workshop["code"],
                                     "token": server.join(workshop["code"], name)["token"]}).connect("you")
                  for name in ("Ana", "Ben")]
        for phone in phones:
            phone.send("agree")
        assert console.send("go_to_step", {"index": step_index(console, "round")})["ok"]
        assert console.send("start_timer") == {"ok": True}
        deadline = console.wait_for(lambda c: c.latest("room")["timer"]["deadline"], "a deadline")
        for phone in (*phones, console):
            phone.client.reconnection = False
            phone.close()
        server.kill()
        server.start()
        assert time.time() * 1000 < deadline, "the restart took longer than the turn"
        watcher = facilitator(server, workshop)
        try:
            watcher.wait_for(lambda c: c.latest("room")["phase"]["index"] >= 1, "the next turn",
                             timeout=(deadline / 1000 - time.time()) + 3)
        finally:
            watcher.close()
    finally:
        server.stop()


def test_a_frozen_server_keeps_the_pace_when_it_thaws(tmp_path):
    """SIGSTOP past a turn's deadline, then SIGCONT: the next turn runs from the deadline, not the thaw."""
    server = Server(tmp_path / "frozen.db", "--time-scale", "0.02", "--grace", "120").start()
    phones: list[Phone] = []
    try:
        workshop = server.create_workshop("quick-connect")
        console = facilitator(server, workshop)
        phones = [console]
        for name in ("Ana", "Ben", "Cy", "Dee"):
            joined = server.join(workshop["code"], name)
            phones.append(Phone(server.url, {"role": "attendee", "code": workshop["code"],
                                             "token": joined["token"]}).connect("you"))
            assert phones[-1].send("agree") == {"ok": True}
        assert console.send("go_to_step", {"index": step_index(console, "round")})["ok"]
        assert console.send("start_timer") == {"ok": True}
        running = lambda c: c.latest("room")["timer"]["state"] == "running" and c.latest("room")  # noqa: E731
        first = console.wait_for(running, "a running turn")
        deadline = first["timer"]["deadline"]
        server.process.send_signal(signal.SIGSTOP)
        try:
            frozen = max(0.0, deadline / 1000 - time.time()) + 1.0
            time.sleep(frozen)
        finally:
            server.process.send_signal(signal.SIGCONT)
        thawed = time.perf_counter()
        turn = first["phase"]["index"] + 1
        wait_until(lambda: all(p.latest("room")["phase"]["index"] == turn for p in phones),
                   timeout=10, what="every phone on the next turn")
        caught_up_s = time.perf_counter() - thawed
        timers = [p.latest("room")["timer"] for p in phones]
        assert len({t["deadline"] for t in timers}) == 1
        assert timers[0]["deadline"] == deadline + timers[0]["duration_ms"], "the pace slipped"
        record("sigstop", frozen_s=round(frozen, 2), caught_up_s=round(caught_up_s, 2), phones=len(phones))
    finally:
        for phone in phones:
            phone.client.reconnection = False
            phone.close()
        server.stop()


# -- a reconnection storm --------------------------------------------------------------------------

def test_five_hundred_phones_reconnect_at_once_and_after_a_restart(tmp_path):
    server = Server(tmp_path / "storm.db", "--grace", "120").start()
    try:
        code = server.create_workshop("quick-connect")["code"]
        figures = asyncio.run(_storm(server, code, n=500))
        record("reconnection_storm", **figures)
    finally:
        server.stop()


async def _storm(server: Server, code: str, n: int) -> dict:
    crowd = Crowd(server.url, n, prefix="Storm")
    try:
        began = time.perf_counter()
        await crowd.each(lambda bot: bot.join(code))
        await crowd.each(lambda bot: bot.connect(), concurrency=100)
        await crowd.until(lambda bot: bot.you is not None, 60, "a first `you`")
        first_s = time.perf_counter() - began
        ids = {bot.name: bot.id for bot in crowd.bots}

        # every phone drops and comes back at the same moment
        await asyncio.gather(*(bot.sio.disconnect() for bot in crowd.bots))
        began = time.perf_counter()
        await asyncio.gather(*(bot.connect() for bot in crowd.bots))
        client_storm_s = await crowd.until(lambda bot: bot.you is not None, 60, "`you` after the storm")
        client_storm_s = time.perf_counter() - began

        # the server restarts under everyone: each phone reconnects on its own
        await asyncio.to_thread(server.kill)
        killed = time.perf_counter()
        await asyncio.to_thread(server.start)
        up = time.perf_counter()
        await crowd.until(lambda bot: bot.you is not None, 60, "`you` after the restart")
        restart_storm_s = time.perf_counter() - up
        assert all(bot.you["attendee"]["id"] == ids[bot.name] for bot in crowd.bots)
        view = requests.get(server.url + "/healthz", timeout=5).json()
        assert view == {"ok": True}
        # Every one of them is present in the database, once any phone the storm dropped again (a
        # ping missed on a saturated machine) is back.
        present = "SELECT count(*) FROM attendees WHERE code = ? AND status = 'present'"
        await asyncio.to_thread(wait_until, lambda: rows(server.db, present, code)[0][0] == n, 30,
                                what="every phone present in the database")
        assert client_storm_s < 30 and restart_storm_s < 30
        return {"clients": n, "first_join_and_connect_s": round(first_s, 2),
                "all_reconnect_at_once_s": round(client_storm_s, 2),
                "restart_s": round(up - killed, 2), "all_back_after_restart_s": round(restart_storm_s, 2)}
    finally:
        await crowd.close()


# -- a bad network, through the proxy ----------------------------------------------------------------

def assert_room_holds(server: Server, workshop: dict, phones: list[Phone]) -> dict:
    """Nobody in two groups, nobody alone, every phone shows its console group and the console's deadline."""
    watcher = facilitator(server, workshop)
    try:
        view = watcher.latest("console")
    finally:
        watcher.close()
    seen: dict[str, str] = {}
    for group in view["groups"]:
        assert 2 <= len(group["members"]) <= 3, group
        for member in group["members"]:
            assert member not in seen, f"{member} in two groups"
            seen[member] = group["id"]
    assert sum(len(g["members"]) == 3 for g in view["groups"]) <= 1
    deadline = view["room"]["timer"]["deadline"]

    def agree() -> bool:
        return all((p.latest("you") or {}).get("group") and p.latest("you")["group"]["id"] == seen.get(p.id)
                   and p.latest("room")["timer"]["deadline"] == deadline for p in phones)

    wait_until(agree, timeout=15, what="every phone to agree with the console")
    return view


def test_phones_behind_a_bad_network_recover_and_agree(tmp_path):
    server = Server(tmp_path / "net.db", "--time-scale", "0.2", "--grace", "30").start()
    proxy = Proxy(server.port, delay=0.03)
    phones: list[Phone] = []
    console = None
    try:
        workshop = server.create_workshop("quick-connect")
        console = facilitator(server, workshop)
        for i in range(9):
            joined = server.join(workshop["code"], f"Net{i}")
            phone = Phone(proxy.url, {"role": "attendee", "code": workshop["code"], "token": joined["token"]})
            phone.id = joined["attendee_id"]
            phones.append(phone.connect("you"))
            assert phone.send("agree") == {"ok": True}
        assert console.send("go_to_step", {"index": step_index(console, "round")})["ok"]
        assert console.send("start_timer") == {"ok": True}
        groups = {g["id"] for g in assert_room_holds(server, workshop, phones)["groups"]}
        timings = {}

        def fresh_you() -> None:
            for phone in phones:
                with phone.lock:
                    phone.state.pop("you", None)

        # 1. every connection reset mid-stream: phones reconnect by themselves
        fresh_you()
        began = time.perf_counter()
        assert proxy.cut() >= len(phones)
        wait_until(lambda: all(p.latest("you") for p in phones), timeout=15, what="phones back after a cut")
        timings["back_after_cut_s"] = round(time.perf_counter() - began, 2)
        assert {g["id"] for g in assert_room_holds(server, workshop, phones)["groups"]} == groups

        # 2. the network is down for 3 s (connections reset, new ones refused) while the room moves on
        fresh_you()
        proxy.refuse()
        began = time.perf_counter()
        assert console.send("extend_timer", {"seconds": 60}) == {"ok": True}
        assert console.send("send_message", {"text": "Two minutes left"}) == {"ok": True}
        time.sleep(3)
        assert not any(p.latest("you") for p in phones)
        proxy.restore()
        wait_until(lambda: all(p.latest("you") for p in phones), timeout=15, what="phones back")
        timings["back_after_3s_blackout_s"] = round(time.perf_counter() - began - 3, 2)
        assert all(p.latest("room")["message"]["text"] == "Two minutes left" for p in phones)
        assert {g["id"] for g in assert_room_holds(server, workshop, phones)["groups"]} == groups

        # 3. silence for 4 s without anything closing: what was said arrives late, nothing is lost
        connects = [sum(1 for e, _ in p.events if e == "you") for p in phones]
        proxy.stall()
        assert console.send("pause_timer") == {"ok": True}
        assert console.send("resume_timer") == {"ok": True}
        seq = console.wait_for(lambda c: c.latest("room")["seq"], "seq")
        time.sleep(4)
        assert all(p.latest("room")["seq"] < seq for p in phones)
        proxy.restore()
        began = time.perf_counter()
        wait_until(lambda: all(p.latest("room")["seq"] >= seq for p in phones), timeout=10, what="late news")
        timings["caught_up_after_4s_stall_s"] = round(time.perf_counter() - began, 2)
        assert [sum(1 for e, _ in p.events if e == "you") for p in phones] == connects, "nobody reconnected"
        assert_room_holds(server, workshop, phones)

        # 4. silence, then the stalled connections die: what was in flight is lost, the state is not
        fresh_you()
        proxy.stall()
        assert console.send("extend_timer", {"seconds": 30}) == {"ok": True}
        time.sleep(2)
        proxy.cut()
        proxy.restore()
        began = time.perf_counter()
        wait_until(lambda: all(p.latest("you") for p in phones), timeout=15, what="phones back after stall")
        timings["back_after_stall_then_cut_s"] = round(time.perf_counter() - began, 2)
        view = assert_room_holds(server, workshop, phones)
        assert {g["id"] for g in view["groups"]} == groups
        assert all(a["status"] == "present" for a in view["attendees"])
        record("bad_network", phones=len(phones), delay_ms=30, resets=proxy.reset_count, **timings)
    finally:
        for phone in (*phones, *([console] if console else [])):
            phone.client.reconnection = False
            phone.close()
        proxy.close()
        server.stop()
