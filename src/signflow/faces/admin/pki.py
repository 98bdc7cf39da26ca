"""The enterprise's PKI, for admins: its certificates, their revocation, importing a CA.

/v3/enterprise/certificates lists the signer and seal certificates the enterprise CA
issued; POST .../{serial}/revoke revokes one (it is never used again: the next signature
gets a new certificate). POST /v3/enterprise/ca replaces the CA by one from a PKCS#12
file (base64 in JSON).
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import hashes
from fastapi import APIRouter, Response
from pydantic import Field

from signflow.accounts.users import require_admin
from signflow.config import Settings
from signflow.errors import BadRequest
from signflow.faces.bodies import body_limit
from signflow.faces.routing import ReadOnly, SessionDep, SettingsDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import SigningCredential
from signflow.signing.enterprise_keys import import_enterprise_ca
from signflow.signing.revocation import list_certificates, revoke_certificate

router = APIRouter(route_class=TransactionalRoute, tags=["pki"])

MAX_PKCS12_BYTES = 256 * 1024


class CertificateBody(VendorModel):
    serial_number: str
    kind: str
    email: str
    valid_until: str
    created_on: str
    revoked_on: str | None
    key_storage: str


class CaImport(VendorModel):
    pkcs12: str = Field(min_length=1, description="The PKCS#12 (.p12/.pfx) file, base64")
    password: str | None = Field(default=None, max_length=1024)


class CaBody(VendorModel):
    subject: str
    serial_number: str
    sha256_fingerprint: str
    valid_until: str
    imported: bool
    key_storage: str


def certificate_body(credential: SigningCredential) -> CertificateBody:
    return CertificateBody(
        serial_number=credential.serial_number,
        kind=credential.kind,
        email=credential.email,
        valid_until=credential.not_after.isoformat(),
        created_on=credential.created_at.isoformat(),
        revoked_on=credential.revoked_at.isoformat() if credential.revoked_at else None,
        key_storage="pkcs11" if credential.token_key_label else "database",
    )


@router.get(
    "/enterprise/certificates", dependencies=[ReadOnly], response_model=list[CertificateBody]
)
async def list_(
    principal: PrincipalDep, session: SessionDep, response: Response
) -> list[CertificateBody]:
    require_admin(principal)
    credentials = await list_certificates(session, principal.enterprise_id)
    response.headers["x-total-records"] = str(len(credentials))
    return [certificate_body(c) for c in credentials]


@router.post("/enterprise/certificates/{serial_number}/revoke", response_model=CertificateBody)
async def revoke(
    serial_number: str, principal: PrincipalDep, session: SessionDep
) -> CertificateBody:
    require_admin(principal)
    credential = await revoke_certificate(session, principal.enterprise_id, serial_number)
    return certificate_body(credential)


def _pkcs12_body_limit(settings: Settings) -> int:
    # base64 grows by a third; the JSON around it is small.
    return MAX_PKCS12_BYTES * 4 // 3 + 4096


@router.post("/enterprise/ca", response_model=CaBody)
@body_limit(_pkcs12_body_limit)
async def import_ca(
    body: CaImport, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> CaBody:
    require_admin(principal)
    try:
        p12 = base64.b64decode(body.pkcs12, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("pkcs12 must be the base64 of a PKCS#12 file") from exc
    if len(p12) > MAX_PKCS12_BYTES:
        raise BadRequest(f"pkcs12 must be at most {MAX_PKCS12_BYTES // 1024} KB")
    loaded = await import_enterprise_ca(
        session, settings, principal.enterprise_id, p12, body.password
    )
    cert = loaded.authority.cert
    return CaBody(
        subject=cert.subject.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        valid_until=cert.not_valid_after_utc.isoformat(),
        imported=loaded.record.imported,
        key_storage=loaded.record.key_store,
    )
