"""Jobs for the sandbox tests; module-level so a spawned worker can import them."""

from __future__ import annotations

import os
import time
from pathlib import Path


def echo(value: object) -> object:
    return value


def spin_cpu() -> None:
    while True:
        pass


def sleep_forever() -> None:
    time.sleep(3600)


def hog_memory() -> int:
    blocks = [bytearray(64 * 1024 * 1024) for _ in range(64)]
    return len(blocks)


def crash() -> None:
    os._exit(3)


def pid() -> int:
    return os.getpid()


def burn_cpu(seconds: float) -> float:
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return time.process_time() - start


def hold(gate: str) -> int:
    """A hostile job under the test's control: marks that it runs (`gate`.started), then
    spins on the CPU until the file `gate` exists; exits the worker if it says "crash"."""
    Path(f"{gate}.started").touch()
    release = Path(gate)
    while not release.exists():
        continue
    if release.read_text() == "crash":
        os._exit(3)
    return os.getpid()


_kept: list[bytes] = []


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def fragment_heap() -> None:
    """Allocates about 40 MB in blocks malloc serves from its heap and frees them, but
    for every 100th, which stays (as a parser's caches do) and pins the heap's top."""
    blocks = [bytes(1000 + n % 7) for n in range(40_000)]
    _kept.extend(blocks[::100])
