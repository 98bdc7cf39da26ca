"""Integration applications' embedding, for admins: /v3|v4/enterprise/applications.

`GET` lists the enterprise's applications; `PUT .../{id}/embedding
{allowed_origins, callback_url}` sets where its signing pages may be framed and
where they return (checked by `signflow.accounts.embedding`).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from signflow.accounts.embedding import (
    MAX_ORIGINS,
    MAX_URL_CHARS,
    check_embedding,
    enterprise_application,
    list_applications,
    set_embedding,
)
from signflow.accounts.users import require_admin
from signflow.faces.routing import ReadOnly, SessionDep, SettingsDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import Application

router = APIRouter(route_class=TransactionalRoute, tags=["applications"])


class EmbeddingRequest(VendorModel):
    allowed_origins: list[str] = Field(max_length=MAX_ORIGINS)
    callback_url: str | None = Field(default=None, max_length=MAX_URL_CHARS)


class ApplicationBody(VendorModel):
    id: int
    client_id: str
    allowed_origins: list[str]
    callback_url: str | None


def application_body(application: Application) -> ApplicationBody:
    return ApplicationBody(
        id=application.id,
        client_id=application.name,
        allowed_origins=list(application.allowed_domains or []),
        callback_url=application.callback_url,
    )


@router.get(
    "/enterprise/applications", dependencies=[ReadOnly], response_model=list[ApplicationBody]
)
async def list_(
    principal: PrincipalDep, session: SessionDep, response: Response
) -> list[ApplicationBody]:
    require_admin(principal)
    applications = await list_applications(session, principal.enterprise_id)
    response.headers["x-total-records"] = str(len(applications))
    return [application_body(a) for a in applications]


@router.put("/enterprise/applications/{application_id}/embedding", response_model=ApplicationBody)
async def set_application_embedding(
    application_id: int,
    body: EmbeddingRequest,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
) -> ApplicationBody:
    """Replace the application's allowed framing origins and its callback URL."""
    require_admin(principal)
    application = await enterprise_application(session, principal.enterprise_id, application_id)
    set_embedding(application, check_embedding(body.allowed_origins, body.callback_url, settings))
    await session.flush()
    return application_body(application)
