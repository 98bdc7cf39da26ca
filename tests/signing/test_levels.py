from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography import x509

from signflow.signing.signer import SignRequest
from signflow.signing.verify import verify_pdf
from tests.signing.checks import assert_everywhere_valid
from tests.signing.pdfs import text_pdf
from tests.signing.pki import Pki
from tests.signing.tsa import running_tsa


@pytest.fixture(scope="module")
def tsa(pki: Pki) -> Iterator[tuple[str, x509.Certificate]]:
    with running_tsa(pki.ca) as served:
        yield served


def test_b_t_carries_a_timestamp_from_the_tsa(pki: Pki, tsa: tuple[str, x509.Certificate]) -> None:
    url, _ = tsa
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="S", level="B-T", timestamp_url=url))
    assert_everywhere_valid(signed, pki.ca.cert)
    (report,) = verify_pdf(signed, [pki.ca.cert])
    assert report.signature_status == "VALID"
    assert report.signature_type == "PADES_BASELINE_T"
    assert report.timestamp_at is not None
    assert report.timestamp_authority is not None and "Loopback TSA" in report.timestamp_authority
    assert report.ltv is False


def test_b_lt_embeds_validation_data(pki: Pki, tsa: tuple[str, x509.Certificate]) -> None:
    url, tsa_cert = tsa
    signer = pki.signer("Alice Example", "alice@example.com")
    request = SignRequest(
        field_name="S",
        level="B-LT",
        timestamp_url=url,
        validation_certs=[pki.ca.cert, tsa_cert],
        crls=[pki.crl],
    )
    signed = signer.sign(text_pdf(), request)
    assert b"/DSS" in signed
    assert_everywhere_valid(signed, pki.ca.cert, whole_file=False)
    (report,) = verify_pdf(signed, [pki.ca.cert])
    assert report.signature_status == "VALID"
    assert report.ltv is True
    assert report.signature_type == "PADES_BASELINE_LT"


def test_b_t_without_crls_is_not_ltv(pki: Pki, tsa: tuple[str, x509.Certificate]) -> None:
    url, _ = tsa
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), SignRequest(field_name="S", level="B-T", timestamp_url=url))
    assert verify_pdf(signed, [pki.ca.cert])[0].ltv is False
