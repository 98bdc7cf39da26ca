"""Certificates, CRLs and OCSP responses signed by a key `cryptography` cannot hold.

`cryptography`'s builders sign only with keys it has in memory. For a token key the
structure is built and signed with a stand-in key of the same algorithm (so the
to-be-signed bytes name the right signature algorithm), then the stand-in's
signature is replaced by the token's signature over the very same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from asn1crypto import core
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from signflow.signing.cms import tlv
from signflow.signing.keys import PrivateKey
from signflow.signing.token import TokenKey

_BASIC_OCSP_RESPONSE = "1.3.6.1.5.5.7.48.1.1"


@cache
def _stand_in(algorithm: str) -> PrivateKey:
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _signed(tbs: bytes, algorithm_der: bytes, key: TokenKey) -> bytes:
    """TBS, AlgorithmIdentifier, BIT STRING: the shape of a certificate, CRL and OCSP body."""
    return tlv(0x30, tbs + algorithm_der + tlv(0x03, b"\x00" + key.sign(tbs)))


def certificate(builder: x509.CertificateBuilder, key: TokenKey) -> x509.Certificate:
    draft = builder.sign(_stand_in(key.algorithm), hashes.SHA256())
    algorithm = asn1_x509.Certificate.load(draft.public_bytes(Encoding.DER))["signature_algorithm"]
    der = _signed(draft.tbs_certificate_bytes, algorithm.dump(), key)
    return x509.load_der_x509_certificate(der)


def revocation_list(
    builder: x509.CertificateRevocationListBuilder, key: TokenKey
) -> x509.CertificateRevocationList:
    draft = builder.sign(_stand_in(key.algorithm), hashes.SHA256())
    algorithm = asn1_crl.CertificateList.load(draft.public_bytes(Encoding.DER))[
        "signature_algorithm"
    ]
    der = _signed(draft.tbs_certlist_bytes, algorithm.dump(), key)
    return x509.load_der_x509_crl(der)


@cache
def _stand_in_certificate(algorithm: str) -> x509.Certificate:
    key = _stand_in(algorithm)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "stand-in")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def ocsp_response(
    builder: ocsp.OCSPResponseBuilder, key: TokenKey, responder: x509.Certificate
) -> bytes:
    """A successful OCSP response (DER) signed by the token, naming `responder` by its key
    hash; it carries no certificates. (`cryptography` checks that the responder's
    certificate holds the signing key, so the draft names the stand-in, then the real
    responder's key hash replaces it.)"""
    stand_in = _stand_in_certificate(key.algorithm)
    draft = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, stand_in).sign(
        _stand_in(key.algorithm), hashes.SHA256()
    )
    parsed = asn1_ocsp.OCSPResponse.load(draft.public_bytes(Encoding.DER))
    basic_draft = parsed["response_bytes"]["response"].parsed
    tbs = basic_draft["tbs_response_data"]
    real = asn1_x509.Certificate.load(responder.public_bytes(Encoding.DER))
    tbs["responder_id"] = asn1_ocsp.ResponderId({"by_key": real.public_key.sha1})
    algorithm = basic_draft["signature_algorithm"]
    basic = _signed(tbs.dump(force=True), algorithm.dump(), key)
    response_bytes = tlv(
        0x30, core.ObjectIdentifier(_BASIC_OCSP_RESPONSE).dump() + tlv(0x04, basic)
    )
    return tlv(0x30, tlv(0x0A, b"\x00") + tlv(0xA0, response_bytes))
