"""Public PKI services: each enterprise CA's certificate, CRL and OCSP responder, for
validators to fetch.

The path names the enterprise by its random `pki_key`, not its sequential id: a CA
certificate names its enterprise, and counting ids would list every tenant.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.errors import NotFound
from signflow.faces.routing import (
    ReadOnly,
    SessionDep,
    SettingsDep,
    TransactionalRoute,
    read_raw_body,
)
from signflow.models import Enterprise, EnterpriseCa, SigningCredential
from signflow.signing.enterprise_keys import load_ca
from signflow.signing.ocsp import (
    MAX_OCSP_REQUEST_BYTES,
    CertificateStatus,
    MalformedOcspRequest,
    OCSPResponseStatus,
    asks_this_ca,
    parse_request,
    respond,
    unsuccessful,
)
from signflow.signing.revocation import current_crl

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
async def revocation_list(pki_key: str, session: SessionDep, settings: SettingsDep) -> Response:
    record = await _ca_record(session, pki_key)
    crl = await current_crl(session, settings, record.enterprise_id)
    return Response(crl, media_type="application/pkix-crl")


OCSP_RESPONSE = "application/ocsp-response"
_OCSP_DOC: dict[str, object] = {"content": {OCSP_RESPONSE: {}}}
# A malformed OCSP request is answered 400 with an OCSP `malformedRequest` response.
_OCSP_400: dict[str, object] = {
    "description": "The request is not a readable OCSP request",
    "content": {
        OCSP_RESPONSE: {},
        "application/json": {"schema": {"$ref": "#/components/schemas/SigningHubError"}},
    },
}


@router.post(
    "/pki/{pki_key}/ocsp",
    response_class=Response,
    dependencies=[ReadOnly],
    responses={200: _OCSP_DOC, 400: _OCSP_400},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/ocsp-request": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
async def ocsp_post(
    pki_key: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """RFC 6960 over POST: the DER OCSPRequest is the body."""
    record = await _ca_record(session, pki_key)
    der = await read_raw_body(request, MAX_OCSP_REQUEST_BYTES)
    return await _ocsp_answer(session, settings, record, pki_key, der)


@router.get(
    "/pki/{pki_key}/ocsp/{encoded:path}",
    response_class=Response,
    dependencies=[ReadOnly],
    responses={200: _OCSP_DOC, 400: _OCSP_400},
)
async def ocsp_get(
    pki_key: str, encoded: str, session: SessionDep, settings: SettingsDep
) -> Response:
    """RFC 6960 over GET: the DER OCSPRequest, base64 then URL-encoded, ends the path."""
    record = await _ca_record(session, pki_key)
    if len(encoded) > MAX_OCSP_REQUEST_BYTES:
        return _malformed()
    try:
        der = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        return _malformed()
    return await _ocsp_answer(session, settings, record, pki_key, der)


def _malformed() -> Response:
    # An OCSP client reads the status inside the body; the HTTP status says the same.
    return Response(
        unsuccessful(OCSPResponseStatus.MALFORMED_REQUEST),
        status_code=400,
        media_type=OCSP_RESPONSE,
    )


async def _ocsp_answer(
    session: AsyncSession, settings: Settings, record: EnterpriseCa, pki_key: str, der: bytes
) -> Response:
    try:
        question = parse_request(der)
    except MalformedOcspRequest:
        return _malformed()
    ca = load_ca(settings, record, pki_key).authority
    if not asks_this_ca(question, ca.cert):
        # RFC 6960 2.3: a responder answers only for the CA it serves.
        body = unsuccessful(OCSPResponseStatus.UNAUTHORIZED)
        return Response(body, media_type=OCSP_RESPONSE)
    row = await session.execute(
        select(SigningCredential.revoked_at).where(
            SigningCredential.enterprise_id == record.enterprise_id,
            SigningCredential.serial_number == format(question.serial_number, "x"),
        )
    )
    found = row.first()
    status = CertificateStatus(revoked_at=found[0]) if found is not None else None
    valid_for = dt.timedelta(seconds=settings.ocsp_valid_seconds)
    body = respond(ca, question, status, valid_for)
    return Response(body, media_type=OCSP_RESPONSE, headers={"cache-control": "no-store"})
