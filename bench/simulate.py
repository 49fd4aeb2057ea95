"""Simulated attendees: real Socket.IO clients that join a room, follow it and report what they saw.

    python bench/simulate.py --url http://127.0.0.1:5000 --code K7QF3M --attendees 50 --agree --follow

Written from docs/protocol.md alone. The benchmark in bench/ and tests/test_simulate.py drive the same
bots through `Crowd` and `run_bots`. Each bot may pretend its phone's clock is off and its network slow
(`Network`), so that the countdown agreement can be measured on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
import socketio

SAMPLES, SAMPLE_GAP_S = 12, 0.075  # what the attendee page does on connect (static/js/clock.js)
TIMEOUT_S = 15
ASKS_AGREEMENT = {"agreements", "pairing", "round", "message"}  # as the page: late joiners agree first


@dataclass
class Network:
    """A pretend phone: its clock off by up to `shift_ms`, each trip `delay_ms` +/- `jitter_ms`."""

    shift_ms: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0


class Bot:
    """One attendee's phone: keeps the newest `room` and `you`, and answers what the room asks."""

    def __init__(self, name: str, network: Network, rng: random.Random, session: aiohttp.ClientSession,
                 agree: bool = False, feedback: bool = False):
        self.name, self.network, self.rng = name, network, rng
        self.shift_ms = rng.uniform(-network.shift_ms, network.shift_ms)
        self.agree, self.feedback, self.agreeable = agree, feedback, True
        self.attendee_id: str | None = None
        self.room: dict | None = None
        self.you: dict | None = None
        self.offset_ms: float | None = None
        self.samples: list[tuple[float, int, float]] = []  # (sent, server now, received) in local ms
        self.arrivals: dict[int, float] = {}  # room seq -> true receive time (s), for the benchmark
        self.you_arrivals: list[float] = []
        self.seen: list[tuple[int, str, int | None]] = []  # (step index, kind, phase index) as they changed
        self.errors: list[str] = []
        self.failure: str | None = None
        self.closing = False
        self.pending: set[str] = set()
        self.ready = asyncio.Event()
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=TIMEOUT_S, http_session=session,
                                        handle_sigint=False)
        self.sio.on("room", self.on_room)
        self.sio.on("you", self.on_you)
        self.sio.on("replaced", lambda data=None: self.errors.append("replaced"))
        self.sio.on("removed", lambda data=None: self.errors.append("removed"))
        self.sio.on("disconnect", self.on_disconnect)
        self.sio.on("connect", self.react)

    def local_ms(self) -> float:
        """Return this phone's clock, shifted as the network settings say."""
        return time.time() * 1000 + self.shift_ms

    async def lag(self) -> None:
        """Wait one pretend network trip."""
        net = self.network
        if net.delay_ms or net.jitter_ms:
            await asyncio.sleep(max(0.0, self.rng.uniform(net.delay_ms - net.jitter_ms,
                                                           net.delay_ms + net.jitter_ms)) / 1000)

    async def join(self, session: aiohttp.ClientSession, url: str, code: str) -> bool:
        """Join over HTTP, connect the socket, and wait for the first `you`."""
        try:
            async with session.post(f"{url}/api/join", json={"code": code, "name": self.name},
                                    timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as response:
                body = await response.json(content_type=None)
                if response.status != 201:
                    self.failure = f"join {response.status} {body.get('code')}"
                    return False
            self.attendee_id = body["attendee_id"]
            auth = {"role": "attendee", "code": body["code"], "token": body["token"]}
            await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=TIMEOUT_S)
            await asyncio.wait_for(self.ready.wait(), TIMEOUT_S)
            return True
        except Exception as error:  # every way a join can fail is one failure to count
            self.failure = f"{type(error).__name__}: {error}"[:200]
            return False

    async def sync_clock(self, samples: int = SAMPLES, gap_s: float = SAMPLE_GAP_S) -> None:
        """Estimate the server clock's offset as the protocol says: the middle of what all samples allow."""
        self.samples = []
        for i in range(samples):
            sent = self.local_ms()
            await self.lag()
            ack = await self.sio.call("sync_clock", {}, timeout=TIMEOUT_S)
            await self.lag()
            self.samples.append((sent, ack["now"], self.local_ms()))
            if i < samples - 1:
                await asyncio.sleep(gap_s)
        self.offset_ms = estimate_offset(self.samples[:SAMPLES])

    async def on_room(self, data: dict) -> None:
        await self.lag()
        self.arrivals.setdefault(data["seq"], time.time())
        if self.room is None or data["seq"] >= self.room["seq"]:
            self.room = data
            where = (data["step"]["index"], data["step"]["kind"], (data.get("phase") or {}).get("index"))
            if not self.seen or self.seen[-1] != where:
                self.seen.append(where)
            self.react()

    async def on_you(self, data: dict) -> None:
        await self.lag()
        self.you_arrivals.append(time.time())
        self.you = data
        self.ready.set()
        self.react()

    def on_disconnect(self, reason=None) -> None:
        if not self.closing:
            self.errors.append(f"disconnected: {reason}")

    def react(self) -> None:
        """Agree when the step asks (or, joining late, before being paired); answer the feedback form."""
        if self.room is None or self.you is None or "/" not in self.sio.namespaces:
            return  # `room` and `you` come before the connection is acknowledged: act once it is
        me = self.you["attendee"]
        if self.agree and self.room["step"]["kind"] in ASKS_AGREEMENT and not me["agreed"] and self.agreeable:
            self.command("agree", {})
        if self.feedback and self.room["feedback"]["open"] and not me["answered"]:
            self.command("send_feedback", {"answers": random_answers(self.room["step"], self.rng)})

    def command(self, event: str, data: dict) -> None:
        """Send a command once at a time per event, recording refusals."""
        if event not in self.pending:
            self.pending.add(event)
            asyncio.get_running_loop().create_task(self._command(event, data))

    async def _command(self, event: str, data: dict) -> None:
        try:
            await self.lag()
            ack = await self.sio.call(event, data, timeout=TIMEOUT_S)
            await self.lag()
            if not ack.get("ok"):
                self.errors.append(f"{event}: {ack.get('code')}")
                self.agreeable = self.agreeable and ack.get("code") != "no_agreements"
        except Exception as error:
            self.errors.append(f"{event}: {type(error).__name__}")
        finally:
            self.pending.discard(event)

    def local_deadline(self) -> float | None:
        """Return the running timer's deadline on this phone's clock, in ms."""
        timer = (self.room or {}).get("timer") or {}
        if timer.get("state") != "running" or self.offset_ms is None:
            return None
        return timer["deadline"] - self.offset_ms

    def summary(self) -> dict:
        """Return what this bot saw, for the report."""
        group = (self.you or {}).get("group")
        step = (self.room or {}).get("step") or {}
        local = self.local_deadline()
        return {
            "name": self.name, "attendee_id": self.attendee_id, "failure": self.failure,
            "seq": (self.room or {}).get("seq"), "step": step.get("index"), "kind": step.get("kind"),
            "group": group and group["id"], "role": group and group["role"],
            "partners": [m["name"] for m in group["members"] if m["id"] != self.attendee_id] if group else [],
            "prompt": group and group["prompt"], "offset_ms": self.offset_ms and round(self.offset_ms, 1),
            "deadline": ((self.room or {}).get("timer") or {}).get("deadline"),
            "local_deadline": local and datetime.fromtimestamp(local / 1000).strftime("%H:%M:%S.%f")[:-3],
            "true_deadline_ms": local and local - self.shift_ms,
            "seen": self.seen, "errors": self.errors,
        }


def estimate_offset(samples: list[tuple[float, int, float]]) -> float:
    """Return the middle of the offsets every sample allows, as the attendee page does.

    The server read its clock after a sample was sent and before it came back, so each
    bounds the offset to [now - received, now - sent]. Should the bounds disagree (a clock
    changed mid-way), fall back to the median of each sample's midpoint.
    """
    low = max(now - received for sent, now, received in samples)
    high = min(now - sent for sent, now, received in samples)
    if low <= high:
        return (low + high) / 2
    return statistics.median(now - (sent + received) / 2 for sent, now, received in samples)


def random_answers(step: dict, rng: random.Random) -> dict:
    """Return a random valid answer to every question of a feedback step."""
    answers = {}
    for q in step.get("questions") or []:
        options = q.get("options") or []
        if q["type"] == "scale":
            answers[q["id"]] = rng.randint(1, 5)
        elif q["type"] == "single" and options:
            answers[q["id"]] = rng.choice(options)
        elif q["type"] == "multiple" and options:
            answers[q["id"]] = rng.sample(options, rng.randint(1, len(options)))
        elif q["type"] == "text":
            answers[q["id"]] = rng.choice(["Thank you.", "It was good to be listened to.", ""])
    return answers


@dataclass
class Crowd:
    """Many bots in one room, sharing one HTTP session."""

    bots: list[Bot] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None
    join_seconds: float = 0.0

    @classmethod
    def make(cls, n: int, *, first: int = 0, network: Network | None = None, agree: bool = False,
             feedback: bool = False, seed: int | None = None) -> Crowd:
        """Make `n` bots, not yet connected, named from `first` on."""
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                        cookie_jar=aiohttp.DummyCookieJar())
        rng = random.Random(seed)
        return cls([Bot(f"Bot {first + i:04d}", network or Network(), random.Random(rng.random()), session,
                        agree, feedback) for i in range(n)], session)

    @classmethod
    async def start(cls, url: str, code: str, n: int, *, concurrency: int = 50, **options) -> Crowd:
        """Make `n` bots and join them, at most `concurrency` at a time; failures stay on each bot."""
        crowd = cls.make(n, **options)
        began = time.perf_counter()
        await crowd.each(lambda bot: bot.join(crowd.session, url.rstrip("/"), code), concurrency)
        crowd.join_seconds = time.perf_counter() - began
        return crowd

    async def each(self, action, concurrency: int, bots: list[Bot] | None = None) -> None:
        """Run `action(bot)` for every bot, at most `concurrency` at a time."""
        gate = asyncio.Semaphore(concurrency)

        async def one(bot: Bot) -> None:
            async with gate:
                await action(bot)

        await asyncio.gather(*(one(bot) for bot in (self.bots if bots is None else bots)))

    @property
    def joined(self) -> list[Bot]:
        return [bot for bot in self.bots if bot.failure is None]

    async def sync_clocks(self, samples: int = SAMPLES, concurrency: int = 100) -> None:
        """Estimate every bot's clock offset, a few bots at a time."""
        async def sync(bot: Bot) -> None:
            try:
                await bot.sync_clock(samples)
            except Exception as error:
                bot.errors.append(f"sync_clock: {type(error).__name__}")

        await self.each(sync, concurrency, self.joined)

    async def settle(self, timeout_s: float = 5.0) -> None:
        """Wait until no bot has a command in flight."""
        end = time.monotonic() + timeout_s
        while any(bot.pending for bot in self.bots) and time.monotonic() < end:
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Disconnect every bot and close the session."""
        for bot in self.bots:
            bot.closing = True
        await asyncio.gather(*(bot.sio.disconnect() for bot in self.bots if bot.sio.connected),
                             return_exceptions=True)
        await self.session.close()

    def report(self) -> dict:
        """Return each bot's view and the checks across bots."""
        bots = [bot.summary() for bot in self.bots]
        ok = [b for b in bots if not b["failure"]]
        deadlines = [b["true_deadline_ms"] for b in ok if b["true_deadline_ms"] is not None]
        groups: dict[str, set] = {}
        sizes = []
        for bot in self.joined:
            group = (bot.you or {}).get("group")
            if group:
                sizes.append(len(group["members"]))
                groups.setdefault(group["id"], set()).add(tuple(sorted(m["id"] for m in group["members"])))
        checks = {
            "attendees": len(bots), "joined": len(ok), "failed": len(bots) - len(ok),
            "failures": sorted({b["failure"] for b in bots if b["failure"]})[:10],
            "join_seconds": round(self.join_seconds, 3),
            "same_step": len({(b["step"], b["seq"]) for b in ok}) <= 1,
            "seqs": sorted({b["seq"] for b in ok if b["seq"] is not None}),
            "same_deadline": len({b["deadline"] for b in ok}) <= 1,
            "deadline_spread_ms": round(max(deadlines) - min(deadlines), 1) if deadlines else None,
            "grouped": sum(1 for b in ok if b["group"]),
            "alone": sum(1 for size in sizes if size < 2),
            "groups_consistent": all(len(seen) == 1 for seen in groups.values()),
            "errors": sum(len(b["errors"]) for b in ok),
        }
        return {"bots": bots, "checks": checks}


async def run_bots(url: str, code: str, n: int, *, agree: bool = False, follow: bool = False,
                   feedback: bool = False, duration: float = 10.0, network: Network | None = None,
                   concurrency: int = 50, seed: int | None = None) -> dict:
    """Join `n` bots, sync their clocks, let them follow the room for `duration` s, and report."""
    crowd = await Crowd.start(url, code, n, network=network, agree=agree, feedback=feedback,
                              concurrency=concurrency, seed=seed)
    try:
        await crowd.sync_clocks()
        if follow:
            await asyncio.sleep(duration)
        await crowd.settle()
    finally:
        await crowd.close()
    return crowd.report()


def print_report(report: dict, as_json: bool, out=sys.stdout) -> None:
    """Print one line per bot, the checks, and with `as_json` the whole report as the last line."""
    for b in report["bots"]:
        if b["failure"]:
            print(f"{b['name']}: FAILED {b['failure']}", file=out)
            continue
        print(f"{b['name']}: step {b['step']} {b['kind']} seq {b['seq']} group {b['group']} role {b['role']} "
              f"with {', '.join(b['partners']) or 'nobody'}; prompt {b['prompt']!r}; "
              f"deadline {b['local_deadline'] or '-'} local; offset {b['offset_ms']} ms"
              + (f"; errors {b['errors']}" if b["errors"] else ""), file=out)
    print("checks: " + ", ".join(f"{k}={v}" for k, v in report["checks"].items()), file=out)
    if as_json:
        print(json.dumps(report, separators=(",", ":")), file=out)


def main(argv=None) -> None:
    """Run the bots from the command line."""
    parser = argparse.ArgumentParser(prog="python bench/simulate.py", description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--code", required=True, help="the room code")
    parser.add_argument("--attendees", type=int, default=10, help="how many bots join (default: 10)")
    parser.add_argument("--agree", action="store_true", help="agree to the agreements when the step asks")
    parser.add_argument("--follow", action="store_true", help="stay for --duration seconds, following steps")
    parser.add_argument("--feedback", action="store_true", help="answer the feedback form when it opens")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds to follow (default: 30)")
    parser.add_argument("--concurrency", type=int, default=50, help="joins in flight at once (default: 50)")
    parser.add_argument("--clock-shift-ms", type=float, default=0, help="each bot's clock off by up to this")
    parser.add_argument("--latency-ms", type=float, default=0, help="added one-way latency")
    parser.add_argument("--jitter-ms", type=float, default=0, help="+/- this on each trip")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object, last")
    args = parser.parse_args(argv)
    if not 1 <= args.attendees <= 5000 or not 0 <= args.duration <= 3600:
        parser.error("--attendees must be 1 to 5000 and --duration 0 to 3600")
    network = Network(args.clock_shift_ms, args.latency_ms, args.jitter_ms)
    report = asyncio.run(run_bots(args.url, args.code, args.attendees, agree=args.agree, follow=args.follow,
                                  feedback=args.feedback, duration=args.duration, network=network,
                                  concurrency=args.concurrency, seed=args.seed))
    print_report(report, args.json)
    sys.exit(0 if report["checks"]["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
