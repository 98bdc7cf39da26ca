"""/authenticate (OAuth grants), v4 scope switch and logout."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from signflow.accounts.signin import SignIn, switch_scope
from signflow.accounts.tokens import revoke_grant
from signflow.errors import OAuthError
from signflow.faces.bodies import read_limited
from signflow.faces.routing import (
    ContextDep,
    SessionDep,
    TransactionalRoute,
    client_address,
    empty_ok,
)
from signflow.faces.signinghub.deps import PrincipalBeforePasswordChangeDep, PrincipalDep
from signflow.faces.signinghub.schemas import OAuthErrorBody, ScopeRequest, TokenBody

MAX_FORM_BYTES = 16 * 1024

# Not transactional: a sign-in runs its own short transactions around the password check
# (accounts/signin.py), so that no transaction stays open while argon2 runs.
token_router = APIRouter(tags=["authentication"])
router = APIRouter(route_class=TransactionalRoute, tags=["authentication"])


async def read_token_form(request: Request) -> dict[str, str]:
    """The form body, whatever Content-Type the client put on it (some send JSON's)."""
    raw = await read_limited(request, MAX_FORM_BYTES)
    text = raw.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise OAuthError("invalid_request", "The request body is not valid") from exc
        if not isinstance(parsed, dict):
            raise OAuthError("invalid_request", "The request body is not valid")
        return {str(k): str(v) for k, v in parsed.items() if v is not None}
    return dict(parse_qsl(text, keep_blank_values=True))


@token_router.post(
    "/authenticate",
    response_model=TokenBody,
    responses={
        400: {"model": OAuthErrorBody},
        401: {"model": OAuthErrorBody},
        403: {"model": OAuthErrorBody},
        429: {"model": OAuthErrorBody},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "client_id", "client_secret"],
                        "properties": {
                            name: {"type": "string"}
                            for name in (
                                "grant_type",
                                "client_id",
                                "client_secret",
                                "username",
                                "password",
                                "scope",
                                "refresh_token",
                            )
                        },
                    }
                }
            },
        }
    },
)
async def authenticate(request: Request, context: ContextDep) -> TokenBody:
    form = await read_token_form(request)
    signin = SignIn(context.sessions, context.settings, client_address(request))
    issued = await signin.grant(form)
    return TokenBody(**issued.as_body())


@router.post("/authenticate/scope", response_model=TokenBody)
async def authenticate_scope(
    body: ScopeRequest, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> TokenBody:
    issued = await switch_scope(session, context.settings, principal, body.user_email)
    return TokenBody(**issued.as_body())


@router.post("/logout")
async def logout(principal: PrincipalBeforePasswordChangeDep, session: SessionDep) -> Response:
    await revoke_grant(session, principal.grant_id)
    return empty_ok()
