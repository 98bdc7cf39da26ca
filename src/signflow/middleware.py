"""ASGI middleware: request ids with an access log line, and the request body size cap."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signflow.errors import PayloadTooLarge, RequestTimeout, SignflowError
from signflow.faces.okdokument.errors import okdokument_error_body
from signflow.faces.signinghub.errors import signinghub_error_body
from signflow.logs import request_id_var

OKDOKUMENT_PREFIX = "/JSON"

logger = logging.getLogger("signflow.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def loggable_path(scope: Scope) -> str:
    """The request's path for a log line: a link's `{token}` path parameter left out."""
    path: str = scope["path"]
    link = (scope.get("path_params") or {}).get("token")
    return path.replace(link, "{token}") if link else path


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_REQUEST_ID.match(given) else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The path only: query strings may carry signed links; a link's {token} is left out.
            logger.info(
                "%s %s %s",
                scope["method"],
                loggable_path(scope),
                status,
                extra={"duration_ms": round((time.perf_counter() - started) * 1000, 2)},
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Guards request bodies: over the cap is 413; a client that sends nothing of its body
    for `read_timeout`, or has not sent all of it `body_deadline` after its headers, is 408.

    The cap is checked before reading when Content-Length says so, and counted as a
    streamed body arrives. Once refused, the refusal goes out, the application's read
    raises the same error, and whatever it answers then is dropped. Once the whole body
    is in, `receive` is passed through untouched (an application may wait on it for a
    disconnect).
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, read_timeout: float = 30.0, body_deadline: float = 300.0
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout
        self.body_deadline = body_deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_refusal(send, scope["path"], PayloadTooLarge())
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_deadline
        received = 0
        response_started = refused = body_complete = False

        async def counting_receive() -> Message:
            nonlocal received, refused, body_complete
            if refused:
                return {"type": "http.disconnect"}
            if body_complete:
                return await receive()
            try:
                async with asyncio.timeout(min(self.read_timeout, deadline - loop.time())):
                    message = await receive()
            except TimeoutError:
                return await refuse(RequestTimeout())
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    return await refuse(PayloadTooLarge())
                body_complete = not message.get("more_body", False)
            return message

        async def refuse(error: SignflowError) -> Message:
            nonlocal refused
            refused = True
            if response_started:
                return {"type": "http.disconnect"}
            await _send_refusal(send, scope["path"], error)
            # The application reading the body stops with the same error (its answer is
            # dropped): not a disconnect, which it would report as the client's doing.
            raise error

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)


async def _send_refusal(send: Send, path: str, error: SignflowError) -> None:
    if path.startswith(OKDOKUMENT_PREFIX):
        body = json.dumps(okdokument_error_body(error)).encode()
    else:
        body = json.dumps(signinghub_error_body(error)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
