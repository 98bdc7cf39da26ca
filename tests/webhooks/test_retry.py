from __future__ import annotations

import random

import pytest

from signflow.webhooks.retry import (
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER_SECONDS,
    next_attempt_delay,
)

SCHEDULE = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]


@pytest.mark.parametrize(("attempt", "base"), list(enumerate(SCHEDULE, start=1)))
def test_delays_follow_the_schedule_within_jitter(attempt: int, base: int) -> None:
    rng = random.Random(attempt)
    delays = [next_attempt_delay(attempt, rng, None) for _ in range(2000)]
    values = [d for d in delays if d is not None]
    assert len(values) == len(delays)
    assert min(values) >= base * 0.8
    assert max(values) <= base * 1.2
    # The jitter is real: it spreads over most of the ±20 % band.
    assert min(values) < base * 0.82
    assert max(values) > base * 1.18


def test_gives_up_after_the_last_retry() -> None:
    rng = random.Random(1)
    assert MAX_ATTEMPTS == 8
    assert next_attempt_delay(7, rng, None) is not None
    assert next_attempt_delay(8, rng, None) is None
    assert next_attempt_delay(8, rng, 60) is None


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        next_attempt_delay(0, random.Random(1), None)


def test_same_seed_same_delays() -> None:
    first = [next_attempt_delay(n, random.Random(7), None) for n in range(1, 8)]
    second = [next_attempt_delay(n, random.Random(7), None) for n in range(1, 8)]
    assert first == second


def test_retry_after_wins_only_when_longer() -> None:
    assert next_attempt_delay(1, random.Random(3), 120.0) == 120.0
    shorter = next_attempt_delay(3, random.Random(3), 10.0)
    assert shorter is not None and shorter >= 1800 * 0.8
    assert next_attempt_delay(1, random.Random(3), 10 * 24 * 3600.0) == MAX_RETRY_AFTER_SECONDS
    ignored = next_attempt_delay(1, random.Random(3), 0.0)
    assert ignored is not None and ignored <= 6
