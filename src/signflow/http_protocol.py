"""The HTTP protocol `signflow serve` runs: uvicorn's httptools protocol, with deadlines.

Uvicorn closes a kept-alive connection that stays idle between requests
(`timeout_keep_alive`), but sets no deadline on a request in progress: a client that sends
one header line, or one body byte, every few seconds holds its connection (and whatever
the application holds for it) for ever. This protocol adds, per connection:

- a header deadline (`SIGNFLOW_HEADER_TIMEOUT_SECONDS`): the request line and headers
  must be complete that long after the connection opened, or after the first byte of a
  next request on a kept-alive connection. Past it: 408 and the connection closes (a
  connection that sent nothing at all is closed without an answer);
- a header size cap (`MAX_HEADER_BYTES`): 431 and close past it; httptools sets none;
- a body deadline (`SIGNFLOW_BODY_DEADLINE_SECONDS`): the whole body must be in that long
  after the headers. The application's guard (`middleware.BodySizeLimitMiddleware`)
  answers 408 in the dialect's shape at that moment when it is reading the body; this
  is the backstop, `BODY_DEADLINE_GRACE` later, that closes the connection whoever
  reads;
- a bounded drain: when the answer is sent before the request's body was read (a 401
  before the body, a 413), uvicorn keeps reading and discarding the rest so that the
  connection can serve a next request. That drain now stops after `DRAIN_SECONDS` or
  `DRAIN_BYTES`, whichever comes first, and the connection closes. Closing at once
  instead would reset it while the client is still sending, and it would likely never
  read the answer.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from signflow.config import Settings

MAX_HEADER_BYTES = 64 * 1024
BODY_DEADLINE_GRACE = 2.0
DRAIN_SECONDS = 2.0
DRAIN_BYTES = 1024 * 1024

logger = logging.getLogger("signflow.http")


@dataclass(frozen=True)
class ClientDeadlines:
    header_timeout: float
    body_deadline: float


@functools.cache
def client_deadlines() -> ClientDeadlines:
    """Read once per process, from the same SIGNFLOW_* settings as the application."""
    settings = Settings()
    return ClientDeadlines(settings.header_timeout_seconds, settings.body_deadline_seconds)


def _plain_answer(status: int, reason: str) -> bytes:
    body = reason.encode()
    return b"".join(
        [
            f"HTTP/1.1 {status} {reason}\r\n".encode(),
            b"content-type: text/plain; charset=utf-8\r\n",
            f"content-length: {len(body)}\r\n".encode(),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.deadlines = client_deadlines()
        self._timer: asyncio.TimerHandle | None = None
        self._reading_headers = False
        self._header_bytes = 0
        self._reading_body = False
        self._draining = False
        self._drained = 0

    # The request's phases ---------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_headers(bytes_seen=0)

    def data_received(self, data: bytes) -> None:
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._reading_headers and self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431, "Request Header Fields Too Large", "headers too large")
        elif self._draining:
            self._drained += len(data)
            if self._drained > DRAIN_BYTES:
                self._close("unread request body beyond the drain limit")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._reading_headers:  # a next request on a kept-alive connection
            self._start_headers(bytes_seen=1)

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._reading_body = True
        self._arm(self.deadlines.body_deadline + BODY_DEADLINE_GRACE, self._body_too_slow)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        drained = self._draining
        self._reading_body = self._draining = False
        self._cancel()
        super().on_message_complete()
        if drained:
            # Uvicorn armed its keep-alive timeout when the answer went out, and the body
            # bytes since then cancelled it: idle from now on, the connection closes as
            # any kept-alive one does.
            self._arm(self.timeout_keep_alive, lambda: self._close("idle after its answer"))

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._reading_body and not self._draining and not self.transport.is_closing():
            # Answered before the body was read: discard the rest for a short while only.
            self._draining = True
            self._drained = 0
            self._arm(DRAIN_SECONDS, lambda: self._close("unread request body"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    # Deadlines ---------------------------------------------------------------------

    def _start_headers(self, bytes_seen: int) -> None:
        self._reading_headers = True
        self._header_bytes = bytes_seen
        self._arm(self.deadlines.header_timeout, self._headers_too_slow)

    def _headers_too_slow(self) -> None:
        if self._header_bytes == 0:
            self._close("no request within the header deadline")
        else:
            self._refuse(408, "Request Timeout", "headers not complete within the deadline")

    def _body_too_slow(self) -> None:
        self._close("body not complete within the deadline")

    def _refuse(self, status: int, reason: str, why: str) -> None:
        """A plain answer from the protocol itself, when no application answer is under way."""
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_plain_answer(status, reason))
        self._close(why)

    def _close(self, why: str) -> None:
        self._cancel()
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown client"
        logger.info("closed the connection of %s: %s", client, why)
        self.transport.close()

    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._cancel()
        self._timer = self.loop.call_later(delay, callback)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
