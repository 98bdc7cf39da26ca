# mypy: disable-error-code="no-untyped-call"
# (pyHanko's reader, writer and timestamper carry few annotations.)
"""B-LTA: document timestamps that keep a signed PDF verifiable after its certificates end.

An archive timestamp covers the whole file, the DSS with every signature's validation
data included. Before the newest one's certificate expires, another is added over it,
after fresh revocation data for the old one: a validator then walks back the chain,
each timestamp proving the data under it existed while it could still be checked.

One `add_archive_timestamp` call makes three incremental updates: the fresh validation
data of the newest archive timestamp (if any) and Signflow's fresh CRLs; the new
document timestamp; its own validation data, under its VRI entry.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signflow.errors import InvalidPdf, ServiceUnavailable
from signflow.signing.longterm import (
    KnownMaterial,
    VriEntry,
    add_to_dss,
    signature_contents,
    signed_data_validation_data,
)

_MD = "sha256"
# Room for the token (the TSA's chain included), in hex characters: as for signatures.
_RESERVED = 16384


@dataclass(frozen=True)
class ArchiveState:
    """What a document's archive timestamps say, read from its bytes."""

    signed: bool
    """Whether the document has any signature to keep verifiable."""
    newest_expires_at: datetime | None
    """When the certificate of the newest archive timestamp expires (None: no timestamp)."""
    count: int


def _reader(pdf: bytes) -> PdfFileReader:
    try:
        return PdfFileReader(BytesIO(pdf), strict=False)
    except (PdfError, ValueError) as exc:
        raise InvalidPdf(f"The document cannot be read: {exc}") from exc


def _newest(reader: PdfFileReader) -> EmbeddedPdfSignature | None:
    timestamps = reader.embedded_timestamp_signatures
    return max(timestamps, key=lambda t: t.signed_revision) if timestamps else None


def archive_state(pdf: bytes) -> ArchiveState:
    reader = _reader(pdf)
    newest = _newest(reader)
    expires = None
    if newest is not None:
        cert = extract_certificate_info(newest.signed_data).signer_cert
        expires = cert.not_valid_after
    return ArchiveState(
        signed=bool(reader.embedded_regular_signatures),
        newest_expires_at=expires,
        count=len(reader.embedded_timestamp_signatures),
    )


def _validation_entry(timestamp: EmbeddedPdfSignature, known: KnownMaterial) -> VriEntry:
    data = signed_data_validation_data(timestamp.signed_data, known)
    return signature_contents(timestamp.sig_object), data


def _stamp(pdf: bytes, url: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    stamper = PdfTimeStamper(HTTPTimeStamper(url))
    try:
        output = asyncio.run(
            stamper.async_timestamp_pdf(writer, _MD, bytes_reserved=_RESERVED, in_place=True)
        )
    except (TimestampRequestError, OSError) as exc:
        raise ServiceUnavailable("The timestamp authority did not answer") from exc
    return bytes(output.getvalue())


def add_archive_timestamp(pdf: bytes, url: str, known: KnownMaterial) -> bytes:
    """The document with fresh validation data and a new archive timestamp over it.

    Synchronous: network calls (the TSA, revocation data) run on their own event loop."""
    before = _newest(_reader(pdf))
    refresh: list[VriEntry] = [(None, known.as_validation_data())]
    if before is not None:
        refresh.append(_validation_entry(before, known))
    stamped = _stamp(add_to_dss(pdf, refresh), url)
    new = _newest(_reader(stamped))
    assert new is not None
    return add_to_dss(stamped, [_validation_entry(new, known)])
