"""Request plumbing shared by every face: one transaction per request, JSON bodies read
within their route's limits after the caller is authenticated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import read_only_options
from signflow.errors import KeepsChanges, PayloadTooLarge
from signflow.faces.bodies import (
    ParsedJsonRequest,
    body_too_large,
    parse_json,
    read_limited,
    refuse_declared_too_large,
    route_body_limit,
    size_text,
)
from signflow.storage import BlobStore
from signflow.storage.spool import SpooledFile, spool

JSON_CONTENT_TYPE = (b"content-type", b"application/json")

Authenticate = Callable[[Request], Awaitable[None]]
_AUTHENTICATE_FIRST: dict[Callable[..., Any], Authenticate] = {}
_WITHOUT_TRANSACTION: set[Callable[..., Any]] = set()

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])


def without_transaction(endpoint: EndpointT) -> EndpointT:
    """Runs the route without the request's transaction: for a route without a body that
    only reads and opens what it reads with itself (`direct_reads.read_only_connection`, a
    `db.read_transaction` of its own). `get_session` has nothing to give in it; its
    caller's token is resolved from the principal cache or in a read-only transaction of
    its own (`faces.signinghub.deps`). Put it below the route decorator, so that it is
    known when the route is built."""
    _WITHOUT_TRANSACTION.add(endpoint)
    return endpoint


def has_transaction(request: Request) -> bool:
    """Whether the request runs in a transaction of its own (`request.state.session`)."""
    return getattr(request.state, "session", None) is not None


def authenticate_before_body(dependency: Callable[..., Any], authenticate: Authenticate) -> None:
    """Declares that a route depending on `dependency` (a credential check) has its caller
    authenticated by `authenticate(request)` before its JSON body is read, so that a
    request without valid credentials is refused (401) before its body is read at all."""
    _AUTHENTICATE_FIRST[dependency] = authenticate


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


class TransactionalRoute(APIRoute):
    """Runs each request in one database transaction, committed before the answer is sent
    (except a route marked `without_transaction`).

    A route with a JSON body: 413 when its declared length passes the route's limit
    (`faces.bodies.body_limit`, by default `SIGNFLOW_MAX_JSON_BODY_BYTES`); then the caller
    is authenticated (401 without reading the body); then the body is read (413 once
    past the limit) and parsed (400 past the depth and size limits), all before the
    request's transaction begins. The body is read as JSON whatever Content-Type the
    client sent: client libraries keep `application/octet-stream` from an earlier upload.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parses_json = self.body_field is not None
        if self.endpoint in _WITHOUT_TRANSACTION:
            if parses_json:
                raise TypeError(f"{self.path}: a route with a body runs in a transaction")
            return handler
        limit_of = route_body_limit(self.endpoint)
        authenticate = next(
            (
                _AUTHENTICATE_FIRST[call]
                for call in _dependency_calls(self.dependant)
                if call in _AUTHENTICATE_FIRST
            ),
            None,
        )

        async def run_in_transaction(request: Request) -> Response:
            if parses_json:
                max_bytes = limit_of(get_settings(request))
                refuse_declared_too_large(request, max_bytes, lambda: body_too_large(max_bytes))
                if authenticate is not None:
                    await authenticate(request)
                request = await _parsed_json_request(request, max_bytes)
            return await in_request_transaction(request, handler)

        return run_in_transaction


async def in_request_transaction(
    request: Request, handler: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Response:
    """Run `handler` in the request's one transaction (`request.state.session`): committed
    when it answers, rolled back when it raises, except for a `KeepsChanges` error (a
    counted wrong guess), whose transaction commits before the error is raised again."""
    context: AppContext = request.app.state.context
    kept: KeepsChanges | None = None
    async with context.sessions() as session, session.begin():
        request.state.session = session
        try:
            return await handler(request)
        except KeepsChanges as error:
            kept = error  # leaving the block normally commits what it wrote
    if kept is None:  # pragma: no cover  (the block returned or kept an error)
        raise RuntimeError("unreachable")
    raise kept


async def _parsed_json_request(request: Request, max_bytes: int) -> Request:
    raw = await read_limited(request, max_bytes)
    parsed = await parse_json(raw) if raw else None
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
    headers.append(JSON_CONTENT_TYPE)
    scope = dict(request.scope, headers=headers)
    return ParsedJsonRequest(scope, request.receive, raw, parsed)


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.session
    return session


def get_settings(request: Request) -> Settings:
    return get_context(request).settings


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def read_only_transaction(request: Request) -> None:
    """Declares the request's transaction read-only, before anything touches the database
    (`db.read_only_options`): on SQLite it then takes no write lock, so reads run side by
    side (under WAL, readers never wait for the writer); on PostgreSQL it runs without
    BEGIN and COMMIT. A write in it raises, on every database."""
    session = get_session(request)
    await session.connection(execution_options=read_only_options(session))
    request.state.read_only = True


def is_read_only(request: Request) -> bool:
    return bool(getattr(request.state, "read_only", False))


# For `dependencies=[ReadOnly]` on routes that only read; listed first, it runs first.
ReadOnly = Depends(read_only_transaction)


# FastAPI runs a plain `def` dependency in a worker thread: these are `async` so that
# handing over what the request already holds costs no thread hop.
async def _session_dependency(request: Request) -> AsyncSession:
    return get_session(request)


async def _context_dependency(request: Request) -> AppContext:
    return get_context(request)


async def _settings_dependency(request: Request) -> Settings:
    return get_settings(request)


SessionDep = Annotated[AsyncSession, Depends(_session_dependency)]
ContextDep = Annotated[AppContext, Depends(_context_dependency)]
SettingsDep = Annotated[Settings, Depends(_settings_dependency)]


def _file_too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file is larger than the limit of {size_text(max_bytes)}")


async def read_raw_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, whatever its Content-Type, refused with 413 once over `max_bytes`."""
    return await read_limited(request, max_bytes, lambda: _file_too_large(max_bytes))


async def spool_raw_body(request: Request, max_bytes: int, blobs: BlobStore) -> SpooledFile:
    """The raw body (whatever its Content-Type) spooled to a file beside the blobs as it
    arrives, so uploads are never held whole in memory; 413 once over `max_bytes`."""
    refuse_declared_too_large(request, max_bytes, lambda: _file_too_large(max_bytes))
    return await spool(
        request.stream(),
        directory=blobs.spool_directory,
        max_bytes=max_bytes,
        too_large=lambda: _file_too_large(max_bytes),
    )


def empty_ok() -> Response:
    """A 200 with an empty body and no Content-Type: clients parse any body labelled JSON."""
    return Response(status_code=200)
