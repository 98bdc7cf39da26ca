"""Verification answers a report, never an error, for signatures damaged after signing."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from signflow.signing.signer import SignRequest
from signflow.signing.verify import verify_pdf
from tests.signing.pdfs import text_pdf
from tests.signing.pki import Pki


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    signer = pki.signer("Ana", "ana@example.com")
    return signer.sign(text_pdf(), SignRequest(field_name="Ana", rect=(50, 50, 120, 40)))


def contents_offset(pdf: bytes) -> int:
    found = re.search(rb"/Contents\s*<([0-9a-fA-F]+)", pdf)
    assert found is not None
    return found.start(1)


@pytest.mark.parametrize(
    "damage",
    ["hex digit changed", "not a hex digit", "a byte of the signed range"],
)
def test_damaged_signatures_are_reported_invalid(pki: Pki, signed: bytes, damage: str):
    pdf = bytearray(signed)
    start = contents_offset(signed)
    if damage == "hex digit changed":
        pdf[start + 40] = ord("1") if pdf[start + 40] == ord("0") else ord("0")
    elif damage == "not a hex digit":
        pdf[start + 10] = ord("g")
    else:
        pdf[7] = ord("9")
    [report] = verify_pdf(bytes(pdf), [pki.ca.cert])
    assert report.field_name == "Ana"
    assert report.signature_status == "INVALID"
    assert [r.signature_status for r in verify_pdf(signed, [pki.ca.cert])] == ["VALID"]


def test_reports_hold_plain_values_that_copy_without_the_pdf_reader(pki: Pki, signed: bytes):
    """pyHanko's field name is a string object that refers to the whole PDF reader: a
    report holding it made `dataclasses.asdict` deep-copy the document (40-100 s)."""
    [report] = verify_pdf(signed, [pki.ca.cert])
    values = report.as_dict()
    assert type(report.field_name) is str
    assert all(v is None or type(v) in (str, bool) for v in values.values())
    assert values["field_name"] is report.field_name
    assert list(values) == [f.name for f in fields(report)]
