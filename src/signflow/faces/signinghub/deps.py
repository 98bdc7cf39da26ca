"""Bearer authentication for the SigningHub face."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from signflow.accounts.principal import Principal
from signflow.accounts.tokens import cached_principal, resolve_access_token
from signflow.audit.history import Actor
from signflow.context import AppContext
from signflow.db import read_transaction
from signflow.errors import Forbidden, Unauthorized
from signflow.faces.routing import (
    authenticate_before_body,
    client_address,
    get_context,
    get_session,
    has_transaction,
    is_read_only,
)

AUTHENTICATION_REQUIRED = "User authentication required"
PASSWORD_CHANGE_REQUIRED = (
    "Your password was set by an administrator: change it with "  # noqa: S105
    "PUT settings/profile/password before anything else"
)

# Declared for the OpenAPI document; the header is parsed below so errors keep our shape.
bearer_scheme = HTTPBearer(auto_error=False, description="access_token from /authenticate")


async def current_principal(
    request: Request, _credentials: Annotated[object, Depends(bearer_scheme)] = None
) -> Principal:
    principal = await _authenticated(request)
    if principal.must_change_password:
        raise Forbidden(PASSWORD_CHANGE_REQUIRED, code="password_change_required")
    return principal


async def principal_before_password_change(
    request: Request, _credentials: Annotated[object, Depends(bearer_scheme)] = None
) -> Principal:
    """The caller, even one who must first replace a password an admin set: for the
    password change itself and for logout."""
    return await _authenticated(request)


async def _authenticated(request: Request) -> Principal:
    early = getattr(request.state, "principal", None)
    if isinstance(early, Principal):  # authenticated before the body was read
        return early
    context = get_context(request)
    principal = await _resolve(request, context, _bearer_token(request))
    context.rate_limiter.check(principal.enterprise_id)
    request.state.principal = principal
    return principal


async def authenticate_bearer_first(request: Request) -> None:
    """Before a JSON body is read (`faces.routing.authenticate_before_body`): the token is
    resolved in a short read-only transaction of its own, so no connection or lock is
    held while the body arrives."""
    context = get_context(request)
    principal = await _resolve_alone(context, _bearer_token(request))
    context.rate_limiter.check(principal.enterprise_id)
    request.state.principal = principal


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized(AUTHENTICATION_REQUIRED)
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


async def _resolve(request: Request, context: AppContext, token: str) -> Principal:
    """On SQLite, unless the whole request only reads, the token is read in its own
    read-only transaction, so the request's write lock is taken only when the handler
    first touches the database: an upload reads and checks its body without holding
    every other writer up. A route without a transaction of its own
    (`faces.routing.without_transaction`) reads it so too, on every database."""
    if has_transaction(request) and (
        context.engine.dialect.name != "sqlite" or is_read_only(request)
    ):
        return await resolve_access_token(get_session(request), token)
    return await _resolve_alone(context, token)


async def _resolve_alone(context: AppContext, token: str) -> Principal:
    """The token's principal from the process's cache, or else read in a short read-only
    transaction of its own."""
    cached = cached_principal(context.sessions, token)
    if cached is not None:
        return cached
    async with read_transaction(context.sessions) as session:
        return await resolve_access_token(session, token)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
PrincipalBeforePasswordChangeDep = Annotated[Principal, Depends(principal_before_password_change)]
authenticate_before_body(current_principal, authenticate_bearer_first)
authenticate_before_body(principal_before_password_change, authenticate_bearer_first)


def request_actor(request: Request, principal: Principal) -> Actor:
    """The person behind a request for the history: the user, with the admin behind a scope."""
    details_name = principal.user.name
    if principal.actor is not None:
        details_name = f"{principal.user.name} (by {principal.actor.email})"
    return Actor(
        email=principal.user.email,
        name=details_name,
        ip_address=client_address(request),
        user_agent=(request.headers.get("user-agent") or "")[:500] or None,
    )


async def current_actor(request: Request, principal: PrincipalDep) -> Actor:
    return request_actor(request, principal)


ActorDep = Annotated[Actor, Depends(current_actor)]
