"""The principal clock: a word shared by the processes of a host through a mapped file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from signflow.accounts.principal_clock import PrincipalClock, clock_at, generation, in_flight


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


def _program(path: Path, body: str) -> str:
    return (
        "from pathlib import Path\n"
        "from signflow.accounts.principal_clock import PrincipalClock\n"
        f"clock = PrincipalClock(Path({str(path)!r}))\n" + body
    )
