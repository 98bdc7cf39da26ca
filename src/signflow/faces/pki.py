"""Public PKI files: each enterprise CA's certificate and CRL, for validators to fetch."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from signflow.errors import NotFound
from signflow.faces.routing import ContextDep, SessionDep, TransactionalRoute
from signflow.models import EnterpriseCa, SigningCredential
from signflow.signing.ca import RevokedEntry, build_crl
from signflow.signing.enterprise_keys import load_ca

router = APIRouter(route_class=TransactionalRoute, tags=["pki"])


async def _ca_record(session: SessionDep, enterprise_id: int) -> EnterpriseCa:
    record = await session.get(EnterpriseCa, enterprise_id)
    if record is None:
        raise NotFound("No certificate authority for this enterprise")
    return record


@router.get(
    "/pki/{enterprise_id}/ca.crt",
    response_class=Response,
    responses={200: {"content": {"application/pkix-cert": {}}}},
)
async def ca_certificate(enterprise_id: int, session: SessionDep) -> Response:
    record = await _ca_record(session, enterprise_id)
    return Response(record.cert_der, media_type="application/pkix-cert")


@router.get(
    "/pki/{enterprise_id}/crl",
    response_class=Response,
    responses={200: {"content": {"application/pkix-crl": {}}}},
)
async def revocation_list(enterprise_id: int, session: SessionDep, context: ContextDep) -> Response:
    record = await _ca_record(session, enterprise_id)
    revoked = await session.execute(
        select(SigningCredential.serial_number, SigningCredential.revoked_at).where(
            SigningCredential.enterprise_id == enterprise_id,
            SigningCredential.revoked_at.is_not(None),
        )
    )
    entries = [RevokedEntry(int(serial, 16), when) for serial, when in revoked if when]
    crl = build_crl(load_ca(context.settings, record).authority, entries)
    return Response(crl, media_type="application/pkix-crl")
