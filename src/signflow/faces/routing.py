"""Request plumbing shared by every face: one transaction per request, lenient JSON bodies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.context import AppContext
from signflow.errors import KeepsChanges, PayloadTooLarge

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

        return run_in_transaction


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


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ContextDep = Annotated[AppContext, Depends(get_context)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def read_raw_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, whatever its Content-Type, refused with 413 once over `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(_too_large_text(max_bytes))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(_too_large_text(max_bytes))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large_text(max_bytes: int) -> str:
    return f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB"


def empty_ok() -> Response:
    """A 200 with an empty body and no Content-Type: clients parse any body labelled JSON."""
    return Response(status_code=200)
