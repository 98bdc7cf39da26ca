"""Intake of a PDF spooled to a file: the same answers as from bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from signflow.errors import InvalidPdf, PayloadTooLarge
from signflow.pdf.intake import inspect_pdf, inspect_pdf_file
from signflow.pdf.probe import probe_pdf
from signflow.pdf.sandbox import Sandbox, SandboxLimits
from tests.pdf import builders
from tests.pdf.sandbox_jobs import pid

LIMITS = {"max_bytes": 25 * builders.MB, "max_pages": 500, "timeout_seconds": 5.0}


async def test_a_file_is_described_as_its_bytes_are(tmp_path: Path) -> None:
    data = builders.make_pdf()
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    from_file = await inspect_pdf_file(path, **LIMITS)
    assert from_file == await inspect_pdf(data, **LIMITS)
    assert from_file.sha256 == hashlib.sha256(data).hexdigest()
    assert probe_pdf(str(path), 500, 500_000) == from_file


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", InvalidPdf),
        (b"PK\x03\x04 not a pdf", InvalidPdf),
        (b"%PDF-1.7\n truncated", InvalidPdf),
    ],
)
async def test_a_bad_file_is_refused(tmp_path: Path, content: bytes, error: type) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(error):
        await inspect_pdf_file(path, **LIMITS)


async def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    path.write_bytes(builders.make_pdf())
    with pytest.raises(PayloadTooLarge):
        await inspect_pdf_file(path, **{**LIMITS, "max_bytes": 100})


def test_a_worker_over_its_memory_bound_is_replaced_after_the_job() -> None:
    sandbox = Sandbox(SandboxLimits(workers=1, recycle_rss_bytes=1))
    try:
        first = sandbox.run(pid)
        assert sandbox.run(pid) != first  # the first worker retired after its job
    finally:
        sandbox.close()
