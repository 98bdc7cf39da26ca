"""The principal clock: a word shared by the processes of a host through a mapped file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from signflow.accounts.principal_clock import (
    GENERATION_STEP,
    ClockInUse,
    PrincipalClock,
    clock_at,
    clock_state,
    generation,
    in_flight,
    reset_clock,
)


def _in_another_process(path: Path, body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import os\n" + _program(path, body)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_change_moves_the_generation_twice_and_is_in_flight_between(tmp_path: Path):
    clock = PrincipalClock(tmp_path / "clock")
    start = clock.read()
    assert (generation(start), in_flight(start)) == (0, 0)
    clock.begin_change()
    assert (generation(clock.read()), in_flight(clock.read())) == (1, 1)
    clock.begin_change()  # another transaction, overlapping
    clock.end_change()
    assert (generation(clock.read()), in_flight(clock.read())) == (3, 1)
    clock.end_change()
    assert (generation(clock.read()), in_flight(clock.read())) == (4, 0)


def test_another_process_sees_each_step_at_once(tmp_path: Path):
    path = tmp_path / "clock"
    clock = clock_at(path)
    done = _in_another_process(path, "clock.begin_change()\nclock.end_change()\n")
    assert done.returncode == 0, done.stderr
    assert (generation(clock.read()), in_flight(clock.read())) == (2, 0)


def test_a_process_that_dies_between_its_steps_leaves_the_change_in_flight(tmp_path: Path):
    path = tmp_path / "clock"
    clock = clock_at(path)
    died = _in_another_process(path, "clock.begin_change()\nos._exit(9)\n")
    assert died.returncode == 9, died.stderr
    assert in_flight(clock.read()) == 1  # every cache of the host stays off: safe
    assert clock_at(path) is clock


def test_processes_bumping_together_lose_no_step(tmp_path: Path):
    path, go = tmp_path / "clock", tmp_path / "go"
    rounds = 20000
    body = (
        f"import os\nwhile not os.path.exists({str(go)!r}):\n    pass\n"
        f"for _ in range({rounds}):\n    clock.begin_change()\n    clock.end_change()\n"
    )
    program = [sys.executable, "-c", _program(path, body)]
    workers = [subprocess.Popen(program, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    go.touch()  # all three start together
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors
    word = PrincipalClock(path).read()
    assert (generation(word), in_flight(word)) == (3 * rounds * 2, 0)


def _holding(path: Path) -> subprocess.Popen[str]:
    """A process that has the clock mapped until its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _program(path, "print('ready', flush=True)\ninput()\n")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "ready"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    _, errors = holder.communicate("\n", timeout=120)
    assert holder.returncode == 0, errors


def test_a_stuck_clock_is_reset_to_a_greater_generation_with_nothing_in_flight(tmp_path: Path):
    path = tmp_path / "clock"
    died = _in_another_process(
        path, "clock.begin_change()\nclock.end_change()\nclock.begin_change()\nos._exit(9)\n"
    )
    assert died.returncode == 9, died.stderr
    stuck = clock_state(path)
    assert stuck is not None
    assert (stuck.generation, stuck.in_flight, stuck.in_use) == (3, 1, False)
    words = reset_clock(path)
    assert words is not None
    before, after = words
    assert before == stuck.word
    assert (generation(after), in_flight(after)) == (4, 0)
    assert generation(after) > generation(before)
    # The next process maps the reset clock, and its steps work as before.
    stepped = _in_another_process(
        path,
        "assert clock.read() == " + str(after) + "\nclock.begin_change()\nclock.end_change()\n",
    )
    assert stepped.returncode == 0, stepped.stderr
    assert PrincipalClock(path).read() == after + 2 * GENERATION_STEP


def test_a_reset_is_refused_while_another_process_has_the_clock_mapped(tmp_path: Path):
    path = tmp_path / "clock"
    holder = _holding(path)
    try:
        died = _in_another_process(path, "clock.begin_change()\nos._exit(9)\n")
        assert died.returncode == 9, died.stderr
        state = clock_state(path)
        assert state is not None
        assert (state.in_flight, state.in_use) == (1, True)
        with pytest.raises(ClockInUse):
            reset_clock(path)
        unchanged = clock_state(path)
        assert unchanged is not None and unchanged.word == state.word
    finally:
        _release(holder)
    free = clock_state(path)
    assert free is not None and not free.in_use
    words = reset_clock(path)
    assert words is not None and in_flight(words[1]) == 0


def test_a_forked_child_keeps_the_clock_in_use_after_its_parent_ends(tmp_path: Path):
    path = tmp_path / "clock"
    body = (
        "import sys, time\n"
        "if os.fork() == 0:\n"
        "    sys.stdin.readline()\n"
        "    os._exit(0)\n"
        "os._exit(0)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", "import os\n" + _program(path, body)],
        stdin=subprocess.PIPE,
        text=True,
    )
    assert parent.wait(timeout=120) == 0
    state = clock_state(path)
    assert state is not None and state.in_use  # the child still holds it
    with pytest.raises(ClockInUse):
        reset_clock(path)
    assert parent.stdin is not None
    parent.stdin.write("\n")
    parent.stdin.close()  # the child reads its line and ends


def test_the_state_of_a_missing_clock_is_none(tmp_path: Path):
    assert clock_state(tmp_path / "clock") is None
    assert reset_clock(tmp_path / "clock") is None


def test_this_process_s_own_clock_counts_as_in_use(tmp_path: Path):
    path = tmp_path / "clock"
    clock = PrincipalClock(path)
    state = clock_state(path)
    assert state is not None and state.in_use and state.word == clock.read()
    with pytest.raises(ClockInUse):
        reset_clock(path)


def _program(path: Path, body: str) -> str:
    return (
        "from pathlib import Path\n"
        "from signflow.accounts.principal_clock import PrincipalClock\n"
        f"clock = PrincipalClock(Path({str(path)!r}))\n" + body
    )
