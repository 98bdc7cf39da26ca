"""Recipient groups: SigningHub's personal-settings and enterprise group calls, and the
workflow calls that add a group as a recipient and change it (the erwinmintiens client
sends the change under /enterprise/packages/...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.group_schemas import (
    GroupIn,
    GroupOut,
    MemberOut,
    WorkflowGroupAdd,
    WorkflowGroupUpdate,
)
from signflow.faces.signinghub.list_filters import list_filters
from signflow.templates.groups import (
    GroupChanges,
    GroupView,
    MemberIn,
    add_group,
    delete_group,
    list_groups,
    read_group,
    update_group,
)
from signflow.workflow.groups import (
    GroupRecipientChange,
    NewGroupRecipient,
    add_groups,
    update_group_recipient,
)

router = APIRouter(route_class=TransactionalRoute, tags=["groups"])


def group_body(view: GroupView) -> GroupOut:
    group = view.group
    return GroupOut(
        Id=group.id,
        Name=group.name,
        Description=group.description,
        Type="ENTERPRISE" if view.is_enterprise else "PERSONAL",
        Members=[MemberOut(UserEmail=m.email, UserName=m.name) for m in view.members],
        CreatedOn=group.created_at.isoformat(),
        ModifiedOn=group.modified_at.isoformat(),
    )


def members_of(body: GroupIn) -> list[MemberIn] | None:
    if body.members is None:
        return None
    return [MemberIn(m) if isinstance(m, str) else MemberIn(m.email, m.name) for m in body.members]


def changes_of(body: GroupIn) -> GroupChanges:
    return GroupChanges(name=body.name, description=body.description, members=members_of(body))


# Personal settings


@router.get(
    "/settings/groups/{records_per_page}/{page_no}",
    dependencies=[ReadOnly],
    response_model=list[GroupOut],
)
async def groups_page(
    records_per_page: int,
    page_no: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    x_search_text: Annotated[str | None, Header()] = None,
    x_enterprise: Annotated[str | None, Header()] = None,
) -> list[GroupOut]:
    """The caller's personal groups and their enterprise's groups, by name
    (`x-enterprise`: true only the enterprise's, false only the personal ones)."""
    search, enterprise = list_filters(x_search_text, x_enterprise)
    views, total = await list_groups(
        session, principal, page_no, records_per_page, search=search, enterprise=enterprise
    )
    response.headers["x-total-records"] = str(total)
    return [group_body(view) for view in views]


def serve_group_scope(prefix: str, scope: str, *, enterprise: bool) -> None:
    """Register reading, adding, changing and deleting one kind of group: the personal
    ones under `settings/groups` or the enterprise's under `enterprise/groups`, which
    differ only in that flag."""

    async def get_group(group_id: int, principal: PrincipalDep, session: SessionDep) -> GroupOut:
        return group_body(await read_group(session, principal, group_id, enterprise=enterprise))

    async def add(body: GroupIn, principal: PrincipalDep, session: SessionDep) -> GroupOut:
        members = members_of(body) or []
        view = await add_group(
            session, principal, body.name, body.description, members, enterprise=enterprise
        )
        return group_body(view)

    async def update(
        group_id: int, body: GroupIn, principal: PrincipalDep, session: SessionDep
    ) -> GroupOut:
        changes = changes_of(body)
        view = await update_group(session, principal, group_id, changes, enterprise=enterprise)
        return group_body(view)

    async def delete(group_id: int, principal: PrincipalDep, session: SessionDep) -> Response:
        await delete_group(session, principal, group_id, enterprise=enterprise)
        return empty_ok()

    one = f"{prefix}/{{group_id}}"
    router.add_api_route(
        one,
        get_group,
        methods=["GET"],
        dependencies=[ReadOnly],
        response_model=GroupOut,
        name=f"get_{scope}_group",
    )
    router.add_api_route(
        prefix, add, methods=["POST"], response_model=GroupOut, name=f"add_{scope}_group"
    )
    router.add_api_route(
        one, update, methods=["PUT"], response_model=GroupOut, name=f"update_{scope}_group"
    )
    router.add_api_route(one, delete, methods=["DELETE"], name=f"delete_{scope}_group")


serve_group_scope("/settings/groups", "personal", enterprise=False)
# Enterprise groups (an enterprise admin's calls)
serve_group_scope("/enterprise/groups", "enterprise", enterprise=True)


# Workflow


@router.post("/packages/{package_id}/workflow/groups")
async def add_workflow_groups(
    package_id: int,
    body: list[WorkflowGroupAdd],
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    """Each group joins the workflow as its last recipient; any one member acts for it."""
    items = [
        NewGroupRecipient(
            group_name=item.group_name,
            role=item.role,
            email_notification=item.email_notification,
            signing_order=item.signing_order,
        )
        for item in body
    ]
    await add_groups(session, principal, actor, package_id, items)
    return empty_ok()


async def _update(
    package_id: int,
    order: int,
    body: WorkflowGroupUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    change = GroupRecipientChange(
        group_name=body.group_name,
        role=body.role,
        email_notification=body.email_notification,
        signing_order=body.signing_order,
    )
    await update_group_recipient(session, principal, actor, package_id, order, change)
    return empty_ok()


@router.put("/packages/{package_id}/workflow/{order}/group")
async def update_workflow_group(
    package_id: int,
    order: int,
    body: WorkflowGroupUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    """The owner changes a group recipient while the package is a draft."""
    return await _update(package_id, order, body, principal, actor, session)


@router.put("/enterprise/packages/{package_id}/workflow/{order}/group")
async def update_enterprise_workflow_group(
    package_id: int,
    order: int,
    body: WorkflowGroupUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    """The same call under the path the erwinmintiens client uses."""
    return await _update(package_id, order, body, principal, actor, session)
