"""Personal delegation of signing: GET and PUT settings/delegate, in the body the guide's
clients send (`enabled`, and `delegate` with `user_email`, `user_name`, `from`, `to`)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field

from signflow.accounts.delegation import (
    Delegation,
    DelegationChange,
    delegation_of,
    update_delegation,
)
from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel

router = APIRouter(route_class=TransactionalRoute, tags=["account"])


class DelegateBody(VendorModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    user_email: str | None = Field(default=None, max_length=320)
    user_name: str | None = Field(default=None, max_length=200)
    starts: dt.datetime | None = Field(default=None, alias="from")
    ends: dt.datetime | None = Field(default=None, alias="to")


class DelegationBody(VendorModel):
    enabled: bool | None = None
    delegate: DelegateBody | None = None


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def reply(delegation: Delegation) -> DelegationBody:
    delegate = delegation.delegate
    return DelegationBody(
        enabled=delegation.enabled,
        delegate=DelegateBody(
            user_email=delegate.email,
            user_name=delegate.name,
            starts=delegation.starts,
            ends=delegation.ends,
        )
        if delegate is not None
        else None,
    )


@router.get(
    "/settings/delegate",
    dependencies=[ReadOnly],
    response_model=DelegationBody,
    response_model_by_alias=True,
)
async def get_delegation(principal: PrincipalDep, session: SessionDep) -> DelegationBody:
    return reply(await delegation_of(session, principal.user))


@router.put("/settings/delegate")
async def put_delegation(
    body: DelegationBody, principal: PrincipalDep, session: SessionDep
) -> Response:
    delegate = body.delegate or DelegateBody()
    change = DelegationChange(
        enabled=body.enabled,
        delegate_email=delegate.user_email or None,
        starts=utc(delegate.starts),
        ends=utc(delegate.ends),
    )
    await update_delegation(session, principal.user.id, change)
    return empty_ok()
