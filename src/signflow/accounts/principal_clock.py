"""The principal clock: one word, shared by every process of a host that uses a database,
that moves whenever a transaction changes what a bearer token resolves to.

The word is `generation << IN_FLIGHT_BITS | in_flight`, an aligned 64-bit integer in a
file that each process maps into memory. A writer takes the file's `flock` and adds
`GENERATION_STEP + 1` before its first change of a watched row (`begin_change`) and
`GENERATION_STEP - 1` once its transaction has ended (`end_change`): every step moves the
generation, and `in_flight` counts the transactions between their two steps. A reader
loads the word with one aligned 8-byte load (no system call, no lock): a writer stores it
with one aligned 8-byte store under the lock, so a reader sees either the word before or
the word after. Why this keeps a revoked token from working after its revocation's
commit is argued in docs/accounts.md ("The principal cache").
"""

from __future__ import annotations

import fcntl
import mmap
import os
import threading
from pathlib import Path

from signflow.file_modes import private_directory

IN_FLIGHT_BITS = 24
IN_FLIGHT_MASK = (1 << IN_FLIGHT_BITS) - 1
GENERATION_STEP = 1 << IN_FLIGHT_BITS
WORD_BYTES = 8


def generation(word: int) -> int:
    return word >> IN_FLIGHT_BITS


def in_flight(word: int) -> int:
    return word & IN_FLIGHT_MASK


class PrincipalClock:
    """The shared word of one database on this host, in the file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._guard = threading.Lock()  # the threads of one process share one file lock
        self._open()

    def _open(self) -> None:
        private_directory(self.path.parent)
        self._pid = os.getpid()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            if os.fstat(self._fd).st_size < WORD_BYTES:
                os.ftruncate(self._fd, WORD_BYTES)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._map = mmap.mmap(self._fd, WORD_BYTES)
        self._word = memoryview(self._map).cast("Q")

    def read(self) -> int:
        return int(self._word[0])

    def begin_change(self) -> None:
        """Before the first change of a watched row in a transaction."""
        self._add(GENERATION_STEP + 1)

    def end_change(self) -> None:
        """After that transaction has ended, committed or rolled back."""
        self._add(GENERATION_STEP - 1)

    def _add(self, delta: int) -> None:
        with self._guard:
            if self._pid != os.getpid():
                # A forked child shares its parent's open file, and with it the flock:
                # it needs its own, or the two would not exclude each other.
                self._open()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                self._word[0] = self._word[0] + delta
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


_clocks: dict[Path, PrincipalClock] = {}
_clocks_guard = threading.Lock()


def clock_at(path: Path) -> PrincipalClock:
    """The process's one clock for the file at `path` (a file is mapped once)."""
    resolved = path.resolve()
    with _clocks_guard:
        clock = _clocks.get(resolved)
        if clock is None:
            clock = _clocks[resolved] = PrincipalClock(resolved)
        return clock
