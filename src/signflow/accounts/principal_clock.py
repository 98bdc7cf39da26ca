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

Every process that maps the clock also holds a shared `flock` on a second file beside
it, `<clock>-users`, for as long as it lives: `reset_clock` takes that lock exclusively,
so it runs only while no process of the host has the clock mapped, and a process that
starts meanwhile waits for it.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from signflow.file_modes import private_directory

IN_FLIGHT_BITS = 24
IN_FLIGHT_MASK = (1 << IN_FLIGHT_BITS) - 1
GENERATION_STEP = 1 << IN_FLIGHT_BITS
WORD_BYTES = 8
USERS_SUFFIX = "-users"
_WORD = struct.Struct("=Q")  # the mapping's native 8-byte word


class ClockInUse(Exception):
    """Another process of the host has the clock mapped."""


@dataclass(frozen=True)
class ClockState:
    word: int
    in_use: bool  # some process of the host has the clock mapped

    @property
    def generation(self) -> int:
        return generation(self.word)

    @property
    def in_flight(self) -> int:
        return in_flight(self.word)


def users_path(path: Path) -> Path:
    """The file every process that maps the clock at `path` holds a shared lock on."""
    return path.with_name(path.name + USERS_SUFFIX)


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
        # Held (shared) until the process ends: a reset waits for no process to hold it.
        # Taken before the clock is opened, so a process starting during a reset waits
        # for the reset's word.
        self._users = os.open(users_path(self.path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._users, fcntl.LOCK_SH)
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


def _word_of(fd: int) -> int:
    return int(_WORD.unpack(os.pread(fd, WORD_BYTES, 0).ljust(WORD_BYTES, b"\0"))[0])


def clock_state(path: Path) -> ClockState | None:
    """The clock's word and whether a process of the host uses it, read without mapping
    it (None when there is no clock file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        word = _word_of(fd)
    finally:
        os.close(fd)
    users = os.open(users_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return ClockState(word, in_use=True)
        return ClockState(word, in_use=False)
    finally:
        os.close(users)  # releases the probe's lock


def reset_clock(path: Path) -> tuple[int, int] | None:
    """Set the clock to the next generation with nothing in flight, while no process of
    the host has it mapped; (word before, word after), or None when there is no clock.

    Raises `ClockInUse` when another process has it mapped (a live process may be between
    its two steps: only a clock no one uses can be reset safely). The new generation is
    greater than any the clock has shown, so no entry stamped before could match it."""
    if not path.exists():
        return None
    users = os.open(users_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ClockInUse(str(path)) from None
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            before = _word_of(fd)
            after = (generation(before) + 1) << IN_FLIGHT_BITS
            os.pwrite(fd, _WORD.pack(after), 0)
            os.fsync(fd)
        finally:
            os.close(fd)  # and its lock
        return before, after
    finally:
        os.close(users)


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
