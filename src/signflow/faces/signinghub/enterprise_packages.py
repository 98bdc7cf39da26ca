"""`enterprise/packages/{pid}`: an enterprise administrator reads or terminates a
package of one of their users (also the paths the erwinmintiens client calls)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.faces.routing import ReadOnly, SessionDep, SettingsDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.workflow import details_body
from signflow.faces.signinghub.workflow_schemas import WorkflowDetails
from signflow.workflow.actions import complete_enterprise_workflow
from signflow.workflow.settings import enterprise_workflow

router = APIRouter(route_class=TransactionalRoute, tags=["enterprise"])


@router.get(
    "/enterprise/packages/{package_id}", dependencies=[ReadOnly], response_model=WorkflowDetails
)
async def enterprise_package_details(
    package_id: int, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> WorkflowDetails:
    view = await enterprise_workflow(session, principal, package_id)
    return await details_body(session, principal, view, settings.archive_after_days)


@router.post("/enterprise/packages/{package_id}/complete")
async def enterprise_complete(
    package_id: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    await complete_enterprise_workflow(session, principal, actor, package_id)
    return empty_ok()
