"""A token bucket per key, in memory: the e-mail gateway's per-address limit and the api's
per-application glance limit."""

from __future__ import annotations

from collections import OrderedDict


class RateLimiter:
    """`burst` at once, then `per_minute`; in memory, per process.

    With several replicas each keeps its own buckets, so the effective limit is the
    per-replica limit times the replicas a sender reaches; the monthly quota is the hard cap.
    """

    MAX_KEYS = 100_000  # forget the least recently used keys beyond this

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.MAX_KEYS:
            self._buckets.popitem(last=False)
        return allowed
