from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from signflow.outbox.coalesce import Coalescer


class Doubler:
    """Answers each number doubled, or a ValueError for negative ones; records its rounds."""

    def __init__(self, pause: float = 0.0) -> None:
        self.rounds: list[list[int]] = []
        self.pause = pause

    async def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        self.rounds.append(list(items))
        await asyncio.sleep(self.pause)
        return [ValueError(n) if n < 0 else 2 * n for n in items]


async def test_callers_of_one_moment_share_a_round() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler)
    assert await asyncio.gather(*(coalescer.submit(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert doubler.rounds == [[0, 1, 2, 3, 4]]


async def test_callers_arriving_during_a_round_make_the_next_one() -> None:
    doubler = Doubler(pause=0.05)
    coalescer = Coalescer(doubler)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0.01)  # the first round is running
    later = await asyncio.gather(coalescer.submit(2), coalescer.submit(3))
    assert (await first, later) == (2, [4, 6])
    assert doubler.rounds == [[1], [2, 3]]


async def test_a_round_is_capped_in_size() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler, max_round=2)
    await asyncio.gather(*(coalescer.submit(n) for n in range(5)))
    assert doubler.rounds == [[0, 1], [2, 3], [4]]


async def test_an_exception_answer_fails_only_its_caller() -> None:
    coalescer = Coalescer(Doubler())
    results = await asyncio.gather(
        coalescer.submit(1), coalescer.submit(-1), coalescer.submit(2), return_exceptions=True
    )
    assert results[0] == 2 and results[2] == 4
    assert isinstance(results[1], ValueError)


async def test_a_failing_round_fails_its_callers_and_not_the_next_round() -> None:
    calls: list[Sequence[int]] = []

    async def fails_first(items: Sequence[int]) -> list[int | BaseException]:
        calls.append(items)
        if len(calls) == 1:
            raise ConnectionError("database away")
        return list(items)

    coalescer = Coalescer(fails_first)
    with pytest.raises(ConnectionError):
        await coalescer.submit(1)
    assert await coalescer.submit(2) == 2


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    coalescer = Coalescer(Doubler(pause=0.05))
    doomed = asyncio.create_task(coalescer.submit(1))
    kept = asyncio.create_task(coalescer.submit(2))
    await asyncio.sleep(0.01)
    doomed.cancel()
    assert await kept == 4
    with pytest.raises(asyncio.CancelledError):
        await doomed
