"""A small pool of worker processes that run hostile-input parsing under resource limits.

Each worker caps its address space (RLIMIT_AS) once, and before every job
sets its CPU-time limit to what it has used so far plus the job's allowance,
so a job that spins is killed by SIGXCPU. The parent also enforces a
wall-clock timeout; a worker that times out, crashes or runs out of memory
is killed and replaced, and its job reported as SandboxFailure.

ProcessPoolExecutor is not used because it cannot kill one stuck worker
without breaking the whole pool.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.spawn
import queue
import resource
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

STARTUP_TIMEOUT_S = 60.0
WORKER_NAME = "signflow-pdf-sandbox"

_preparation_data = multiprocessing.spawn.get_preparation_data


def _lean_preparation_data(name: str) -> dict[str, Any]:
    """What a spawned process is told to prepare, less the parent's __main__ for ours.

    A spawned child re-imports the parent's main module; in the server that is the
    `signflow` command, so each worker imported the whole application (about 100 MB
    resident) before the parsers it needs. Its job function is importable by name."""
    data: dict[str, Any] = _preparation_data(name)
    if name == WORKER_NAME:
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


multiprocessing.spawn.get_preparation_data = _lean_preparation_data


class SandboxFailure(Exception):
    """The job did not finish within the limits: timeout, crash or memory exhaustion."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    memory_bytes: int = 512 * 1024 * 1024
    cpu_seconds: int = 10
    wall_seconds: float = 10.0
    workers: int = 2
    # A worker whose resident memory is above this after a job is replaced (0: never),
    # so what one large job left behind (heap fragments, parser caches) is given back.
    recycle_rss_bytes: int = 0


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _worker_main(
    conn: Connection, memory_bytes: int, preload: tuple[str, ...], recycle_rss_bytes: int = 0
) -> None:
    import importlib

    for module in preload:
        importlib.import_module(module)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        func, args, cpu_seconds = job
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = math.ceil(usage.ru_utime + usage.ru_stime)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_seconds, hard))
        try:
            result = func(*args)
        except MemoryError:
            return  # the parent sees EOF and replaces this worker
        retire = bool(recycle_rss_bytes) and _resident_bytes() > recycle_rss_bytes
        conn.send((result, retire))
        if retire:
            return  # the parent replaces this worker


class _Worker:
    def __init__(
        self, memory_bytes: int, preload: tuple[str, ...], recycle_rss_bytes: int = 0
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child_conn = ctx.Pipe(duplex=True)
        self.process: BaseProcess = ctx.Process(
            target=_worker_main,
            args=(child_conn, memory_bytes, preload, recycle_rss_bytes),
            name=WORKER_NAME,
            daemon=True,
        )
        self.process.start()
        child_conn.close()
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(STARTUP_TIMEOUT_S) or self.conn.recv() != "ready":
            raise SandboxFailure("the sandbox worker did not start")
        self.ready = True

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class Sandbox:
    """Runs picklable module-level functions in resource-limited worker processes.

    Thread-safe; `run` blocks, so async callers use `asyncio.to_thread(sandbox.run, ...)`.
    Workers start on first use.
    """

    def __init__(self, limits: SandboxLimits, *, preload: tuple[str, ...] = ()) -> None:
        self.limits = limits
        self._preload = preload
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox is closed")
            if not self._started:
                for _ in range(self.limits.workers):
                    self._idle.put(self._new_worker())
                self._started = True

    def _new_worker(self) -> _Worker:
        return _Worker(self.limits.memory_bytes, self._preload, self.limits.recycle_rss_bytes)

    def run(self, func: Callable[..., Any], *args: Any) -> Any:
        self._start()
        worker = self._idle.get()
        healthy = False
        try:
            worker.wait_ready()
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

    def _release(self, worker: _Worker, *, healthy: bool) -> None:
        with self._lock:
            if healthy and not self._closed:
                self._idle.put(worker)
                return
            worker.kill()
            if not self._closed:
                self._idle.put(self._new_worker())

    def close(self) -> None:
        with self._lock:
            self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            worker.kill()
