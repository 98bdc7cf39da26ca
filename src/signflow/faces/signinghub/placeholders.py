"""Placeholders in a workflow: SigningHub's add-placeholder and update-placeholder calls
(the erwinmintiens client sends the update under /enterprise/packages/...)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.faces.routing import SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.template_schemas import PlaceholderAdd, PlaceholderUpdate
from signflow.workflow.placeholders import (
    NewPlaceholder,
    PlaceholderChange,
    add_placeholders,
    update_placeholder,
)

router = APIRouter(route_class=TransactionalRoute, tags=["workflow"])


@router.post("/packages/{package_id}/workflow/placeholder")
async def add(
    package_id: int,
    body: list[PlaceholderAdd],
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    items = [
        NewPlaceholder(
            title=item.placeholder,
            role=item.role,
            email_notification=item.email_notification,
            signing_order=item.signing_order,
        )
        for item in body
    ]
    await add_placeholders(session, principal, actor, package_id, items)
    return empty_ok()


async def _update(
    package_id: int,
    order: int,
    body: PlaceholderUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    change = PlaceholderChange(
        title=body.placeholder,
        role=body.role,
        email_notification=body.email_notification,
        signing_order=body.signing_order,
        email=body.user_email,
        name=body.user_name,
        mobile_number=body.mobile_number,
    )
    await update_placeholder(session, principal, actor, package_id, order, change)
    return empty_ok()


@router.put("/packages/{package_id}/workflow/{order}/placeholder")
async def update(
    package_id: int,
    order: int,
    body: PlaceholderUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    """Change a placeholder (the owner, while a draft), or fill it with a person (the
    owner before its turn, or the recipient whose turn comes just before it)."""
    return await _update(package_id, order, body, principal, actor, session)


@router.put("/enterprise/packages/{package_id}/workflow/{order}/placeholder")
async def update_enterprise(
    package_id: int,
    order: int,
    body: PlaceholderUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    """The same call under the path the erwinmintiens client uses."""
    return await _update(package_id, order, body, principal, actor, session)
