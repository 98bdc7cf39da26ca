"""The caller's profile picture, security question, and e-mail notification reset."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request, Response
from pydantic import Field

from signflow.accounts.personal import profile_photo, set_profile_photo, set_security_question
from signflow.faces.routing import (
    ContextDep,
    ReadOnly,
    SessionDep,
    TransactionalRoute,
    client_address,
    empty_ok,
)
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel

router = APIRouter(route_class=TransactionalRoute, tags=["account"])


class PhotoUpdate(VendorModel):
    photo: str


class SecurityUpdate(VendorModel):
    password: str = Field(max_length=1024)
    question: str = Field(max_length=200)
    answer: str = Field(max_length=200)


@router.get(
    "/settings/profile/general/photo",
    dependencies=[ReadOnly],
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def get_photo(principal: PrincipalDep, session: SessionDep) -> Response:
    return Response(await profile_photo(session, principal.user.id), media_type="image/png")


@router.get(
    "/settings/profile/general/photo/base64",
    dependencies=[ReadOnly],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def get_photo_base64(principal: PrincipalDep, session: SessionDep) -> Response:
    """The picture in base64 as the body itself, as the base64 downloads answer."""
    png = await profile_photo(session, principal.user.id)
    return Response(base64.b64encode(png), media_type="application/octet-stream")


@router.put("/settings/profile/general/photo/base64")
async def put_photo(body: PhotoUpdate, principal: PrincipalDep, session: SessionDep) -> Response:
    await set_profile_photo(session, principal.user.id, body.photo)
    return empty_ok()


@router.put("/settings/profile/security")
async def put_security(
    body: SecurityUpdate,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
    request: Request,
) -> Response:
    await set_security_question(
        session,
        context.sessions,
        context.settings,
        principal,
        address=client_address(request),
        password=body.password,
        question=body.question,
        answer=body.answer,
    )
    return empty_ok()


@router.put("/settings/notifications/email/reset")
async def reset_email_notifications(principal: PrincipalDep) -> Response:
    """Signflow keeps no personal e-mail notification preferences: a recipient is mailed
    as the package's owner set for that recipient (`email_notification`), so a user's
    settings are always the defaults this call restores, and it changes nothing."""
    return empty_ok()
