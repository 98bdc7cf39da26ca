"""Request bodies: read with the route's size limit, JSON parsed within depth and size limits.

A body is refused with 413 as soon as its declared length, or the bytes counted while it
arrives, pass the route's limit; nothing past the limit is kept. JSON is parsed only once
the whole body is in, in a worker thread when it is larger than a few kilobytes, and
refused with 400 when it nests deeper than `MAX_JSON_DEPTH` or holds more than
`MAX_JSON_VALUES` values: validation runs on the event loop and its errors grow with the
number of values (a 1 MB list of half a million numbers took 7 s and 600 MB to refuse
before this cap; 5,000 invalid values take tens of milliseconds).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.types import Receive, Scope

from signflow.config import Settings
from signflow.errors import BadRequest, PayloadTooLarge

MAX_JSON_DEPTH = 32
MAX_JSON_VALUES = 5_000
# Bodies up to this size are parsed and checked on the event loop: a thread hop costs more.
THREAD_PARSE_THRESHOLD = 16 * 1024

NOT_JSON = "The request body is not valid JSON"
TOO_DEEP = f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels"
TOO_MANY_VALUES = f"The request body holds more than {MAX_JSON_VALUES} JSON values"

BodyLimit = Callable[[Settings], int]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_ROUTE_LIMITS: dict[Callable[..., Any], BodyLimit] = {}


def json_body_limit(settings: Settings) -> int:
    """The limit of an ordinary JSON body: `SIGNFLOW_MAX_JSON_BODY_BYTES`."""
    return settings.max_json_body_bytes


def body_limit(limit: BodyLimit) -> Callable[[Endpoint], Endpoint]:
    """Gives an endpoint a body limit of its own instead of the JSON limit. Put it below
    the route decorator, so that it is known when the route is built."""

    def mark(endpoint: Endpoint) -> Endpoint:
        _ROUTE_LIMITS[endpoint] = limit
        return endpoint

    return mark


def route_body_limit(endpoint: Callable[..., Any]) -> BodyLimit:
    return _ROUTE_LIMITS.get(endpoint, json_body_limit)


def size_text(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def body_too_large(max_bytes: int, what: str = "The request body") -> PayloadTooLarge:
    return PayloadTooLarge(f"{what} is larger than the limit of {size_text(max_bytes)}")


def refuse_declared_too_large(
    request: Request, max_bytes: int, too_large: Callable[[], PayloadTooLarge]
) -> None:
    """413 before reading anything when Content-Length already says the body is too large."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large()


async def read_limited(
    request: Request,
    max_bytes: int,
    too_large: Callable[[], PayloadTooLarge] | None = None,
) -> bytes:
    """The whole body, whatever its Content-Type; 413 once it passes `max_bytes`, checked
    against Content-Length first and then counted as the chunks arrive."""
    refuse = too_large or (lambda: body_too_large(max_bytes))
    refuse_declared_too_large(request, max_bytes, refuse)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise refuse()
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_json(raw: bytes) -> Any:
    """`raw` as JSON within the depth and value limits (400 otherwise); in a worker thread
    when it is large."""
    if len(raw) <= THREAD_PARSE_THRESHOLD:
        return parse_json_now(raw)
    return await asyncio.to_thread(parse_json_now, raw)


def parse_json_now(raw: bytes) -> Any:
    try:
        value = json.loads(raw)
    except RecursionError as exc:  # nested deeper than the interpreter's recursion limit
        raise BadRequest(TOO_DEEP) from exc
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8/16/32
        raise BadRequest(NOT_JSON) from exc
    check_json_shape(value)
    return value


def check_json_shape(value: Any) -> None:
    """400 when `value` nests deeper than `MAX_JSON_DEPTH` or holds more than
    `MAX_JSON_VALUES` values (every array item and object member counts); iterative, so
    a hostile document cannot exhaust the stack here."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    values = 0
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(TOO_DEEP)
        values += len(children)
        if values > MAX_JSON_VALUES:
            raise BadRequest(TOO_MANY_VALUES)
        pending.extend((child, depth + 1) for child in children)


class ParsedJsonRequest(Request):
    """A request whose body has already been read and parsed: what FastAPI asks of
    `body()` and `json()` is answered from those, without touching the stream again."""

    def __init__(self, scope: Scope, receive: Receive, raw: bytes, parsed: Any) -> None:
        super().__init__(scope, receive)
        self._raw = raw
        self._parsed = parsed

    async def body(self) -> bytes:
        return self._raw

    async def json(self) -> Any:
        return self._parsed
