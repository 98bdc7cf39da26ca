"""One sandbox worker process: how it is started, and the loop it runs.

The worker is a fresh interpreter started with `subprocess`, not `multiprocessing`: a
`spawn` start would also start multiprocessing's resource tracker (a third process of
about 12 MB that only cleans up named semaphores and shared memory, which the sandbox
never uses) and re-import the parent's `__main__` (the whole application). Parent and
worker talk over a socket pair wrapped in `multiprocessing.connection.Connection`
(pickled messages); jobs are module-level functions, pickled by name.

The worker caps its address space (RLIMIT_AS) once, after importing what it preloads,
and before every job sets its CPU-time limit to what it has used so far plus the job's
allowance, so a job that spins is killed by SIGXCPU.
"""

from __future__ import annotations

import ctypes
import gc
import math
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

STARTUP_TIMEOUT_S = 60.0
WORKER_NAME = "signflow-pdf-sandbox"  # on the worker's command line, for `ps`

# What the new interpreter runs: the parent's import path first (so it imports the same
# signflow the parent runs), then the loop below. Only the standard library before that.
_BOOTSTRAP = (
    "import sys\n"
    "from multiprocessing.connection import Connection\n"
    "conn = Connection(int(sys.argv[1]))\n"
    "sys.path[:] = conn.recv()\n"
    "from signflow.pdf.sandbox_worker import serve\n"
    "serve(conn)\n"
)


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    memory_bytes: int
    preload: tuple[str, ...]
    # Above this resident size after a job the worker exits, to be replaced (0: never).
    recycle_rss_bytes: int


class WorkerProcess:
    """The parent's handle on one worker: its process and its end of the socket pair."""

    def __init__(self, settings: WorkerSettings) -> None:
        parent_end, child_end = socket.socketpair()
        with parent_end, child_end:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and code)
                [sys.executable, "-c", _BOOTSTRAP, str(child_end.fileno()), WORKER_NAME],
                stdin=subprocess.DEVNULL,
                pass_fds=(child_end.fileno(),),
            )
            self.conn = Connection(parent_end.detach())
        self.conn.send(list(sys.path))
        self.conn.send(settings)
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> bool:
        """Whether the worker has started (at once after the first time); EOFError if it
        died starting."""
        if not self.ready:
            self.ready = self.conn.poll(STARTUP_TIMEOUT_S) and self.conn.recv() == "ready"
        return self.ready

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.conn.close()


def _give_back_memory() -> Callable[[], None]:
    """What returns a job's freed heap to the system: without it a worker grew by about
    20 MB with each 10 MB PDF (glibc keeps freed memory for reuse), and was replaced
    every second job. malloc_trim is glibc's; elsewhere only the collector runs."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)

    def give_back() -> None:
        gc.collect()
        if trim is not None:
            trim(0)

    return give_back


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def serve(conn: Connection) -> None:
    """The worker's loop: run each job received, send back its result, until EOF."""
    import importlib

    # Ctrl-C in a terminal reaches the whole process group; the parent stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings: WorkerSettings = conn.recv()
    for module in settings.preload:
        importlib.import_module(module)
    resource.setrlimit(resource.RLIMIT_AS, (settings.memory_bytes, settings.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    conn.send("ready")
    recycle = settings.recycle_rss_bytes
    give_back_memory = _give_back_memory()
    while True:
        try:
            func, args, cpu_seconds = conn.recv()
        except EOFError:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = math.ceil(usage.ru_utime + usage.ru_stime)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_seconds, hard))
        try:
            result = func(*args)
        except MemoryError:
            return  # the parent sees EOF and replaces this worker
        give_back_memory()
        retire = bool(recycle) and _resident_bytes() > recycle
        conn.send((result, retire))
        if retire:
            return  # the parent replaces this worker
