"""Erasing a person's personal data from the enterprise's history, for admins:
POST /v3/enterprise/erasures."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from signflow.accounts.users import require_admin
from signflow.audit.erasure import MAX_EMAIL_LENGTH, erase_person
from signflow.faces.routing import SessionDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep, request_actor
from signflow.faces.signinghub.schemas import VendorModel

router = APIRouter(route_class=TransactionalRoute, tags=["erasure"])


class ErasureRequest(VendorModel):
    email: str = Field(min_length=3, max_length=MAX_EMAIL_LENGTH)


class ErasureBody(VendorModel):
    packages: list[int]
    values_erased: int
    refused: dict[str, str]
    remaining_mentions: list[int]


@router.post("/enterprise/erasures", response_model=ErasureBody)
async def erase(
    body: ErasureRequest, request: Request, principal: PrincipalDep, session: SessionDep
) -> ErasureBody:
    """Replace the person's e-mail, name, IP address, user agent and phone in every history
    entry of this enterprise by keyed digests; the chains stay verifiable."""
    require_admin(principal)
    result = await erase_person(
        session, principal.enterprise_id, body.email, request_actor(request, principal)
    )
    return ErasureBody(
        packages=result.packages,
        values_erased=result.values,
        refused={str(k): v for k, v in result.refused.items()},
        remaining_mentions=result.remaining,
    )
