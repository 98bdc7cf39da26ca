"""Per-enterprise request rate limits, so one enterprise flooding cannot starve another.

A token bucket per enterprise, in this process: N processes admit up to N times
the configured rate in total, which is the point (each process protects its
own capacity).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from signflow.errors import TooManyRequests

RATE_LIMITED = "Too many requests for this enterprise; slow down"


@dataclass
class _Bucket:
    tokens: float
    updated: float


class EnterpriseRateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[int, _Bucket] = {}

    def check(self, enterprise_id: int) -> None:
        """Take one request from the enterprise's bucket, or refuse with 429."""
        if self.per_second <= 0:
            return
        now = time.monotonic()
        bucket = self._buckets.get(enterprise_id)
        if bucket is None:
            bucket = self._buckets[enterprise_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens < 1:
            wait = (1 - bucket.tokens) / self.per_second
            raise TooManyRequests(RATE_LIMITED, retry_after=max(1, math.ceil(wait)))
        bucket.tokens -= 1
