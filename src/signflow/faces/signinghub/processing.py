"""The recipient's actions: open, close, sign, fill initials, decline, approve, submit,
finish; and the status of a signature field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.workflow_schemas import (
    ApproveBody,
    DeclineBody,
    FieldStatusReply,
    InitialsBody,
    OtpFieldBody,
    SignBody,
)
from signflow.identity.checks import Credentials
from signflow.workflow.actions import (
    approve_package,
    close_package,
    decline_package,
    finish_processing,
    open_package,
    submit_package,
)
from signflow.workflow.field_status import signature_field_status
from signflow.workflow.gatekeeper import refuse_gatekeeper
from signflow.workflow.initials import fill_initials
from signflow.workflow.sign import SignatureRequest, request_signing_code, sign_document

router = APIRouter(route_class=TransactionalRoute, tags=["processing"])


@router.get("/packages/{package_id}/open")
async def open_(
    package_id: int,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
    x_password: Annotated[str | None, Header()] = None,
    x_otp: Annotated[str | None, Header()] = None,
) -> Response:
    credentials = Credentials(context.settings, password=x_password, otp=x_otp)
    await open_package(session, principal, actor, package_id, credentials)
    return empty_ok()


@router.post("/packages/{package_id}/documents/{document_id}/otp")
async def signing_otp(
    package_id: int,
    document_id: int,
    body: OtpFieldBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    await request_signing_code(
        session, context, principal, actor, package_id, document_id, body.field_name
    )
    return empty_ok()


@router.get("/packages/{package_id}/close")
async def close(
    package_id: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    await close_package(session, principal, actor, package_id)
    return empty_ok()


@router.post("/packages/{package_id}/documents/{document_id}/sign")
async def sign(
    package_id: int,
    document_id: int,
    body: SignBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
    x_otp: Annotated[str | None, Header()] = None,
) -> Response:
    request = SignatureRequest(**body.model_dump())
    await sign_document(
        session, context, principal, actor, package_id, document_id, request, otp=x_otp
    )
    return empty_ok()


@router.post("/packages/{package_id}/documents/{document_id}/initial")
async def initials(
    package_id: int,
    document_id: int,
    body: InitialsBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    await fill_initials(
        session,
        context,
        principal,
        actor,
        package_id,
        document_id,
        field_name=body.field_name,
        image=body.image,
        apply_to_all=body.apply_to_all,
    )
    return empty_ok()


@router.post("/packages/{package_id}/decline")
async def decline(
    package_id: int,
    body: DeclineBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await decline_package(session, principal, actor, package_id, body.reason, body.documents)
    return empty_ok()


@router.post("/packages/{package_id}/approve")
async def approve(
    package_id: int,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    body: ApproveBody | None = None,
) -> Response:
    await approve_package(session, principal, actor, package_id, body.reason if body else None)
    return empty_ok()


@router.post("/packages/{package_id}/submit")
async def submit(
    package_id: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    await submit_package(session, principal, actor, package_id)
    return empty_ok()


@router.post("/packages/{package_id}/finish")
async def finish(
    package_id: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    await finish_processing(session, principal, actor, package_id)
    return empty_ok()


@router.post(
    "/packages/{package_id}/documents/{document_id}/field/status",
    dependencies=[ReadOnly],
    response_model=FieldStatusReply,
)
async def field_status(
    package_id: int,
    document_id: int,
    body: OtpFieldBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> FieldStatusReply:
    status = await signature_field_status(
        session, principal, package_id, document_id, body.field_name
    )
    return FieldStatusReply(status=status.value)


@router.post("/packages/{package_id}/gatekeeper/approve")
async def gatekeeper_approve(
    package_id: int, principal: PrincipalDep, session: SessionDep
) -> Response:
    await refuse_gatekeeper(session, principal, package_id)


@router.post("/packages/{package_id}/gatekeeper/decline")
async def gatekeeper_decline(
    package_id: int, principal: PrincipalDep, session: SessionDep
) -> Response:
    await refuse_gatekeeper(session, principal, package_id)
