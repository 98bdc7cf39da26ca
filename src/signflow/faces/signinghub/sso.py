"""SigningHub's `POST /authenticate/sso` (unversioned, as the guide has it)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from signflow.accounts.sso_token import authenticate_sso
from signflow.faces.routing import ContextDep, SessionDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import TokenBody, VendorModel

router = APIRouter(route_class=TransactionalRoute, tags=["authentication"])


class SsoRequest(VendorModel):
    token: str = Field(max_length=20_000)
    method: str = Field(max_length=100)


@router.post("/authenticate/sso", response_model=TokenBody)
async def authenticate_with_sso(
    body: SsoRequest, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> TokenBody:
    """Tokens for the user an ID token of the enterprise's identity provider names."""
    issued = await authenticate_sso(session, context.settings, principal, body.token, body.method)
    return TokenBody(**issued.as_body())
