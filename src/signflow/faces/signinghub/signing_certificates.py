"""Enterprise signing certificates (enterprise/signingcertificates): an enterprise
administrator adds, lists, updates and deletes the named signing capacities of the
enterprise's users, in the bodies the SigningHub clients send."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field

from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import SigningCapacity, SigningCredential
from signflow.signing.capacities import (
    CapacityInput,
    ListedCapacity,
    add_capacity,
    delete_capacity,
    list_capacities,
    update_capacity,
)

router = APIRouter(route_class=TransactionalRoute, tags=["enterprise"])


class CertificateBody(VendorModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    user_email: str = Field(max_length=320)
    capacity_name: str = Field(max_length=100)
    certificate_alias: str = Field(max_length=100)
    level_of_assurance: str = Field(default="ADVANCED_ELECTRONIC_SIGNATURE", max_length=60)
    key_protection_option: str | None = Field(default=None, max_length=40)
    is_default: bool = Field(default=False, alias="isDefault")


class CertificateDelete(VendorModel):
    user_email: str = Field(max_length=320)


class CertificateAdded(VendorModel):
    certificate_id: int


class CertificateListed(VendorModel):
    model_config = ConfigDict(populate_by_name=True)

    certificate_id: int
    user_email: str
    capacity_name: str
    certificate_alias: str
    level_of_assurance: str
    key_protection_option: str
    is_default: bool = Field(serialization_alias="isDefault")
    serial_number: str
    valid_to: str
    revoked: bool


def _input(body: CertificateBody) -> CapacityInput:
    return CapacityInput(
        user_email=body.user_email,
        capacity_name=body.capacity_name,
        certificate_alias=body.certificate_alias,
        level_of_assurance=body.level_of_assurance,
        key_protection_option=body.key_protection_option,
        is_default=body.is_default,
    )


def _listed(
    capacity: SigningCapacity, email: str, credential: SigningCredential
) -> CertificateListed:
    return CertificateListed(
        certificate_id=capacity.id,
        user_email=email,
        capacity_name=capacity.capacity_name,
        certificate_alias=capacity.certificate_alias,
        level_of_assurance=capacity.level_of_assurance,
        key_protection_option=capacity.key_protection_option,
        is_default=capacity.is_default,
        serial_number=credential.serial_number,
        valid_to=credential.not_after.isoformat(),
        revoked=credential.revoked_at is not None,
    )


@router.post("/enterprise/signingcertificates", response_model=CertificateAdded)
async def add_certificate(
    body: CertificateBody, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> CertificateAdded:
    capacity = await add_capacity(session, context.settings, principal, _input(body))
    return CertificateAdded(certificate_id=capacity.id)


@router.get(
    "/enterprise/signingcertificates",
    dependencies=[ReadOnly],
    response_model=list[CertificateListed],
    response_model_by_alias=True,
)
async def list_certificates(
    principal: PrincipalDep, session: SessionDep, user_email: str | None = None
) -> list[CertificateListed]:
    """Every signing certificate of the enterprise's users (`?user_email=` for one)."""
    found: list[ListedCapacity] = await list_capacities(session, principal, user_email)
    return [_listed(item.capacity, item.user_email, item.credential) for item in found]


@router.put("/enterprise/signingcertificates/{certificate_id}")
async def update_certificate(
    certificate_id: int, body: CertificateBody, principal: PrincipalDep, session: SessionDep
) -> Response:
    await update_capacity(session, principal, certificate_id, _input(body))
    return empty_ok()


@router.delete("/enterprise/signingcertificates/{certificate_id}")
async def delete_certificate(
    certificate_id: int, body: CertificateDelete, principal: PrincipalDep, session: SessionDep
) -> Response:
    await delete_capacity(session, principal, certificate_id, body.user_email)
    return empty_ok()
