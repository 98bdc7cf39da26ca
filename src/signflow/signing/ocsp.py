"""The OCSP responder of an enterprise CA (RFC 6960), answering for the certificates it issued.

The CA signs its responses itself (no delegated responder certificate to renew), names
itself by key hash, echoes the client's nonce, and answers "unknown" for a serial number
it never issued and "unauthorized" for a question about another issuer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from signflow.signing import external
from signflow.signing.ca import CertificateAuthority
from signflow.signing.token import TokenKey

MAX_OCSP_REQUEST_BYTES = 16 * 1024
_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


OCSPResponseStatus = ocsp.OCSPResponseStatus


class MalformedOcspRequest(ValueError):
    pass


@dataclass(frozen=True)
class CertificateStatus:
    """What the CA's records say of a serial number; None for a serial it never issued."""

    revoked_at: dt.datetime | None


def parse_request(der: bytes) -> ocsp.OCSPRequest:
    try:
        return ocsp.load_der_ocsp_request(der)
    except ValueError as exc:  # malformed DER, or more than one certificate asked about
        raise MalformedOcspRequest(str(exc)) from exc


def asks_this_ca(request: ocsp.OCSPRequest, ca_cert: x509.Certificate) -> bool:
    """Whether the request's issuer hashes name this CA (SHA-1 or SHA-256)."""
    digest = _HASHES.get(request.hash_algorithm.name)
    if digest is None:
        return False
    loaded = asn1_x509.Certificate.load(ca_cert.public_bytes(serialization.Encoding.DER))
    name_hash = digest(loaded.subject.dump()).digest()
    key_hash = digest(loaded.public_key["public_key"].contents[1:]).digest()
    return request.issuer_name_hash == name_hash and request.issuer_key_hash == key_hash


def respond(
    ca: CertificateAuthority,
    request: ocsp.OCSPRequest,
    status: CertificateStatus | None,
    valid_for: dt.timedelta,
) -> bytes:
    """A signed, successful response (DER) for the one certificate the request names."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if status is None:
        cert_status, revoked_at = ocsp.OCSPCertStatus.UNKNOWN, None
    elif status.revoked_at is not None:
        cert_status, revoked_at = ocsp.OCSPCertStatus.REVOKED, status.revoked_at
    else:
        cert_status, revoked_at = ocsp.OCSPCertStatus.GOOD, None
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=cert_status,
        this_update=now,
        next_update=now + valid_for,
        revocation_time=revoked_at,
        revocation_reason=None,
    )
    nonce = next((e.value for e in request.extensions if isinstance(e.value, x509.OCSPNonce)), None)
    if nonce is not None:
        builder = builder.add_extension(nonce, critical=False)
    if isinstance(ca.key, TokenKey):
        return external.ocsp_response(builder, ca.key, ca.cert)
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert)
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
