# mypy: disable-error-code="no-untyped-call"
# (pyHanko's DSS and certvalidator APIs carry few annotations.)
"""Validation data for B-LT and B-LTA: what a validator needs to check a signature offline.

For Signflow's own certificates the caller knows everything (the enterprise CA and its
CRL). For a timestamp token the authority's chain and revocation data are gathered here:
the chain from the token, the configured trust roots and any root the token carries;
the CRLs and OCSP responses its certificates name are fetched from the network (this is
the only moment Signflow goes online for them). The result goes into the document's DSS,
with a VRI entry for the signature it belongs to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TypeVar

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from signflow.errors import ServiceUnavailable
from signflow.signing.cms import to_asn1_cert

FETCH_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ValidationData:
    certs: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = ()

    def __add__(self, other: ValidationData) -> ValidationData:
        return ValidationData(
            self.certs + other.certs, self.crls + other.crls, self.ocsps + other.ocsps
        )


@dataclass(frozen=True)
class KnownMaterial:
    """What Signflow holds without asking anyone: trust roots, its CA chain and its CRLs."""

    trust_roots: Sequence[x509.Certificate] = ()
    certs: Sequence[x509.Certificate] = ()
    crls: Sequence[bytes] = ()

    def as_validation_data(self) -> ValidationData:
        return ValidationData(
            certs=tuple(to_asn1_cert(c) for c in self.certs),
            crls=tuple(asn1_crl.CertificateList.load(c) for c in self.crls),
        )


def _self_signed(cert: asn1_x509.Certificate) -> bool:
    return bool(cert.self_signed in ("yes", "maybe"))


async def _timestamp_data(signed_data: cms.SignedData, known: KnownMaterial) -> ValidationData:
    info = extract_certificate_info(signed_data)
    token_certs = [info.signer_cert, *info.other_certs]
    roots = [to_asn1_cert(c) for c in known.trust_roots]
    roots += [c for c in token_certs if _self_signed(c)]
    fetchers = AIOHttpFetcherBackend(per_request_timeout=FETCH_TIMEOUT_SECONDS)
    context = ValidationContext(
        trust_roots=roots,
        other_certs=[*token_certs, *(to_asn1_cert(c) for c in known.certs)],
        crls=list(known.crls),
        allow_fetching=True,
        revocation_mode="require",
        fetcher_backend=fetchers,
    )
    try:
        validator = CertificateValidator(
            info.signer_cert, intermediate_certs=info.other_certs, validation_context=context
        )
        path = await validator.async_validate_usage(key_usage=set())
    except (PathBuildingError, PathValidationError) as exc:
        raise ServiceUnavailable(
            "The timestamp authority's certificate chain or revocation data cannot be"
            f" gathered ({exc}); put its root in SIGNFLOW_TRUST_ROOTS"
        ) from exc
    finally:
        await fetchers.close()
    return ValidationData(certs=tuple(path), crls=tuple(context.crls), ocsps=tuple(context.ocsps))


def timestamp_validation_data(token: bytes, known: KnownMaterial) -> ValidationData:
    """The chain and revocation data of the authority that signed this token (DER
    ContentInfo), fetched where the certificates say. Runs its own event loop."""
    return signed_data_validation_data(cms.ContentInfo.load(token)["content"], known)


def signed_data_validation_data(
    signed_data: cms.SignedData, known: KnownMaterial
) -> ValidationData:
    """As `timestamp_validation_data`, for a token's SignedData."""
    return asyncio.run(_timestamp_data(signed_data, known))


VriEntry = tuple[bytes | None, ValidationData]
"""Validation data and the /Contents bytes of the signature its VRI entry is for."""


def add_to_dss(pdf: bytes, entries: Iterable[VriEntry]) -> bytes:
    """One incremental update adding each entry's data to the DSS, under a VRI entry
    for the signature whose /Contents bytes are given (None: no VRI entry)."""
    out = BytesIO(pdf)
    writer = IncrementalPdfFileWriter(out, strict=False)
    for contents, data in entries:
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            contents,
            certs=list(_unique(data.certs)),
            crls=list(_unique(data.crls)),
            ocsps=list(_unique(data.ocsps)),
        )
    writer.write_in_place()
    return out.getvalue()


_Asn1 = TypeVar("_Asn1", asn1_x509.Certificate, asn1_crl.CertificateList, asn1_ocsp.OCSPResponse)


def _unique(items: Iterable[_Asn1]) -> Iterable[_Asn1]:
    seen: set[bytes] = set()
    for item in items:
        der = item.dump()
        if der not in seen:
            seen.add(der)
            yield item


def signature_contents(sig_object: generic.DictionaryObject) -> bytes:
    """The raw /Contents bytes of a signature dictionary (padding included)."""
    value = sig_object.raw_get("/Contents")
    return bytes(value.get_object() if isinstance(value, generic.IndirectObject) else value)
