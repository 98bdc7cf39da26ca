"""Request plumbing shared by every face: one transaction per request, lenient JSON bodies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import read_only_options
from signflow.errors import KeepsChanges, PayloadTooLarge
from signflow.storage import BlobStore
from signflow.storage.spool import SpooledFile, spool

JSON_CONTENT_TYPE = (b"content-type", b"application/json")


class TransactionalRoute(APIRoute):
    """Runs each request in one database transaction, committed before the answer is sent.

    JSON endpoints read their body as JSON whatever Content-Type the client sent:
    client libraries keep `application/octet-stream` from an earlier upload.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parses_json = self.body_field is not None

        async def run_in_transaction(request: Request) -> Response:
            if parses_json:
                request = _as_json_request(request)
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


def _as_json_request(request: Request) -> Request:
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
    headers.append(JSON_CONTENT_TYPE)
    scope = dict(request.scope, headers=headers)
    return Request(scope, request.receive)


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


def _refuse_declared_too_large(request: Request, max_bytes: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB")


async def read_raw_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, whatever its Content-Type, refused with 413 once over `max_bytes`."""
    _refuse_declared_too_large(request, max_bytes)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


async def spool_raw_body(request: Request, max_bytes: int, blobs: BlobStore) -> SpooledFile:
    """The raw body (whatever its Content-Type) spooled to a file beside the blobs as it
    arrives, so uploads are never held whole in memory; 413 once over `max_bytes`."""
    _refuse_declared_too_large(request, max_bytes)
    return await spool(
        request.stream(),
        directory=blobs.spool_directory,
        max_bytes=max_bytes,
        too_large=lambda: _too_large(max_bytes),
    )


def empty_ok() -> Response:
    """A 200 with an empty body and no Content-Type: clients parse any body labelled JSON."""
    return Response(status_code=200)
