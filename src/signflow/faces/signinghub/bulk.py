"""Bulk send (ours, beside the template calls): one template applied to the rows of a
CSV or JSON body, one shared package per row, sent by the worker; and the run's status
with each row's result."""

from __future__ import annotations

from fastapi import APIRouter, Request

from signflow.errors import NotFound
from signflow.faces.bodies import body_too_large, read_limited
from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.template_schemas import BulkRowResult, BulkRunStatusBody
from signflow.templates.bulk import RUN_NOT_FOUND, RunView, run_view, start_run
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
    if view.run.template_id != template_id:
        raise NotFound(RUN_NOT_FOUND)
    return status_body(view)
