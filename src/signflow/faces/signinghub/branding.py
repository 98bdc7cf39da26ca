"""GET /v3|v4/enterprise/branding: the caller's enterprise branding, as SigningHub answers it.

`logo` is the base64 logo when the request says `x-base64: true` (the client's header),
`logo_url` where it is served; no favicon. `colors` has the guide's thirteen levels:
level 1 (headings, top bar buttons, icons) is the accent, level 2 its pressed shade, the
others the pages' fixed palette.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from sqlalchemy import select

from signflow.branding import branding_of
from signflow.faces.routing import ReadOnly, SessionDep, SettingsDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import Enterprise

router = APIRouter(route_class=TransactionalRoute, tags=["enterprise"])

# --ink, --muted, --paper, --back, --line, --ok, --ok-back, --error, --error-back, --focus,
# --field of the pages' stylesheet.
FIXED_LEVELS = (
    "#1a1a1a",
    "#4a4a4a",
    "#ffffff",
    "#f2f3f5",
    "#8a8f98",
    "#116329",
    "#e6f4ea",
    "#a50e0e",
    "#fce8e6",
    "#ffbf47",
    "#fff4c2",
)


class EnterpriseBranding(VendorModel):
    logo: str | None
    logo_url: str | None
    favicon: str | None
    favicon_url: str | None
    colors: dict[str, str]


def logo_path(sha256: str) -> str:
    return f"/web/brand/logo/{sha256}"


@router.get("/enterprise/branding", dependencies=[ReadOnly], response_model=EnterpriseBranding)
async def get_enterprise_branding(
    request: Request, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> EnterpriseBranding:
    enterprise = await session.get_one(Enterprise, principal.enterprise_id)
    branding = branding_of(enterprise)
    logo = logo_url = None
    if branding.logo_sha256:
        logo_url = settings.base_url.rstrip("/") + logo_path(branding.logo_sha256)
        if request.headers.get("x-base64", "").strip().lower() == "true":
            data = await session.scalar(
                select(Enterprise.logo).where(Enterprise.id == enterprise.id)
            )
            logo = base64.b64encode(data).decode() if data else None
    levels = (branding.accent, branding.accent_dark, *FIXED_LEVELS)
    return EnterpriseBranding(
        logo=logo,
        logo_url=logo_url,
        favicon=None,
        favicon_url=None,
        colors={f"level_{n}": color for n, color in enumerate(levels, start=1)},
    )
