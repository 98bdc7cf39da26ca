from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from signflow.pdf.sandbox import Sandbox, SandboxFailure, SandboxLimits
from tests.pdf import sandbox_jobs


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(
        SandboxLimits(memory_bytes=512 * 1024 * 1024, cpu_seconds=2, wall_seconds=3, workers=1)
    )
    assert box.run(sandbox_jobs.echo, "warm") == "warm"
    yield box
    box.close()


def test_runs_a_job_in_another_process(sandbox: Sandbox) -> None:
    import os

    assert sandbox.run(sandbox_jobs.pid) != os.getpid()
    assert sandbox.run(sandbox_jobs.echo, {"a": [1, 2]}) == {"a": [1, 2]}


@pytest.mark.parametrize(
    "job",
    [
        sandbox_jobs.spin_cpu,
        sandbox_jobs.sleep_forever,
        sandbox_jobs.hog_memory,
        sandbox_jobs.crash,
    ],
    ids=["cpu", "wall-clock", "memory", "crash"],
)
def test_a_runaway_job_fails_and_its_worker_is_replaced(sandbox: Sandbox, job: object) -> None:
    before = sandbox.run(sandbox_jobs.pid)
    started = time.monotonic()
    with pytest.raises(SandboxFailure):
        sandbox.run(job)  # type: ignore[arg-type]
    assert time.monotonic() - started < 5
    after = sandbox.run(sandbox_jobs.pid)
    assert after != before
    assert sandbox.run(sandbox_jobs.echo, "still working") == "still working"


def test_cpu_allowance_is_per_job_not_per_worker_lifetime() -> None:
    box = Sandbox(SandboxLimits(cpu_seconds=2, wall_seconds=5, workers=1))
    try:
        worker = box.run(sandbox_jobs.pid)
        for _ in range(3):
            assert box.run(sandbox_jobs.burn_cpu, 0.8) >= 0.8
        assert box.run(sandbox_jobs.pid) == worker
    finally:
        box.close()


def test_a_closed_sandbox_refuses_work() -> None:
    box = Sandbox(SandboxLimits(workers=1))
    box.close()
    with pytest.raises(RuntimeError, match="closed"):
        box.run(sandbox_jobs.echo, 1)
