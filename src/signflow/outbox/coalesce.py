"""Many concurrent callers, one database round: what they ask while a round runs
goes into the next one.

The worker runs dozens of jobs at once; each would otherwise open its own
transaction to read its row and another to write its outcome. A `Coalescer`
turns those into one transaction per round for everybody waiting (group
commit), so the cost per job falls as the load rises, while a lone job still
goes through at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")

# One round's size limit: a transaction that stays short, and rows that fit one statement.
MAX_ROUND = 200


class Coalescer(Generic[Item, Answer]):
    """`run_round` answers a round of items in order; an exception in its list fails only
    that item's caller, an exception it raises fails the whole round."""

    def __init__(
        self,
        run_round: Callable[[Sequence[Item]], Awaitable[Sequence[Answer | BaseException]]],
        max_round: int = MAX_ROUND,
    ) -> None:
        self._run_round = run_round
        self._max_round = max_round
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Answer:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run_rounds())
        return await future

    async def _run_rounds(self) -> None:
        # Let the callers of this turn of the event loop join the first round.
        await asyncio.sleep(0)
        while self._waiting:
            round_, self._waiting = (
                self._waiting[: self._max_round],
                self._waiting[self._max_round :],
            )
            try:
                answers = await self._run_round([item for item, _ in round_])
            except Exception as exc:
                for _, future in round_:
                    _settle(future, exc)
                continue
            if len(answers) != len(round_):
                error = RuntimeError(f"{len(answers)} answers for a round of {len(round_)}")
                for _, future in round_:
                    _settle(future, error)
                continue
            for (_, future), answer in zip(round_, answers, strict=True):
                _settle(future, answer)


def _settle(future: asyncio.Future[Answer], answer: Answer | BaseException) -> None:
    if future.done():  # its caller was cancelled
        return
    if isinstance(answer, BaseException):
        future.set_exception(answer)
    else:
        future.set_result(answer)
