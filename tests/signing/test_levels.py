"""PAdES levels: what the signer embeds and what verification reports, offline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from signflow.signing.signer import SignRequest
from signflow.signing.verify import verify_pdf
from tests.signing.ades import ades_with_time, passed
from tests.signing.checks import assert_everywhere_valid
from tests.signing.pdfs import text_pdf
from tests.signing.pki import Pki
from tests.signing.tsa import LoopbackTsa, running_tsa


@pytest.fixture(scope="module")
def tsa() -> Iterator[LoopbackTsa]:
    with running_tsa() as served:
        yield served


def test_b_t_carries_a_timestamp_from_the_tsa(pki: Pki, tsa: LoopbackTsa) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(
        text_pdf(), SignRequest(field_name="S", level="B-T", timestamp_url=tsa.url)
    )
    assert_everywhere_valid(signed, pki.ca.cert)
    (report,) = verify_pdf(signed, [pki.ca.cert, tsa.root])
    assert report.signature_status == "VALID"
    assert report.signature_type == "PADES_BASELINE_T"
    assert report.timestamp_at is not None
    assert report.timestamp_authority is not None and "Loopback TSA" in report.timestamp_authority
    assert report.ltv is False


def test_a_timestamp_from_an_unknown_authority_is_untrusted(pki: Pki, tsa: LoopbackTsa) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(
        text_pdf(), SignRequest(field_name="S", level="B-T", timestamp_url=tsa.url)
    )
    (report,) = verify_pdf(signed, [pki.ca.cert])
    assert report.signature_status == "UNTRUSTED"


def b_lt_request(pki: Pki, tsa: LoopbackTsa) -> SignRequest:
    return SignRequest(
        field_name="S",
        level="B-LT",
        timestamp_url=tsa.url,
        validation_certs=[pki.ca.cert],
        crls=[pki.crl],
        trust_roots=[tsa.root],
    )


def test_b_lt_embeds_the_validation_data_of_the_signature_and_its_timestamp(
    pki: Pki, tsa: LoopbackTsa
) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    fetched_before = tsa.requests.count("/root.crl")
    signed = signer.sign(text_pdf(), b_lt_request(pki, tsa))
    assert tsa.requests.count("/root.crl") == fetched_before + 1
    assert b"/DSS" in signed and b"/VRI" in signed
    assert_everywhere_valid(signed, pki.ca.cert, whole_file=False)
    (report,) = verify_pdf(signed, [pki.ca.cert, tsa.root])
    assert report.signature_status == "VALID"
    assert report.ltv is True
    assert report.signature_type == "PADES_BASELINE_LT"


def test_b_lt_without_the_tsa_revocation_data_is_reported_as_b_t(
    pki: Pki, tsa: LoopbackTsa
) -> None:
    """What Signflow wrote before: its own CA and CRL in the DSS, nothing of the TSA's."""
    from io import BytesIO

    from asn1crypto import crl as asn1_crl
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    from signflow.signing.cms import to_asn1_cert

    signer = pki.signer("Alice Example", "alice@example.com")
    signed = bytearray(
        signer.sign(text_pdf(), SignRequest(field_name="S", level="B-T", timestamp_url=tsa.url))
    )
    out = BytesIO(signed)
    DocumentSecurityStore.add_dss(
        output_stream=out,
        sig_contents=None,
        certs=[to_asn1_cert(c) for c in (signer.cert, pki.ca.cert, tsa.cert)],
        crls=[asn1_crl.CertificateList.load(pki.crl)],
        force_write=True,
    )
    (report,) = verify_pdf(out.getvalue(), [pki.ca.cert, tsa.root])
    assert report.signature_status == "VALID"
    assert report.ltv is False
    assert report.signature_type == "PADES_BASELINE_T"


def test_b_t_without_crls_is_not_ltv(pki: Pki, tsa: LoopbackTsa) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(
        text_pdf(), SignRequest(field_name="S", level="B-T", timestamp_url=tsa.url)
    )
    assert verify_pdf(signed, [pki.ca.cert, tsa.root])[0].ltv is False


def test_pyhanko_validates_b_lt_offline_with_the_timestamp_as_signing_time(
    pki: Pki, tsa: LoopbackTsa
) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(text_pdf(), b_lt_request(pki, tsa))
    (result,) = ades_with_time(signed, [pki.ca.cert, tsa.root])
    assert passed(result), result.failure_msg
    (report,) = verify_pdf(signed, [pki.ca.cert, tsa.root])
    assert report.timestamp_at is not None
    assert result.best_signature_time == datetime.fromisoformat(report.timestamp_at)


def test_pyhanko_finds_no_signing_time_in_b_t_offline(pki: Pki, tsa: LoopbackTsa) -> None:
    signer = pki.signer("Alice Example", "alice@example.com")
    signed = signer.sign(
        text_pdf(), SignRequest(field_name="S", level="B-T", timestamp_url=tsa.url)
    )
    (result,) = ades_with_time(signed, [pki.ca.cert, tsa.root])
    assert not passed(result)
