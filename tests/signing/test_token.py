"""CA and seal keys in a real PKCS#11 token (SoftHSM2): certificates, CRLs, PDF signatures."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from signflow.signing.ca import (
    KeyType,
    RevokedEntry,
    build_crl,
    create_ca,
    issue_seal_certificate,
    issue_signer_certificate,
)
from signflow.signing.signer import FastSigner, SignRequest
from signflow.signing.token import TokenError, TokenKey, generate_token_key, token_key
from tests.signing.checks import assert_everywhere_valid
from tests.signing.pdfs import text_pdf
from tests.signing.pki import URLS
from tests.softhsm import SoftHsm, softhsm  # noqa: F401


def _verifies(key: TokenKey, signature: bytes, data: bytes) -> None:
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("key_type", ["rsa2048", "ec-p256"])
def test_a_token_key_makes_sha256_signatures(
    softhsm: SoftHsm,  # noqa: F811
    key_type: str,
) -> None:
    label = softhsm.new_label("key")
    key = generate_token_key(softhsm.config, label, key_type)  # type: ignore[arg-type]
    assert key.algorithm == ("rsa" if key_type == "rsa2048" else "ec")
    _verifies(key, key.sign(b"the signed attributes"), b"the signed attributes")
    with pytest.raises(InvalidSignature):
        _verifies(key, key.sign(b"one text"), b"another text")
    # Found again by its label, it is the same key (one handle per process).
    assert token_key(softhsm.config, label) is key


def test_an_unknown_label_names_itself(softhsm: SoftHsm) -> None:  # noqa: F811
    with pytest.raises(TokenError, match="no-such-key"):
        token_key(softhsm.config, "no-such-key")


@pytest.mark.parametrize("key_type", [KeyType.RSA2048, KeyType.EC_P256])
def test_a_ca_and_a_seal_in_the_token_make_valid_signatures(
    softhsm: SoftHsm,  # noqa: F811
    key_type: KeyType,
) -> None:
    ca_key = generate_token_key(softhsm.config, softhsm.new_label("ca"), key_type.value)
    seal_key = generate_token_key(softhsm.config, softhsm.new_label("seal"), key_type.value)
    ca = create_ca("Token CA", "Token Ltd", URLS, key=ca_key)
    assert ca.cert.public_key() == ca_key.public_key()
    ca.cert.verify_directly_issued_by(ca.cert)
    seal = issue_seal_certificate(ca, "Token Ltd", key=seal_key)
    assert seal.cert.public_key() == seal_key.public_key()
    seal.cert.verify_directly_issued_by(ca.cert)
    # A signer's key is made in memory, its certificate signed by the token's CA key.
    person = issue_signer_certificate(ca, "Ana Ruiz", "ana@example.com", KeyType.EC_P256)
    person.cert.verify_directly_issued_by(ca.cert)

    signer = FastSigner(seal_key, seal.cert, [ca.cert])
    pdf = signer.sign(text_pdf(), SignRequest(field_name="Seal", rect=(72, 600, 200, 60)))
    assert_everywhere_valid(pdf, ca.cert)
    signed_twice = FastSigner(person.key, person.cert, [ca.cert]).sign(
        pdf, SignRequest(field_name="Ana", rect=(72, 400, 200, 60))
    )
    assert_everywhere_valid(signed_twice, ca.cert, count=2)


def test_a_crl_signed_in_the_token_verifies(softhsm: SoftHsm) -> None:  # noqa: F811
    ca_key = generate_token_key(softhsm.config, softhsm.new_label("ca"), "ec-p256")
    ca = create_ca("Token CA", "Token Ltd", URLS, key=ca_key)
    revoked_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    crl = x509.load_der_x509_crl(build_crl(ca, [RevokedEntry(1234, revoked_at)], crl_number=7))
    assert crl.is_signature_valid(ca.cert.public_key())  # type: ignore[arg-type]
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    entry = crl.get_revoked_certificate_by_serial_number(1234)
    assert entry is not None and entry.revocation_date_utc == revoked_at


async def test_token_signing_runs_beside_other_signatures(softhsm: SoftHsm) -> None:  # noqa: F811
    """One PKCS#11 session, many threads: signing is serialised per key, never garbled."""
    key = generate_token_key(softhsm.config, softhsm.new_label("busy"), "rsa2048")
    messages = [f"message {n}".encode() for n in range(16)]
    signatures = await asyncio.gather(*(asyncio.to_thread(key.sign, m) for m in messages))
    for message, signature in zip(messages, signatures, strict=True):
        _verifies(key, signature, message)


def test_a_lost_session_is_opened_again(softhsm: SoftHsm) -> None:  # noqa: F811
    """An HSM restart or a closed session: the next signature opens a new session and
    finds the key again, instead of failing until the server restarts."""
    from signflow.signing import token

    key = generate_token_key(softhsm.config, softhsm.new_label("lost"), "ec-p256")
    _verifies(key, key.sign(b"before"), b"before")
    lost = token._session(softhsm.config)
    lost.close()
    _verifies(key, key.sign(b"after"), b"after")
    assert token._session(softhsm.config) is not lost
