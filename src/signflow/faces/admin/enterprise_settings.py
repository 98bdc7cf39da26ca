"""An enterprise's branding and default language, for its admins (our own API):
/v3|v4/enterprise/settings/branding and /v3|v4/enterprise/settings/language.

SigningHub clients read the branding with the vendor's `GET enterprise/branding`
(`signflow.faces.signinghub.branding`); setting it is ours. Both answer the
enterprise of the caller only: there is no id to name another one.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from signflow.accounts.users import require_admin
from signflow.branding import MAX_LOGO_BYTES, set_branding, set_default_language
from signflow.config import Settings
from signflow.errors import BadRequest
from signflow.faces.bodies import body_limit
from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.i18n import languages
from signflow.models import Enterprise

router = APIRouter(route_class=TransactionalRoute, tags=["enterprise settings"])


def _branding_body_limit(settings: Settings) -> int:
    # The largest logo in base64 (a third more), with room for line breaks and the rest.
    return MAX_LOGO_BYTES * 4 // 3 + 16 * 1024


class BrandingSettings(VendorModel):
    display_name: str | None = Field(default=None, max_length=200)
    accent_color: str | None = Field(default=None, max_length=7)
    # Bounded by the route's body limit, then by its decoded size (check_logo).
    logo: str | None = None


class BrandingSettingsBody(VendorModel):
    display_name: str | None
    accent_color: str | None
    logo: str | None
    logo_type: str | None


class LanguageSettings(VendorModel):
    default_language: str | None = Field(default=None, max_length=20)


class LanguageSettingsBody(VendorModel):
    default_language: str | None
    languages: list[str]


async def _enterprise(session: SessionDep, principal: PrincipalDep) -> Enterprise:
    require_admin(principal)
    return await session.get_one(Enterprise, principal.enterprise_id)


async def _branding_body(session: SessionDep, enterprise: Enterprise) -> BrandingSettingsBody:
    logo = None
    if enterprise.logo_sha256:
        data = await session.scalar(select(Enterprise.logo).where(Enterprise.id == enterprise.id))
        logo = base64.b64encode(data).decode() if data else None
    return BrandingSettingsBody(
        display_name=enterprise.display_name,
        accent_color=enterprise.accent_color,
        logo=logo,
        logo_type=enterprise.logo_type,
    )


def _logo_bytes(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("Logo must be base64-encoded") from exc


@router.get(
    "/enterprise/settings/branding", dependencies=[ReadOnly], response_model=BrandingSettingsBody
)
async def get_branding_settings(
    principal: PrincipalDep, session: SessionDep
) -> BrandingSettingsBody:
    return await _branding_body(session, await _enterprise(session, principal))


@router.put("/enterprise/settings/branding", response_model=BrandingSettingsBody)
@body_limit(_branding_body_limit)
async def put_branding_settings(
    body: BrandingSettings, principal: PrincipalDep, session: SessionDep
) -> BrandingSettingsBody:
    """Replace the display name, accent colour and logo (null or absent: none)."""
    enterprise = await _enterprise(session, principal)
    set_branding(
        enterprise,
        display_name=body.display_name,
        accent_color=body.accent_color,
        logo=_logo_bytes(body.logo),
    )
    await session.flush()
    return await _branding_body(session, enterprise)


def _language_body(enterprise: Enterprise) -> LanguageSettingsBody:
    return LanguageSettingsBody(
        default_language=enterprise.default_language, languages=list(languages())
    )


@router.get(
    "/enterprise/settings/language", dependencies=[ReadOnly], response_model=LanguageSettingsBody
)
async def get_language_settings(
    principal: PrincipalDep, session: SessionDep
) -> LanguageSettingsBody:
    return _language_body(await _enterprise(session, principal))


@router.put("/enterprise/settings/language", response_model=LanguageSettingsBody)
async def put_language_settings(
    body: LanguageSettings, principal: PrincipalDep, session: SessionDep
) -> LanguageSettingsBody:
    """The language of recipients who have none of their own (null: the browser's, else
    English)."""
    enterprise = await _enterprise(session, principal)
    set_default_language(enterprise, body.default_language)
    await session.flush()
    return _language_body(enterprise)
