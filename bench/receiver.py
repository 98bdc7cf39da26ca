"""A loopback webhook receiver on raw asyncio streams: answers 204 and timestamps every
notification on arrival (time.perf_counter, the same clock the benchmark uses).

`ReceiverProcess` runs it in a process of its own, so that arrivals are stamped when
they arrive, not when a benchmark process busy generating load gets round to them
(perf_counter is CLOCK_MONOTONIC on Linux: one clock for every process)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RESPONSE = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


@dataclass
class Arrival:
    at: float
    body: dict[str, Any]


@dataclass
class Receiver:
    arrivals: list[Arrival] = field(default_factory=list)
    on_arrival: Callable[[Arrival], None] | None = None
    server: asyncio.Server | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                arrival = Arrival(time.perf_counter(), json.loads(body) if body else {})
                self.arrivals.append(arrival)
                if self.on_arrival is not None:
                    self.on_arrival(arrival)
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)


@dataclass
class ReceiverProcess:
    """`Receiver`'s interface, with the receiver in a child process that reports each
    arrival as a JSON line on its standard output."""

    on_arrival: Callable[[Arrival], None] | None = None
    port: int = 0
    _child: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> ReceiverProcess:
        self._child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.receiver", stdout=asyncio.subprocess.PIPE
        )
        assert self._child.stdout is not None
        self.port = int(await self._child.stdout.readline())
        self._reader = asyncio.create_task(self._read_arrivals(self._child.stdout))
        return self

    async def _read_arrivals(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            report = json.loads(line)
            if self.on_arrival is not None:
                self.on_arrival(Arrival(report["at"], report["body"]))

    async def __aexit__(self, *exc: object) -> None:
        if self._child is not None and self._child.returncode is None:
            self._child.terminate()
            await self._child.wait()
        if self._reader is not None:
            await self._reader


async def _serve_and_report() -> None:
    def report(arrival: Arrival) -> None:
        line = json.dumps({"at": arrival.at, "body": arrival.body}, separators=(",", ":"))
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    async with Receiver(on_arrival=report) as receiver:
        print(receiver.port, flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_and_report())
