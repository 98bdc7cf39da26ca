"""OCSP responses of an enterprise CA, in memory or in a PKCS#11 token, read by openssl."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from signflow.signing.ca import CertificateAuthority, KeyType, create_ca, issue_signer_certificate
from signflow.signing.ocsp import (
    CertificateStatus,
    MalformedOcspRequest,
    asks_this_ca,
    parse_request,
    respond,
)
from signflow.signing.token import generate_token_key
from tests.prerequisites import require_command
from tests.signing.pki import URLS
from tests.softhsm import SoftHsm, softhsm  # noqa: F401

DAY = dt.timedelta(days=1)


def _pem(path: Path, cert: x509.Certificate) -> str:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def _openssl_reads(tmp: Path, ca: x509.Certificate, cert: x509.Certificate, response: bytes) -> str:
    (tmp / "resp.der").write_bytes(response)
    done = subprocess.run(
        [
            require_command("openssl", "openssl"),
            "ocsp",
            # openssl builds its own question from -issuer and -cert: without a nonce of its
            # own, it checks the response's status and signature (the echoed nonce is
            # checked below, on the request that carried one).
            "-no_nonce",
            "-respin",
            str(tmp / "resp.der"),
            "-issuer",
            _pem(tmp / "ca.pem", ca),
            "-cert",
            _pem(tmp / "cert.pem", cert),
            "-CAfile",
            str(tmp / "ca.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Response verify OK" in out, out
    return out


def _request(cert: x509.Certificate, ca: x509.Certificate, nonce: bytes) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, ca, hashes.SHA1())  # noqa: S303
    builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _authority(kind: str, softhsm: SoftHsm) -> CertificateAuthority:  # noqa: F811
    if kind == "memory":
        return create_ca("OCSP CA", "OCSP Ltd", URLS, KeyType.RSA2048)
    key = generate_token_key(softhsm.config, softhsm.new_label("ocsp-ca"), "ec-p256")
    return create_ca("OCSP Token CA", "OCSP Ltd", URLS, key=key)


@pytest.mark.parametrize("where", ["memory", "token"])
def test_good_and_revoked_answers_verify_with_openssl(
    where: str,
    softhsm: SoftHsm,  # noqa: F811
    tmp_path: Path,
) -> None:
    ca = _authority(where, softhsm)
    person = issue_signer_certificate(ca, "Ana Ruiz", "ana@example.com", KeyType.EC_P256)
    request_der = _request(person.cert, ca.cert, b"nonce-1234567890")
    question = parse_request(request_der)
    assert asks_this_ca(question, ca.cert)

    good = respond(ca, question, CertificateStatus(revoked_at=None), DAY)
    assert "cert.pem: good" in _openssl_reads(tmp_path, ca.cert, person.cert, good)
    parsed = ocsp.load_der_ocsp_response(good)
    assert parsed.certificate_status == ocsp.OCSPCertStatus.GOOD
    ca_info = asn1_x509.Certificate.load(ca.cert.public_bytes(serialization.Encoding.DER))
    assert parsed.responder_key_hash == ca_info.public_key.sha1
    nonce = parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert nonce == b"nonce-1234567890"
    assert parsed.next_update_utc is not None
    assert parsed.next_update_utc - parsed.this_update_utc == DAY

    when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    revoked = respond(ca, question, CertificateStatus(revoked_at=when), DAY)
    out = _openssl_reads(tmp_path, ca.cert, person.cert, revoked)
    assert "cert.pem: revoked" in out
    assert ocsp.load_der_ocsp_response(revoked).revocation_time_utc == when


def test_another_cas_question_and_garbage_are_recognised(softhsm: SoftHsm) -> None:  # noqa: F811
    ours = _authority("memory", softhsm)
    theirs = _authority("memory", softhsm)
    person = issue_signer_certificate(theirs, "Bo Lee", "bo@example.com", KeyType.EC_P256)
    question = parse_request(_request(person.cert, theirs.cert, b"n" * 16))
    assert not asks_this_ca(question, ours.cert)
    with pytest.raises(MalformedOcspRequest):
        parse_request(b"\x30\x03\x02\x01\x01")
