"""A load-generator process: crowds of asyncio bots (bench/simulate.py) that bench/run.py drives over a pipe.

Each request is a tuple `(operation, *arguments)`; the answer goes back on the same pipe. Every wait is
bounded by the timeout it is given.
"""

from __future__ import annotations

import asyncio
import time

from bench.simulate import Bot, Crowd, Network


def serve(conn) -> None:
    """Entry point of a spawned worker process."""
    asyncio.run(Worker(conn).serve())


class Worker:
    def __init__(self, conn):
        self.conn = conn
        self.crowds: dict[str, Crowd] = {}

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                op, *args = await loop.run_in_executor(None, self.conn.recv)
                if op == "stop":
                    break
                try:
                    answer = await getattr(self, op)(*args)
                except Exception as error:  # report, never die: the orchestrator decides
                    answer = {"error": f"{op}: {type(error).__name__}: {error}"}
                self.conn.send(answer)
        finally:
            await asyncio.gather(*(crowd.close() for crowd in self.crowds.values()), return_exceptions=True)
            self.conn.send(None)

    # -- joining -----------------------------------------------------------------

    async def join(self, specs: list[tuple], concurrency: int) -> dict:
        """Join crowds into workshop rooms at once: specs are (key, url, code, n, first)."""
        async def one(key, url, code, n, first):
            self.crowds[key] = await Crowd.start(url, code, n, first=first, agree=True, seed=first,
                                                 concurrency=concurrency)

        await asyncio.gather(*(one(*spec) for spec in specs))
        return self._outcome([spec[0] for spec in specs])

    async def plain(self, key: str, url: str, room: str, n: int, first: int, concurrency: int) -> dict:
        """Connect bots to the bare broadcast server, which takes a room name in `auth`."""
        crowd = self.crowds[key] = Crowd.make(n, first=first)

        async def connect(bot: Bot) -> None:
            try:
                await bot.sio.connect(url, auth={"room": room}, transports=["websocket"], wait_timeout=15)
            except Exception as error:
                bot.failure = f"{type(error).__name__}: {error}"[:200]

        began = time.perf_counter()
        await crowd.each(connect, concurrency)
        crowd.join_seconds = time.perf_counter() - began
        return self._outcome([key])

    def _outcome(self, keys: list[str]) -> dict:
        bots = [bot for key in keys for bot in self.crowds[key].bots]
        return {"joined": sum(bot.failure is None for bot in bots),
                "failed": sum(bot.failure is not None for bot in bots),
                "failures": sorted({bot.failure for bot in bots if bot.failure})[:5],
                "done_at": time.time()}

    # -- waiting for what the server sends ------------------------------------------

    async def _until(self, key: str, test, timeout: float) -> int:
        bots = self.crowds[key].joined
        end = time.monotonic() + timeout
        while time.monotonic() < end and not all(test(bot) for bot in bots):
            await asyncio.sleep(0.01)
        return sum(1 for bot in bots if test(bot))

    async def wait_seq(self, key: str, seq: int, timeout: float) -> int:
        """Wait until every bot received `room` number `seq`; return how many did."""
        return await self._until(key, lambda bot: seq in bot.arrivals, timeout)

    async def wait_you(self, key: str, since: float, timeout: float) -> int:
        """Wait until every bot received a `you` after `since` (epoch s)."""
        return await self._until(key, lambda bot: bool(bot.you_arrivals) and bot.you_arrivals[-1] > since,
                                 timeout)

    async def wait_agreed(self, key: str, timeout: float) -> int:
        return await self._until(key, lambda bot: bool(bot.you and bot.you["attendee"]["agreed"]), timeout)

    # -- what the bots saw ----------------------------------------------------------

    async def arrivals(self, key: str) -> list[dict]:
        return [bot.arrivals for bot in self.crowds[key].joined]

    async def you_arrivals(self, key: str) -> list[list[float]]:
        return [bot.you_arrivals for bot in self.crowds[key].joined]

    async def sample(self, key: str) -> tuple[dict, dict]:
        """Return one grouped bot's latest `room` and `you`."""
        bots = self.crowds[key].joined
        bot = next((b for b in bots if (b.you or {}).get("group")), bots[0])
        return bot.room, bot.you

    async def checks(self, key: str) -> dict:
        return self.crowds[key].report()["checks"]

    # -- the countdown under skewed clocks and a slow network ----------------------------

    async def network(self, key: str, shift_ms: float, delay_ms: float, jitter_ms: float) -> int:
        """Give every bot a shifted clock and a slow network from now on."""
        for bot in self.crowds[key].bots:
            bot.network = Network(shift_ms, delay_ms, jitter_ms)
            bot.shift_ms = bot.rng.uniform(-shift_ms, shift_ms)
        return len(self.crowds[key].bots)

    async def sync(self, key: str, samples: int, concurrency: int) -> int:
        crowd = self.crowds[key]
        await crowd.sync_clocks(samples, concurrency)
        return sum(bot.offset_ms is not None for bot in crowd.joined)

    async def deadlines(self, key: str, seq: int) -> list[dict]:
        """Return each bot's countdown end for room `seq` in true time (ms), by the page's estimate and by
        the tightest interval of its samples (first 5, and all)."""
        found = []
        for bot in self.crowds[key].joined:
            if not bot.room or bot.room["seq"] != seq or bot.local_deadline() is None:
                continue
            deadline = bot.room["timer"]["deadline"]
            found.append({"page": bot.local_deadline() - bot.shift_ms,
                          "interval_5": deadline - interval_offset(bot.samples[:5]) - bot.shift_ms,
                          "interval_all": deadline - interval_offset(bot.samples) - bot.shift_ms})
        return found

    async def close(self, key: str) -> bool:
        crowd = self.crowds.pop(key, None)
        if crowd is not None:
            await crowd.close()
        return True


def interval_offset(samples: list[tuple[float, int, float]]) -> float:
    """Return the middle of the offsets all samples allow: each bounds it to [now - received, now - sent]."""
    low = max(now - received for sent, now, received in samples)
    high = min(now - sent for sent, now, received in samples)
    return (low + high) / 2
