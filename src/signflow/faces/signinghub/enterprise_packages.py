"""`enterprise/packages/{pid}`: an enterprise administrator reads or terminates a
package of one of their users, and sets a recipient's document-opening authentication
(also the paths the erwinmintiens client calls)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.faces.routing import ReadOnly, SessionDep, SettingsDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.workflow import (
    authentication_reply,
    authentication_values,
    details_body,
)
from signflow.faces.signinghub.workflow_schemas import AuthenticationBody, WorkflowDetails
from signflow.workflow.actions import complete_enterprise_workflow
from signflow.workflow.recipients import (
    RecipientSetting,
    enterprise_recipient,
    update_enterprise_recipient_settings,
)
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


@router.get(
    "/enterprise/packages/{package_id}/workflow/{order}/authentication",
    dependencies=[ReadOnly],
    response_model=AuthenticationBody,
)
async def enterprise_get_authentication(
    package_id: int, order: int, principal: PrincipalDep, session: SessionDep
) -> AuthenticationBody:
    return authentication_reply(await enterprise_recipient(session, principal, package_id, order))


@router.put("/enterprise/packages/{package_id}/workflow/{order}/authentication")
async def enterprise_put_authentication(
    package_id: int,
    order: int,
    body: AuthenticationBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    previous = (await enterprise_recipient(session, principal, package_id, order)).authentication
    await update_enterprise_recipient_settings(
        session,
        principal,
        actor,
        package_id,
        order,
        RecipientSetting.AUTHENTICATION,
        authentication_values(body, previous),
        apply_to_all=body.apply_to_all,
    )
    return empty_ok()
