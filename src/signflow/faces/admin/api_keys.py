"""Enterprise API keys (x-api-key of the /JSON face), for admins: /v3/enterprise/apikeys.

A key is shown once, in the answer that creates it; only its SHA-256 is stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from signflow.accounts.api_keys import create_api_key, list_api_keys, revoke_api_key
from signflow.accounts.users import require_admin
from signflow.faces.routing import ReadOnly, SessionDep, SettingsDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import ApiKey
from signflow.signature_requests.sendinfo import sendinfo_secret

router = APIRouter(route_class=TransactionalRoute, tags=["api keys"])


class ApiKeyCreate(VendorModel):
    name: str = Field(min_length=1, max_length=200)


class ApiKeyBody(VendorModel):
    id: int
    name: str
    prefix: str
    created_on: str
    revoked_on: str | None


class ApiKeyCreated(ApiKeyBody):
    key: str


class SendInfoSecret(VendorModel):
    secret: str


def key_body(key: ApiKey) -> ApiKeyBody:
    return ApiKeyBody(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_on=key.created_at.isoformat(),
        revoked_on=key.revoked_at.isoformat() if key.revoked_at else None,
    )


@router.post("/enterprise/apikeys", status_code=201, response_model=ApiKeyCreated)
async def create(body: ApiKeyCreate, principal: PrincipalDep, session: SessionDep) -> ApiKeyCreated:
    require_admin(principal)
    key, value = await create_api_key(session, principal.enterprise_id, body.name.strip())
    return ApiKeyCreated(**key_body(key).model_dump(), key=value)


@router.get("/enterprise/apikeys", dependencies=[ReadOnly], response_model=list[ApiKeyBody])
async def list_(
    principal: PrincipalDep, session: SessionDep, response: Response
) -> list[ApiKeyBody]:
    require_admin(principal)
    keys = await list_api_keys(session, principal.enterprise_id)
    response.headers["x-total-records"] = str(len(keys))
    return [key_body(key) for key in keys]


@router.delete("/enterprise/apikeys/{key_id}")
async def revoke(key_id: int, principal: PrincipalDep, session: SessionDep) -> Response:
    require_admin(principal)
    await revoke_api_key(session, principal.enterprise_id, key_id)
    return empty_ok()


@router.get("/enterprise/sendinfo/secret", response_model=SendInfoSecret)
async def sendinfo_signing_secret(principal: PrincipalDep, settings: SettingsDep) -> SendInfoSecret:
    """The secret that signs this enterprise's sendInfo callbacks (Standard Webhooks)."""
    require_admin(principal)
    return SendInfoSecret(secret=sendinfo_secret(settings, principal.enterprise_id))
