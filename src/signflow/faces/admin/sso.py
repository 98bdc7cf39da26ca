"""An enterprise's OpenID Connect single sign-on, for its admins (our own API):
/v3|v4/enterprise/settings/sso. The client secret is write-only: it is sealed with the
installation's key and never answered (`client_secret_set` says whether one is kept)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from signflow.accounts.sso import (
    SsoChange,
    clear_sso,
    redirect_uri,
    set_sso,
    signin_url,
    sso_settings,
)
from signflow.faces.routing import (
    ReadOnly,
    SessionDep,
    SettingsDep,
    TransactionalRoute,
    empty_ok,
)
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import EnterpriseSso

router = APIRouter(route_class=TransactionalRoute, tags=["enterprise settings"])


class SsoSettings(VendorModel):
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=300)
    # Absent or null: keep the stored secret (required the first time).
    client_secret: str | None = Field(default=None, max_length=2000)
    auto_create_users: bool = False


class SsoSettingsBody(VendorModel):
    issuer: str
    client_id: str
    client_secret_set: bool
    auto_create_users: bool
    # Where people of the enterprise sign in, and the redirect URI to register at the
    # provider.
    signin_url: str
    redirect_uri: str


def _body(settings: SettingsDep, row: EnterpriseSso) -> SsoSettingsBody:
    return SsoSettingsBody(
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret_set=bool(row.client_secret_sealed),
        auto_create_users=row.auto_create_users,
        signin_url=signin_url(settings, row),
        redirect_uri=redirect_uri(settings),
    )


@router.get("/enterprise/settings/sso", dependencies=[ReadOnly], response_model=SsoSettingsBody)
async def get_sso_settings(
    principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> SsoSettingsBody:
    return _body(settings, await sso_settings(session, principal))


@router.put("/enterprise/settings/sso", response_model=SsoSettingsBody)
async def put_sso_settings(
    body: SsoSettings, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> SsoSettingsBody:
    """Set the provider (its issuer URL), the client id and secret Signflow has there,
    and whether a first sign-in creates the account."""
    change = SsoChange(body.issuer, body.client_id, body.client_secret, body.auto_create_users)
    return _body(settings, await set_sso(session, settings, principal, change))


@router.delete("/enterprise/settings/sso")
async def delete_sso_settings(principal: PrincipalDep, session: SessionDep) -> Response:
    await clear_sso(session, principal)
    return empty_ok()
