"""Rate limits: token buckets keyed by who is asking, with time passed in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bucket:
    tokens: float
    at: float


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
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens < cost:
            return False
        bucket.tokens -= cost
        return True

    def exhausted(self, key: str, now: float) -> bool:
        """Tell whether `key` has no token left, without spending one."""
        bucket = self.buckets.get(key)
        return bucket is not None and bucket.tokens + (now - bucket.at) * self.per_second < 1

    def forget(self, key: str) -> None:
        """Drop a key, as when its connection closes."""
        self.buckets.pop(key, None)

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: they carry no memory worth keeping."""
        refill = self.burst / self.per_second
        self.buckets = {k: b for k, b in self.buckets.items() if now - b.at < refill}
