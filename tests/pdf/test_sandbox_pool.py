"""The sandbox's elastic pool, with real worker processes: one resident worker, an extra
one only while a job is slow and others wait, stopped again when idle."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from signflow.pdf.sandbox import Sandbox, SandboxFailure, SandboxLimits
from signflow.pdf.sandbox_worker import WORKER_NAME
from tests.pdf import sandbox_jobs

# A deadline for things that happen in well under a second on an idle machine: a
# liveness check on a loaded one, never a measure of speed.
LIVENESS_S = 60.0


class Gate:
    """Holds a `sandbox_jobs.hold` job on its worker until released."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def wait_started(self) -> None:
        _wait_until(Path(f"{self.path}.started").exists)

    def release(self, how: str = "return") -> None:
        if not self.path.exists():
            staged = self.path.with_suffix(".staged")
            staged.write_text(how)
            staged.rename(self.path)  # the job never reads a half-written file


def _wait_until(condition: object) -> None:
    deadline = time.monotonic() + LIVENESS_S
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not reached within the liveness deadline"
        time.sleep(0.01)


def _sandbox_children() -> set[int]:
    """This process's children that are sandbox workers, read from /proc."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if (
            int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid()
            and WORKER_NAME.encode() in cmdline
        ):
            pids.add(int(entry.name))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def threads() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as pool:
        yield pool


def elastic(**limits: float) -> Sandbox:
    settings: dict[str, float] = {
        "cpu_seconds": 120,
        "wall_seconds": 120.0,
        "workers": 2,
        "resident_workers": 1,
        "extra_worker_after_seconds": 0.2,
        "extra_worker_idle_seconds": 3600.0,
    } | limits
    return Sandbox(SandboxLimits(**settings))  # type: ignore[arg-type]


def test_waiting_quick_jobs_share_the_resident_worker(threads: ThreadPoolExecutor) -> None:
    box = elastic(extra_worker_after_seconds=3600.0)
    try:
        burst = [threads.submit(box.run, sandbox_jobs.pid) for _ in range(16)]
        pids = {job.result(LIVENESS_S) for job in burst}
        assert len(pids) == 1
        assert len(box.worker_pids()) == 1
    finally:
        box.close()


def test_a_slow_job_gets_an_extra_worker_for_the_jobs_behind_it(
    tmp_path: Path, threads: ThreadPoolExecutor
) -> None:
    box, gate = elastic(), Gate(tmp_path / "gate")
    try:
        resident = box.run(sandbox_jobs.pid)
        held = threads.submit(box.run, sandbox_jobs.hold, str(gate.path))
        gate.wait_started()
        behind = [threads.submit(box.run, sandbox_jobs.pid) for _ in range(3)]
        extra = {job.result(LIVENESS_S) for job in behind}
        assert not held.done()  # they were served while the slow job still ran
        assert extra.isdisjoint({resident})
        assert len(extra) == 1
        assert set(box.worker_pids()) == extra | {resident}
        gate.release()
        assert held.result(LIVENESS_S) == resident
    finally:
        gate.release()
        box.close()


def test_an_idle_extra_worker_stops(tmp_path: Path, threads: ThreadPoolExecutor) -> None:
    box, gate = elastic(extra_worker_idle_seconds=0.5), Gate(tmp_path / "gate")
    try:
        held = threads.submit(box.run, sandbox_jobs.hold, str(gate.path))
        gate.wait_started()
        extra = threads.submit(box.run, sandbox_jobs.pid).result(LIVENESS_S)
        gate.release()
        resident = held.result(LIVENESS_S)
        _wait_until(lambda: len(box.worker_pids()) == 1)
        stopped = ({extra, resident} - set(box.worker_pids())).pop()
        _wait_until(lambda: not _alive(stopped))  # its process ends, too
        assert box.run(sandbox_jobs.echo, "still served") == "still served"
    finally:
        gate.release()
        box.close()


def test_the_pool_never_exceeds_its_maximum(tmp_path: Path, threads: ThreadPoolExecutor) -> None:
    before = _sandbox_children()
    box = elastic(extra_worker_after_seconds=0.05)
    gates = [Gate(tmp_path / "first"), Gate(tmp_path / "second")]
    try:
        held = []
        for gate in gates:
            held.append(threads.submit(box.run, sandbox_jobs.hold, str(gate.path)))
            gate.wait_started()
        waiting = [threads.submit(box.run, sandbox_jobs.pid) for _ in range(4)]
        most = 0
        for _ in range(100):  # a second in which a third worker would have been started
            most = max(most, len(_sandbox_children() - before))
            time.sleep(0.01)
        assert most == 2
        assert not any(job.done() for job in waiting)
        for gate in gates:
            gate.release()
        served = {job.result(LIVENESS_S) for job in waiting}
        assert served <= {job.result(LIVENESS_S) for job in held}
        assert len(_sandbox_children() - before) <= 2
    finally:
        for gate in gates:
            gate.release()
        box.close()


def test_a_crash_of_either_worker_is_reported_and_the_worker_replaced(
    tmp_path: Path, threads: ThreadPoolExecutor
) -> None:
    box, gate = elastic(), Gate(tmp_path / "gate")
    try:
        held = threads.submit(box.run, sandbox_jobs.hold, str(gate.path))
        gate.wait_started()
        extra = box.run(sandbox_jobs.pid)
        with pytest.raises(SandboxFailure):
            box.run(sandbox_jobs.crash)  # on the extra worker: the held one is busy
        replacement = box.run(sandbox_jobs.pid)
        assert replacement != extra
        assert not held.done()
        gate.release("crash")
        with pytest.raises(SandboxFailure):
            held.result(LIVENESS_S)
        assert box.run(sandbox_jobs.echo, "served") == "served"
        assert len(box.worker_pids()) <= 2
    finally:
        gate.release()
        box.close()


def test_a_spinning_job_is_stopped_at_its_limit_while_others_are_served(
    tmp_path: Path, threads: ThreadPoolExecutor
) -> None:
    box, gate = elastic(cpu_seconds=3, wall_seconds=3.0), Gate(tmp_path / "never")
    try:
        held = threads.submit(box.run, sandbox_jobs.hold, str(gate.path))
        gate.wait_started()
        assert threads.submit(box.run, sandbox_jobs.echo, "ok").result(LIVENESS_S) == "ok"
        with pytest.raises(SandboxFailure):
            held.result(LIVENESS_S)
        assert box.run(sandbox_jobs.echo, "after") == "after"
        assert len(box.worker_pids()) <= 2
    finally:
        box.close()


def test_limits_need_a_resident_worker_within_the_maximum() -> None:
    with pytest.raises(ValueError, match="resident_workers"):
        SandboxLimits(workers=1, resident_workers=2)
    with pytest.raises(ValueError, match="resident_workers"):
        SandboxLimits(resident_workers=0)
