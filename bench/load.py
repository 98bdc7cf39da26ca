"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams (uvloop when
available), used for both sides of every comparison. Keep-alive connections, each
sending its next request when the previous answer is complete."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
        }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


def build_request(url: str, headers: dict[str, str] | None = None) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {path or '/'} HTTP/1.1", f"Host: {parts.netloc}", "Accept: */*"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return parts.hostname or "127.0.0.1", parts.port or 80, request


async def _load(
    url: str, headers: dict[str, str] | None, connections: int, seconds: float, warmup: float
) -> LoadResult:
    host, port, request = build_request(url, headers)
    latencies: list[float] = []
    errors = 0
    measuring = False
    stop_at = time.perf_counter() + warmup + seconds

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                elapsed = time.perf_counter() - start
                if measuring:
                    if status == 200:
                        latencies.append(elapsed)
                    else:
                        errors += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    tasks = [asyncio.create_task(connection()) for _ in range(connections)]
    await asyncio.sleep(warmup)
    measuring = True
    began = time.perf_counter()
    done, pending = await asyncio.wait(tasks, timeout=seconds + 30)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - began
    for task in done:
        if task.exception() is not None:
            errors += 1
    count = len(latencies)
    return LoadResult(
        requests=count,
        errors=errors,
        seconds=elapsed,
        rps=count / elapsed if elapsed else 0.0,
        p50_ms=statistics.median(latencies) * 1000 if latencies else float("nan"),
        p99_ms=percentile(latencies, 99) * 1000,
    )


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on uvloop when installed (lower client overhead), else asyncio."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def load(
    url: str,
    headers: dict[str, str] | None = None,
    *,
    connections: int = 32,
    seconds: float = 5.0,
    warmup: float = 1.0,
) -> LoadResult:
    """GET `url` from `connections` keep-alive connections for `seconds` after `warmup`."""
    result: LoadResult = run_async(_load(url, headers, connections, seconds, warmup))
    return result
