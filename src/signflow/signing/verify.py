# mypy: disable-error-code="no-untyped-call"
# (pyHanko's reader and validation API carry few annotations.)
"""Validate every signature of a PDF against given trust roots, offline.

signature_status is one of:
    VALID      intact, cryptographically valid, chains to a trust root, no
               disallowed change after it, and its timestamp (if any) checks out
    MODIFIED   the signature itself is sound but the document was later changed
               in a way its permissions do not allow
    UNTRUSTED  intact and valid, but the certificate (or the timestamp's) does not
               chain to a given trust root, or is revoked or expired
    INVALID    the signed bytes or the signature value do not match

signature_type is the level the file really has, never what it was asked to have:
    PADES_BASELINE_B    no signature timestamp
    PADES_BASELINE_T    a timestamp that is intact and matches the signature
    PADES_BASELINE_LT   and the document's DSS alone carries the chains of the signer
                        and of the timestamp authority up to a trust root, with
                        revocation data for each certificate, valid at the timestamp's
                        time (`ltv` is true from this level on)
    PADES_BASELINE_LTA  and a document timestamp after it that is proven: the newest
                        valid now, each older one at the time of the next one
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, Literal, TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError

from signflow.errors import InvalidPdf

SignatureStatusName = Literal["VALID", "MODIFIED", "UNTRUSTED", "INVALID"]
SignatureType = Literal[
    "PADES_BASELINE_B", "PADES_BASELINE_T", "PADES_BASELINE_LT", "PADES_BASELINE_LTA"
]
TrustRoot = bytes | x509.Certificate
"""DER or a parsed certificate (asn1crypto certificates are accepted as well)."""


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str | None
    signature_status: SignatureStatusName
    signing_reason: str | None
    signing_location: str | None
    signing_time: str | None
    ltv: bool
    certified: bool
    timestamp_at: str | None
    timestamp_authority: str | None
    subject_dn: str | None
    issuer_dn: str | None
    cert_valid_from: str | None
    cert_valid_to: str | None
    signature_type: SignatureType
    modified_after_signing: bool
    covers_whole_file: bool

    def as_dict(self) -> dict[str, object]:
        """A shallow dict of the fields (`dataclasses.asdict` deep-copies every value)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class _EmbeddedValidationData:
    certs: list[asn1_x509.Certificate]
    crls: list[asn1_crl.CertificateList]
    ocsps: list[asn1_ocsp.OCSPResponse]

    @property
    def has_revocation_info(self) -> bool:
        return bool(self.crls or self.ocsps)


def _asn1_root(root: TrustRoot) -> asn1_x509.Certificate:
    if isinstance(root, asn1_x509.Certificate):
        return root
    if isinstance(root, x509.Certificate):
        return asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
    return asn1_x509.Certificate.load(bytes(root))


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(sig: EmbeddedPdfSignature, key: str) -> str | None:
    value = sig.sig_object.get(key)
    return str(value) if value is not None else None


def _read_validation_data(reader: PdfFileReader) -> _EmbeddedValidationData:
    dss = reader.root.get("/DSS")
    if dss is None:
        return _EmbeddedValidationData([], [], [])
    dss = dss.get_object()

    def streams(key: str) -> list[bytes]:
        refs = dss.get(key, generic.ArrayObject())
        return [ref.get_object().data for ref in refs.get_object()]

    return _EmbeddedValidationData(
        certs=[asn1_x509.Certificate.load(d) for d in streams("/Certs")],
        crls=[asn1_crl.CertificateList.load(d) for d in streams("/CRLs")],
        ocsps=[asn1_ocsp.OCSPResponse.load(d) for d in streams("/OCSPs")],
    )


def _context(
    roots: list[asn1_x509.Certificate],
    data: _EmbeddedValidationData,
    *,
    moment: datetime | None = None,
    strict: bool = False,
) -> ValidationContext:
    """Offline: only the trust roots and what the document embeds. `strict` demands
    revocation data for every certificate below a root (what B-LT promises); `moment`
    is when the certificates must have been valid (None: now)."""
    return ValidationContext(
        trust_roots=roots,
        other_certs=data.certs,
        crls=data.crls,
        ocsps=data.ocsps,
        allow_fetching=False,
        revocation_mode="require" if strict else "soft-fail",
        moment=moment,
        retroactive_revinfo=moment is not None,
    )


def _status_name(status: PdfSignatureStatus, modified: bool) -> SignatureStatusName:
    ts = status.timestamp_validity
    if not (status.intact and status.valid) or (ts is not None and not (ts.intact and ts.valid)):
        return "INVALID"
    if modified:
        return "MODIFIED"
    if not status.trusted or (ts is not None and not ts.trusted):
        return "UNTRUSTED"
    return "VALID"


def _signature_type(timestamped: bool, ltv: bool, archived: bool) -> SignatureType:
    if timestamped and ltv and archived:
        return "PADES_BASELINE_LTA"
    if timestamped and ltv:
        return "PADES_BASELINE_LT"
    if timestamped:
        return "PADES_BASELINE_T"
    return "PADES_BASELINE_B"


def _cert_fields(cert: asn1_x509.Certificate) -> dict[str, Any]:
    parsed = x509.load_der_x509_certificate(cert.dump())
    return {
        "subject_dn": parsed.subject.rfc4514_string(),
        "issuer_dn": parsed.issuer.rfc4514_string(),
        "cert_valid_from": _iso(parsed.not_valid_before_utc),
        "cert_valid_to": _iso(parsed.not_valid_after_utc),
        "signer_name": cert.subject.native.get("common_name"),
    }


@dataclass(frozen=True)
class _ArchiveTimestamp:
    """A document timestamp proven valid: at now (the newest), or at the time of the
    next proven one (each older one, with the revocation data the document embeds)."""

    revision: int
    at: datetime


async def _archive_chain(
    timestamps: Sequence[EmbeddedPdfSignature],
    roots: list[asn1_x509.Certificate],
    data: _EmbeddedValidationData,
) -> list[_ArchiveTimestamp]:
    proven: list[_ArchiveTimestamp] = []
    moment: datetime | None = None
    for timestamp in sorted(timestamps, key=lambda t: t.signed_revision, reverse=True):
        context = _context(roots, data, moment=moment, strict=moment is not None)
        try:
            status = await async_validate_pdf_timestamp(
                timestamp, validation_context=context, skip_diff=True
            )
        except (SignatureValidationError, ValueError):
            break
        if not (status.intact and status.valid and status.trusted):
            break
        proven.append(_ArchiveTimestamp(timestamp.signed_revision, status.timestamp))
        moment = status.timestamp
    return proven


def _claimed_timestamp_time(sig: EmbeddedPdfSignature) -> datetime | None:
    """The time the signature's timestamp token states (checked when the token is)."""
    for token in extract_tst_data_iter(sig.signer_info, signed=False):
        gen_time: datetime = token["encap_content_info"]["content"].parsed["gen_time"].native
        return gen_time
    return None


async def _chain_complete(
    cert: asn1_x509.Certificate,
    roots: list[asn1_x509.Certificate],
    data: _EmbeddedValidationData,
    moment: datetime,
) -> bool:
    """Whether the document alone (its DSS) carries the chain of `cert` up to a trust root
    and revocation data for each certificate of it, valid at `moment`."""
    context = _context(roots, data, moment=moment, strict=True)
    try:
        await CertificateValidator(cert, validation_context=context).async_validate_usage(set())
    except (PathError, ValidationError):
        return False
    return True


async def _report(
    sig: EmbeddedPdfSignature,
    roots: list[asn1_x509.Certificate],
    data: _EmbeddedValidationData,
    archive: list[_ArchiveTimestamp],
) -> SignatureReport:
    # Proven archive timestamps after the signature: the oldest of them is when the
    # signature's timestamp (and the data to check it) is known to have existed.
    later = [a.at for a in archive if a.revision > sig.signed_revision]
    archived_at = min(later) if later else None
    try:
        signing_time = _claimed_timestamp_time(sig)
        status = await async_validate_pdf_signature(
            sig,
            signer_validation_context=_context(roots, data, moment=signing_time),
            ts_validation_context=_context(roots, data, moment=archived_at),
        )
    except (SignatureValidationError, ValueError):
        # A signature container damaged after signing is a broken signature, not an
        # error of the request that asked about it.
        return _broken_report(sig)
    modified = status.docmdp_ok is False
    ts = status.timestamp_validity
    ltv = (
        ts is not None
        and ts.intact
        and ts.valid
        and await _chain_complete(status.signing_cert, roots, data, ts.timestamp)
        and await _chain_complete(ts.signing_cert, roots, data, ts.timestamp)
    )
    fields = _cert_fields(status.signing_cert)
    return SignatureReport(
        field_name=str(sig.field_name),
        signer_name=fields.pop("signer_name") or _text(sig, "/Name"),
        signature_status=_status_name(status, modified),
        signing_reason=_text(sig, "/Reason"),
        signing_location=_text(sig, "/Location"),
        signing_time=_iso(status.signer_reported_dt),
        ltv=ltv,
        certified=sig.docmdp_level is not None,
        timestamp_at=_iso(ts.timestamp) if ts is not None else None,
        timestamp_authority=ts.signing_cert.subject.human_friendly if ts is not None else None,
        signature_type=_signature_type(ts is not None, ltv, archived_at is not None),
        modified_after_signing=modified,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        **fields,
    )


T = TypeVar("T")


def _safely(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except (ValueError, KeyError):
        return None


def _broken_report(sig: EmbeddedPdfSignature) -> SignatureReport:
    return _invalid_report(
        str(sig.field_name),
        signer_name=_text(sig, "/Name"),
        reason=_text(sig, "/Reason"),
        location=_text(sig, "/Location"),
        signing_time=_safely(lambda: _iso(sig.self_reported_timestamp)),
        certified=bool(_safely(lambda: sig.docmdp_level is not None)),
    )


def _invalid_report(
    field_name: str,
    *,
    signer_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    signing_time: str | None = None,
    certified: bool = False,
) -> SignatureReport:
    return SignatureReport(
        field_name=field_name,
        signer_name=signer_name,
        signature_status="INVALID",
        signing_reason=reason,
        signing_location=location,
        signing_time=signing_time,
        ltv=False,
        certified=certified,
        timestamp_at=None,
        timestamp_authority=None,
        subject_dn=None,
        issuer_dn=None,
        cert_valid_from=None,
        cert_valid_to=None,
        signature_type="PADES_BASELINE_B",
        modified_after_signing=False,
        covers_whole_file=False,
    )


def verify_pdf(pdf: bytes, trust_roots: Sequence[TrustRoot]) -> list[SignatureReport]:
    """One report per signature field, in the order the signatures were applied.

    Synchronous and CPU-bound: call it in a thread (it runs its own event loop)."""
    roots = [_asn1_root(r) for r in trust_roots]
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
    except (PdfError, ValueError) as exc:
        raise InvalidPdf(f"The document cannot be read: {exc}") from exc
    try:
        signatures = list(reader.embedded_regular_signatures)
        timestamps = list(reader.embedded_timestamp_signatures)
        data = _read_validation_data(reader)
    except (PdfError, ValueError):
        # A signature container damaged after signing: every signed field is broken.
        return _unreadable_reports(reader)
    return asyncio.run(_verify(signatures, timestamps, roots, data))


async def _verify(
    signatures: Sequence[EmbeddedPdfSignature],
    timestamps: Sequence[EmbeddedPdfSignature],
    roots: list[asn1_x509.Certificate],
    data: _EmbeddedValidationData,
) -> list[SignatureReport]:
    archive = await _archive_chain(timestamps, roots, data)
    return [await _report(sig, roots, data, archive) for sig in signatures]


def _unreadable_reports(reader: PdfFileReader) -> list[SignatureReport]:
    try:
        names = [name for name, _, _ in enumerate_sig_fields(reader, filled_status=True)]
    except (PdfError, ValueError) as exc:
        raise InvalidPdf(f"The signatures cannot be read: {exc}") from exc
    return [_invalid_report(name) for name in names]


async def verify_pdf_async(pdf: bytes, trust_roots: Sequence[TrustRoot]) -> list[SignatureReport]:
    """verify_pdf off the event loop (pyHanko runs its own loop inside)."""
    return await asyncio.to_thread(verify_pdf, pdf, trust_roots)
