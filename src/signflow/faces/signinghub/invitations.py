"""Invitations: an enterprise admin's (`enterprise/invitations`) and the invited person's
own (`account/invitations`: list, accept, decline all). See `accounts/invitations.py`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.accounts.invitations import (
    NewInvitation,
    accept,
    decline_all,
    invite,
    list_invitations,
    pending_for,
    withdraw,
)
from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.account_schemas import (
    AcceptInvitationBody,
    AccountInvitationBody,
    InvitationBody,
    InvitationCreate,
)
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import EnterpriseUserDelete
from signflow.models import EnterpriseRole, Invitation

router = APIRouter(route_class=TransactionalRoute, tags=["invitations"])


def invitation_body(invitation: Invitation) -> InvitationBody:
    return InvitationBody(
        user_email=invitation.email,
        user_name=invitation.name,
        enterprise_role=EnterpriseRole(invitation.role),
        status=invitation.status,
        invited_on=invitation.created_at.isoformat(),
    )


@router.post("/enterprise/invitations", response_model=InvitationBody)
async def invite_enterprise_user(
    body: InvitationCreate, principal: PrincipalDep, session: SessionDep
) -> InvitationBody:
    new = NewInvitation(email=body.user_email, name=body.user_name, role=body.enterprise_role)
    return invitation_body(await invite(session, principal, new))


@router.get(
    "/enterprise/invitations/{page_no}/{records_per_page}",
    dependencies=[ReadOnly],
    response_model=list[InvitationBody],
)
async def enterprise_invitations(
    page_no: int,
    records_per_page: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
) -> list[InvitationBody]:
    invitations, total = await list_invitations(session, principal, page_no, records_per_page)
    response.headers["x-total-records"] = str(total)
    return [invitation_body(i) for i in invitations]


@router.delete("/enterprise/invitations")
async def delete_enterprise_invitation(
    body: EnterpriseUserDelete, principal: PrincipalDep, session: SessionDep
) -> Response:
    await withdraw(session, principal, body.user_email)
    return empty_ok()


@router.post(
    "/account/invitations", dependencies=[ReadOnly], response_model=list[AccountInvitationBody]
)
async def account_invitations(
    principal: PrincipalDep, session: SessionDep
) -> list[AccountInvitationBody]:
    """The caller's pending invitations (SigningHub's client sends POST)."""
    return [
        AccountInvitationBody(
            enterprise_name=enterprise.name,
            enterprise_role=EnterpriseRole(invitation.role),
            invited_on=invitation.created_at.isoformat(),
        )
        for invitation, enterprise in await pending_for(session, principal)
    ]


@router.put("/account/invitations")
async def accept_invitation(
    body: AcceptInvitationBody, principal: PrincipalDep, session: SessionDep
) -> Response:
    await accept(session, principal, body.enterprise_name)
    return empty_ok()


@router.delete("/account/invitations")
async def reject_all_invitations(principal: PrincipalDep, session: SessionDep) -> Response:
    await decline_all(session, principal)
    return empty_ok()
