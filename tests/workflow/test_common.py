from __future__ import annotations

import datetime as dt

from signflow.models import ProcessStatus, Recipient, WorkflowStatus
from signflow.workflow.common import next_to_act

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def person(rid: int, order: int, status: ProcessStatus, *, turn_open: bool = False) -> Recipient:
    return Recipient(
        id=rid,
        signing_order=order,
        process_status=status.value,
        turn_started_at=NOW if turn_open else None,
        finished_at=None,
    )


def test_those_whose_turn_is_open_are_next() -> None:
    people = [
        person(1, 1, ProcessStatus.SIGNED),
        person(2, 2, ProcessStatus.IN_PROGRESS, turn_open=True),
        person(3, 3, ProcessStatus.UN_PROCESSED),
    ]
    assert next_to_act(WorkflowStatus.SHARED.value, people) == {2}


def test_without_an_open_turn_the_first_waiting_group_is_next() -> None:
    people = [
        person(1, 1, ProcessStatus.SIGNED),
        person(2, 2, ProcessStatus.UN_PROCESSED),
        person(3, 2, ProcessStatus.UN_PROCESSED),
        person(4, 3, ProcessStatus.UN_PROCESSED),
    ]
    assert next_to_act(WorkflowStatus.SHARED.value, people) == {2, 3}


def test_nobody_is_next_in_a_closed_package() -> None:
    people = [person(1, 1, ProcessStatus.DECLINED), person(2, 2, ProcessStatus.UN_PROCESSED)]
    assert next_to_act(WorkflowStatus.DECLINED.value, people) == set()
    assert next_to_act(WorkflowStatus.SHARED.value, [person(1, 1, ProcessStatus.SIGNED)]) == set()
