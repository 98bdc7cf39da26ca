"""When to try a failed delivery again (spec: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)."""

from __future__ import annotations

import random

RETRY_DELAYS_SECONDS: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS_SECONDS)
JITTER = 0.2
# A receiver may ask for a pause, but not park a delivery for more than a day.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0


def next_attempt_delay(
    attempt_number: int, rng: random.Random, retry_after: float | None = None
) -> float | None:
    """Seconds to wait after failed attempt `attempt_number` (1 = the first try).

    None means give up: the delivery is failed for good (it stays replayable).
    A Retry-After from the receiver wins when it asks for longer than the schedule.
    """
    if attempt_number < 1:
        raise ValueError("attempt_number starts at 1")
    if attempt_number > len(RETRY_DELAYS_SECONDS):
        return None
    base = RETRY_DELAYS_SECONDS[attempt_number - 1]
    delay = base * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay
