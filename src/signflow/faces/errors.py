"""One handler renders every error, in the shape of the face the request came through."""

from __future__ import annotations

import logging

from asyncpg.exceptions import (
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    OperatorInterventionError,
)
from asyncpg.exceptions import DataError as PostgresDataError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from signflow.errors import (
    BadRequest,
    NotFound,
    OAuthError,
    PayloadTooLarge,
    ServiceUnavailable,
    SignflowError,
)
from signflow.faces.okdokument.errors import okdokument_error_body
from signflow.faces.signinghub.errors import oauth_error_body, signinghub_error_body
from signflow.middleware import OKDOKUMENT_PREFIX, loggable_path

logger = logging.getLogger("signflow.errors")

OAUTH_PATHS = ("/authenticate",)
OUT_OF_RANGE_TEXT = "A value in the request is out of range"
DATABASE_UNAVAILABLE_TEXT = "The database is not answering; try again shortly"
DATABASE_RETRY_AFTER_SECONDS = 5
# The access log's status for a request whose client went away before it was answered
# (nginx's "client closed request"); it is never sent, there is no one to send it to.
CLIENT_CLOSED_REQUEST = 499
# What a database that is restarting, unreachable or saturated raises: the connection
# refused or cut, PostgreSQL shutting down or starting up, no pooled connection free.
_UNAVAILABLE = (
    ConnectionError,
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    OperatorInterventionError,
    PoolTimeout,
)


def render_error(request: Request, error: SignflowError) -> JSONResponse:
    path = request.url.path
    if path.startswith(OKDOKUMENT_PREFIX):
        body = okdokument_error_body(error)
    elif path in OAUTH_PATHS or isinstance(error, OAuthError):
        body = oauth_error_body(error)
    else:
        body = signinghub_error_body(error)
    return JSONResponse(body, status_code=error.status_code, headers=error.headers or None)


def describe_validation_error(exc: RequestValidationError) -> str:
    problems = []
    for item in exc.errors()[:5]:
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        message = str(item.get("msg", "is not valid"))
        if item.get("type") == "json_invalid":
            return "The request body is not valid JSON"
        if item.get("type") == "missing" and location == "":
            return "The request body is required"
        problems.append(f"{location}: {message}" if location else message)
    return "; ".join(problems) or "The request is not valid"


def _caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


def is_out_of_range(exc: BaseException) -> bool:
    """A value the database driver refused before sending it: a number past 64 bits."""
    return _caused_by(exc, (OverflowError, PostgresDataError))


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return _caused_by(exc, _UNAVAILABLE)


def install_error_handlers(app: FastAPI) -> None:
    async def on_signflow_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SignflowError)
        if exc.status_code >= 500:
            logger.error("request failed: %s", exc.message, exc_info=exc)
        return render_error(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        error = BadRequest(describe_validation_error(exc))
        return render_error(request, error)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error: SignflowError
        if exc.status_code == 404:
            error = NotFound("The requested resource was not found")
        elif exc.status_code == 413:
            error = PayloadTooLarge()
        else:
            error = SignflowError(str(exc.detail))
            error.status_code = exc.status_code
        error.headers.update(exc.headers or {})
        return render_error(request, error)

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        if is_database_unavailable(exc):
            # A restart or an outage, not a bug: tell clients to come back.
            logger.warning(
                "database unavailable on %s %s: %r",
                request.method,
                loggable_path(request.scope),
                exc,
            )
            retry = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
            return render_error(
                request, ServiceUnavailable(DATABASE_UNAVAILABLE_TEXT, headers=retry)
            )
        if not is_out_of_range(exc):
            return await on_unexpected_error(request, exc)
        # An id or number no database column can hold (SQLite raises OverflowError past
        # 64 bits, asyncpg a DataError): the client's mistake, never a 500.
        logger.info(
            "out-of-range value on %s %s: %s", request.method, loggable_path(request.scope), exc
        )
        return render_error(request, BadRequest(OUT_OF_RANGE_TEXT))

    async def on_client_disconnect(request: Request, exc: Exception) -> Response:
        # The client's doing, not a fault: one quiet line, no traceback; the request's
        # transaction has rolled back, and the answer goes nowhere.
        logger.info(
            "client aborted %s %s before its request body was read",
            request.method,
            loggable_path(request.scope),
        )
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    async def on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        logger.error(
            "unhandled error on %s %s", request.method, loggable_path(request.scope), exc_info=exc
        )
        return render_error(request, SignflowError())

    app.add_exception_handler(SignflowError, on_signflow_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ClientDisconnect, on_client_disconnect)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(OverflowError, on_database_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    # Raised as itself by reads handed straight to asyncpg (`direct_reads`).
    app.add_exception_handler(PostgresDataError, on_database_error)
    for unavailable in _UNAVAILABLE:
        app.add_exception_handler(unavailable, on_database_error)
    app.add_exception_handler(Exception, on_unexpected_error)
