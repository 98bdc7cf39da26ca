"""An elastic pool of worker processes that run hostile-input parsing under resource limits.

Each worker (sandbox_worker.py) caps its address space and each job's CPU time; the
parent also enforces a wall-clock timeout. A worker that times out, crashes or runs out
of memory is killed and its job reported as SandboxFailure; the pool replaces it.

The pool keeps `resident_workers` (one by default) once started. Jobs queue for them:
an ordinary file takes a fraction of a second, so a burst of uploads waits in turn
rather than holding a second process. Only when a job has run longer than
`extra_worker_after_seconds` while another job waits (a slow or hostile file) does the
pool start an extra worker, up to `workers` in all, so that file holds up only itself.
An extra worker stops after `extra_worker_idle_seconds` without a job.

ProcessPoolExecutor is not used because it cannot kill one stuck worker without
breaking the whole pool.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from signflow.pdf.sandbox_worker import WorkerProcess, WorkerSettings


class SandboxFailure(Exception):
    """The job did not finish within the limits: timeout, crash or memory exhaustion."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    memory_bytes: int = 512 * 1024 * 1024
    cpu_seconds: int = 10
    wall_seconds: float = 10.0
    # The most workers at once; `resident_workers` of them stay once started.
    workers: int = 2
    resident_workers: int = 1
    # An extra worker starts when a job has run this long while another job waits...
    extra_worker_after_seconds: float = 2.0
    # ...and stops after this long without a job.
    extra_worker_idle_seconds: float = 30.0
    # A worker whose resident memory is above this after a job is replaced (0: never),
    # so what one large job left behind (heap fragments, parser caches) is given back.
    recycle_rss_bytes: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.resident_workers <= self.workers:
            raise ValueError("a sandbox needs 1 <= resident_workers <= workers")


class Sandbox:
    """Runs picklable module-level functions in resource-limited worker processes.

    Thread-safe; `run` blocks, so async callers use `asyncio.to_thread(sandbox.run, ...)`.
    Workers start on first use.
    """

    def __init__(self, limits: SandboxLimits, *, preload: tuple[str, ...] = ()) -> None:
        self.limits = limits
        self._settings = WorkerSettings(limits.memory_bytes, preload, limits.recycle_rss_bytes)
        self._changed = threading.Condition()
        # Workers waiting for a job, with when each became idle; the last is the newest.
        self._idle: list[tuple[WorkerProcess, float]] = []
        self._job_started: dict[WorkerProcess, float] = {}  # workers running a job
        self._workers: set[WorkerProcess] = set()  # every live worker: idle, starting, busy
        self._reaper: threading.Thread | None = None
        self._closed = False
        _open_sandboxes.add(self)

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (idle, starting or running a job)."""
        with self._changed:
            return sorted(worker.pid for worker in self._workers)

    def run(self, func: Callable[..., Any], *args: Any) -> Any:
        worker = self._acquire()
        healthy = False
        try:
            if not worker.wait_ready():
                raise SandboxFailure("the sandbox worker did not start")
            with self._changed:
                self._job_started[worker] = time.monotonic()
                self._changed.notify_all()  # waiters now know when this job becomes slow
            worker.conn.send((func, args, self.limits.cpu_seconds))
            if not worker.conn.poll(self.limits.wall_seconds):
                raise SandboxFailure("the job exceeded its time limit")
            result, retiring = worker.conn.recv()
            healthy = not retiring
            return result
        except (EOFError, OSError) as exc:
            raise SandboxFailure("the worker died (memory or CPU limit reached)") from exc
        finally:
            self._release(worker, healthy=healthy)

    def _acquire(self) -> WorkerProcess:
        with self._changed:
            while True:
                if self._closed:
                    raise RuntimeError("the sandbox is closed")
                if self._idle:
                    worker, _ = self._idle.pop()
                    return worker
                now = time.monotonic()
                if self._capacity_is_short(now):
                    return self._start_worker()
                self._changed.wait(self._until_a_job_is_slow(now))

    def _capacity_is_short(self, now: float) -> bool:
        """Fewer workers than resident ones are free of slow jobs, and the pool has room."""
        if len(self._workers) >= self.limits.workers:
            return False
        slow_since = now - self.limits.extra_worker_after_seconds
        slow = sum(1 for started in self._job_started.values() if started <= slow_since)
        return len(self._workers) - slow < self.limits.resident_workers

    def _until_a_job_is_slow(self, now: float) -> float | None:
        """How long until a running job counts as slow (None: no such change to wait for)."""
        if len(self._workers) >= self.limits.workers:
            return None
        after = self.limits.extra_worker_after_seconds
        waits = [started + after - now for started in self._job_started.values()]
        pending = [wait for wait in waits if wait > 0]
        return min(pending) if pending else None

    def _start_worker(self) -> WorkerProcess:
        worker = WorkerProcess(self._settings)
        self._workers.add(worker)
        if len(self._workers) > self.limits.resident_workers and self._reaper is None:
            self._reaper = threading.Thread(
                target=self._stop_idle_extra_workers, name="sandbox-reaper", daemon=True
            )
            self._reaper.start()
        return worker

    def _release(self, worker: WorkerProcess, *, healthy: bool) -> None:
        with self._changed:
            self._job_started.pop(worker, None)
            self._changed.notify_all()
            if healthy and not self._closed:
                self._idle.append((worker, time.monotonic()))
                return
        # Gone before its replacement starts, so the two never hold memory at once; until
        # then it still counts, so no waiting job starts another meanwhile.
        try:
            worker.kill()
        finally:
            with self._changed:
                self._workers.discard(worker)
                if not self._closed and len(self._workers) < self.limits.resident_workers:
                    self._idle.append((self._start_worker(), time.monotonic()))
                self._changed.notify_all()

    def _stop_idle_extra_workers(self) -> None:
        """The reaper thread: stops the longest-idle worker while the pool has more than
        its resident ones and that worker has been idle long enough; ends with them."""
        try:
            self._reap()
        except BaseException:
            with self._changed:
                self._reaper = None  # a later extra worker starts a new reaper
            raise

    def _reap(self) -> None:
        idle_limit = self.limits.extra_worker_idle_seconds
        while True:
            with self._changed:
                if self._closed or len(self._workers) <= self.limits.resident_workers:
                    # Under the lock that starts workers: one started after this
                    # starts a reaper of its own.
                    self._reaper = None
                    return
                if not self._idle:
                    self._changed.wait()
                    continue
                worker, since = self._idle[0]
                idle_for = time.monotonic() - since
                if idle_for < idle_limit:
                    self._changed.wait(idle_limit - idle_for)
                    continue
                del self._idle[0]
                self._workers.discard(worker)
            worker.kill()

    def close(self) -> None:
        """Stop the idle workers now, and each busy one when its job ends."""
        with self._changed:
            self._closed = True
            idle = [worker for worker, _ in self._idle]
            self._idle.clear()
            self._workers.difference_update(idle)
            self._changed.notify_all()
        for worker in idle:
            worker.kill()


_open_sandboxes: weakref.WeakSet[Sandbox] = weakref.WeakSet()


@atexit.register
def _close_open_sandboxes() -> None:
    for sandbox in list(_open_sandboxes):
        sandbox.close()
