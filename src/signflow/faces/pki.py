"""Public PKI files: each enterprise CA's certificate and CRL, for validators to fetch.

The path names the enterprise by its random `pki_key`, not its sequential id: a CA
certificate names its enterprise, and counting ids would list every tenant.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Response
from sqlalchemy import select

from signflow.errors import NotFound
from signflow.faces.routing import ContextDep, SessionDep, TransactionalRoute
from signflow.models import Enterprise, EnterpriseCa, SigningCredential
from signflow.signing.ca import RevokedEntry, build_crl
from signflow.signing.enterprise_keys import load_ca

router = APIRouter(route_class=TransactionalRoute, tags=["pki"])

NO_CA = "No certificate authority for this enterprise"
# What new_pki_key makes (URL-safe base64); anything else names nothing, without a query.
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,43}")


async def _ca_record(session: SessionDep, pki_key: str) -> EnterpriseCa:
    if not KEY_SHAPE.fullmatch(pki_key):
        raise NotFound(NO_CA)
    record = await session.scalar(
        select(EnterpriseCa)
        .join(Enterprise, Enterprise.id == EnterpriseCa.enterprise_id)
        .where(Enterprise.pki_key == pki_key)
    )
    if record is None:
        raise NotFound(NO_CA)
    return record


@router.get(
    "/pki/{pki_key}/ca.crt",
    response_class=Response,
    responses={200: {"content": {"application/pkix-cert": {}}}},
)
async def ca_certificate(pki_key: str, session: SessionDep) -> Response:
    record = await _ca_record(session, pki_key)
    return Response(record.cert_der, media_type="application/pkix-cert")


@router.get(
    "/pki/{pki_key}/crl",
    response_class=Response,
    responses={200: {"content": {"application/pkix-crl": {}}}},
)
async def revocation_list(pki_key: str, session: SessionDep, context: ContextDep) -> Response:
    record = await _ca_record(session, pki_key)
    revoked = await session.execute(
        select(SigningCredential.serial_number, SigningCredential.revoked_at).where(
            SigningCredential.enterprise_id == record.enterprise_id,
            SigningCredential.revoked_at.is_not(None),
        )
    )
    entries = [RevokedEntry(int(serial, 16), when) for serial, when in revoked if when]
    crl = build_crl(load_ca(context.settings, record, pki_key).authority, entries)
    return Response(crl, media_type="application/pkix-crl")
