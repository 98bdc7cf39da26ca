"""Bulk calls. SigningHub's bulk action (`POST packages/{bulk_action}`: SHARE a list of
draft packages; SIGN is not served) and its status call; and ours, beside the template
calls: one template applied to the rows of a CSV or JSON body, one shared package per
row, sent by the worker, and the run's status with each row's result."""

from __future__ import annotations

from fastapi import APIRouter, Request

from signflow.errors import BadRequest, NotFound
from signflow.faces.bodies import body_too_large, read_limited
from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.template_schemas import (
    BulkActionBody,
    BulkActionStarted,
    BulkActionStatus,
    BulkPackageStatus,
    BulkRowResult,
    BulkRunStatusBody,
    BulkStatusBody,
)
from signflow.models import BulkRowStatus
from signflow.templates.bulk import (
    RUN_NOT_FOUND,
    RunView,
    package_names,
    run_view,
    start_run,
    start_share,
)
from signflow.templates.bulk_input import MAX_BODY_BYTES

router = APIRouter(route_class=TransactionalRoute, tags=["templates"])

BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "rows": {
                            "type": "array",
                            "items": {"type": "object", "additionalProperties": True},
                        }
                    },
                }
            },
        },
    }
}


def status_body(view: RunView) -> BulkRunStatusBody:
    run = view.run
    return BulkRunStatusBody(
        bulk_id=run.id,
        template_id=run.template_id,
        template_version=run.template_version,
        status=run.status,
        total_rows=run.total_rows,
        pending=view.counts["PENDING"],
        sent=view.counts["SENT"],
        failed=view.counts["FAILED"],
        created_on=run.created_at.isoformat(),
        finished_on=run.finished_at.isoformat() if run.finished_at else None,
        rows=[
            BulkRowResult(row=r.row, status=r.status, package_id=r.package_id, error=r.error)
            for r in view.rows
        ],
        errors=[
            BulkRowResult(row=r.row, status=r.status, package_id=r.package_id, error=r.error)
            for r in view.rows
            if r.error is not None
        ],
    )


@router.post(
    "/settings/templates/{template_id}/bulk",
    status_code=201,
    response_model=BulkRunStatusBody,
    openapi_extra=BULK_BODY,
)
async def bulk_send(
    template_id: int,
    request: Request,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> BulkRunStatusBody:
    raw = await read_limited(request, MAX_BODY_BYTES, lambda: body_too_large(MAX_BODY_BYTES))
    run = await start_run(
        session,
        principal,
        actor,
        context.blobs,
        template_id,
        raw,
        request.headers.get("content-type"),
    )
    await session.flush()
    return status_body(await run_view(session, principal, run.id))


@router.get(
    "/settings/templates/{template_id}/bulk/{bulk_id}",
    response_model=BulkRunStatusBody,
    dependencies=[ReadOnly],
)
async def bulk_status(
    template_id: int, bulk_id: int, principal: PrincipalDep, session: SessionDep
) -> BulkRunStatusBody:
    view = await run_view(session, principal, bulk_id)
    if view.run.template_id != template_id or view.run.template_version is None:
        raise NotFound(RUN_NOT_FOUND)
    return status_body(view)


BULK_ACTIONS = {"SHARE", "SIGN", "SEND"}
BULK_SIGN_UNSUPPORTED = (
    "Bulk signing is not supported: sign each package's fields "
    "(POST packages/{package_id}/documents/{document_id}/sign)"
)


def bulk_action_of(value: str) -> str:
    action = value.strip().upper()
    if action not in BULK_ACTIONS - {"SEND"}:
        raise BadRequest("bulk_action must be SHARE or SIGN")
    if action == "SIGN":
        raise BadRequest(BULK_SIGN_UNSUPPORTED, code="bulk_sign_unsupported")
    return action


@router.post("/packages/{bulk_action}", response_model=BulkActionStarted)
async def bulk_action(
    bulk_action: str,
    body: BulkActionBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> BulkActionStarted:
    bulk_action_of(bulk_action)
    run = await start_share(session, principal, actor, body.ids)
    return BulkActionStarted(status=run.status, transaction_id=str(run.id))


@router.post("/packages/{bulk_action}/status", response_model=BulkActionStatus)
async def bulk_action_status(
    bulk_action: str, body: BulkStatusBody, principal: PrincipalDep, session: SessionDep
) -> BulkActionStatus:
    action = bulk_action.strip().upper()
    if action not in BULK_ACTIONS:
        raise BadRequest("bulk_action must be SHARE, SIGN or SEND")
    run_id = body.transaction_id.strip()
    if not run_id.isdigit():
        raise NotFound(RUN_NOT_FOUND)
    view = await run_view(session, principal, int(run_id))
    if view.run.action != action:
        raise NotFound(RUN_NOT_FOUND)
    names = await package_names(
        session, view.run.enterprise_id, [r.package_id for r in view.rows if r.package_id]
    )
    return BulkActionStatus(
        status=view.run.status,
        packages=[
            BulkPackageStatus(
                id=r.package_id,
                name=names.get(r.package_id) if r.package_id else None,
                status=r.status,
                percentage=0 if r.status == BulkRowStatus.PENDING.value else 100,
                error=r.error,
            )
            for r in view.rows
        ],
    )
