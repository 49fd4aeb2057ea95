"""Rate limits: token buckets keyed by who is asking, with time passed in."""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from dataclasses import dataclass


@dataclass
class Bucket:
    """A key's tokens as of time `at`; they refill at a limit's rate, up to its burst."""

    tokens: float
    at: float

    def level(self, now: float, per_second: float) -> float:
        """Return the tokens at `now` without spending or storing anything (uncapped: for reads)."""
        return self.tokens + (now - self.at) * per_second

    def refill(self, now: float, per_second: float, burst: int) -> None:
        """Bring the tokens up to `now`, never past the burst."""
        self.tokens = min(burst, self.level(now, per_second))
        self.at = now


class RateLimit:
    """Allow `burst` actions at once and `per_second` on average, per key."""

    def __init__(self, per_second: float, burst: int, max_keys: int = 100_000):
        self.per_second = per_second
        self.burst = burst
        self.max_keys = max_keys
        self.buckets: dict[str, Bucket] = {}

    def allow(self, key: str, now: float, cost: float = 1.0) -> bool:
        """Spend `cost` tokens of `key`'s bucket if it has them."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self.buckets[key] = Bucket(self.burst, now)
        bucket.refill(now, self.per_second, self.burst)
        if bucket.tokens < cost:
            return False
        bucket.tokens -= cost
        return True

    def exhausted(self, key: str, now: float) -> bool:
        """Tell whether `key` has no token left, without spending one."""
        bucket = self.buckets.get(key)
        return bucket is not None and bucket.level(now, self.per_second) < 1

    def retry_after(self, key: str, now: float) -> int:
        """Return in how many whole seconds `key` has a token again."""
        bucket = self.buckets.get(key)
        missing = 0 if bucket is None else 1 - bucket.level(now, self.per_second)
        return max(1, math.ceil(missing / self.per_second))

    def forget(self, key: str) -> None:
        """Drop a key, as when its connection closes."""
        self.buckets.pop(key, None)

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: they carry no memory worth keeping."""
        refill = self.burst / self.per_second
        self.buckets = {k: b for k, b in self.buckets.items() if now - b.at < refill}
        if len(self.buckets) >= self.max_keys:  # a flood of fresh keys: keep the newest half
            self.buckets = dict(list(self.buckets.items())[self.max_keys // 2:])


def address_key(address: str | None) -> str:
    """Return who is asking, as a limit sees it: an IPv4 address, or an IPv6 address's /64 network.

    One IPv6 subscriber holds a whole /64, so counting its addresses apart would give it
    billions of budgets.
    """
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return address or "unknown"
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


class Crowded(Exception):
    """Too many checks from one address are already waiting their turn."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass
class Budget(Bucket):
    """A bucket that also counts the checks from its key waiting their turn."""

    held: int = 0


class CodeGuard:
    """One budget of unknown codes per address; once it is spent, every check from there waits its turn.

    Only a check that names nothing (no such workshop, no such attendee) spends the
    budget, so a whole venue behind one address can mistype now and then. When the
    budget is spent, every check from that address, right or wrong, is held until the
    budget refills by one, and only then looks at the code: a right code is slowed like a
    wrong one, never refused, and neither the status nor the delay tells them apart.
    Past `max_held` waiting checks, more are refused at once without looking at the code.
    """

    def __init__(self, burst: int = 30, per_second: float = 0.5, max_held: int = 10,
                 max_held_total: int = 2000, max_keys: int = 100_000,
                 clock=time.monotonic, sleep=time.sleep):
        self.burst, self.per_second = burst, per_second
        self.max_held, self.max_held_total, self.max_keys = max_held, max_held_total, max_keys
        self.clock, self.sleep = clock, sleep
        self.budgets: dict[str, Budget] = {}
        self.held = 0
        self.lock = threading.Lock()

    def check(self, key: str, attempt):
        """Run `attempt() -> (answer, known)` in `key`'s turn and return the answer."""
        budget, wait = self._reserve(key)
        known = True  # an attempt that fails on its own looked at nothing: give its token back
        try:
            if wait > 0:
                self.sleep(wait)
            answer, known = attempt()
            return answer
        finally:
            with self.lock:
                if wait > 0:
                    budget.held -= 1
                    self.held -= 1
                if known:
                    budget.tokens = min(self.burst, budget.tokens + 1)

    def pressed(self, key: str) -> bool:
        """Tell whether checks from `key` wait their turn now, without spending anything."""
        with self.lock:
            budget = self.budgets.get(key)
            if budget is None:
                return False
            return budget.held > 0 or budget.level(self.clock(), self.per_second) < 1

    def _reserve(self, key: str) -> tuple[Budget, float]:
        """Take a token now, or a place in the queue for the next one; refuse past the queue's end."""
        with self.lock:
            now = self.clock()
            budget = self.budgets.get(key)
            if budget is None:
                if len(self.budgets) >= self.max_keys:
                    self._forget(now)
                budget = self.budgets[key] = Budget(self.burst, now)
            budget.refill(now, self.per_second, self.burst)
            budget.tokens -= 1
            if budget.tokens >= 0:
                return budget, 0.0
            if budget.held >= self.max_held or self.held >= self.max_held_total:
                budget.tokens += 1
                raise Crowded(math.ceil((1 - budget.tokens) / self.per_second))
            budget.held += 1
            self.held += 1
            return budget, -budget.tokens / self.per_second

    def _forget(self, now: float) -> None:
        """Drop the budgets that have refilled, then, if still full, the oldest idle ones."""
        refill = self.burst / self.per_second
        self.budgets = {k: b for k, b in self.budgets.items() if b.held or now - b.at < refill}
        idle = [k for k, b in self.budgets.items() if not b.held]
        for k in idle[:max(0, len(self.budgets) - self.max_keys // 2)]:
            del self.budgets[k]
