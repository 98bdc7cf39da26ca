"""Seal the Process Evidence Report with the enterprise seal, at the server's level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from signflow.signing.signer import FastSigner, SignatureLevel, SignRequest

EVIDENCE_SEAL_FIELD = "SignflowEvidenceSeal"


@dataclass(frozen=True)
class LevelInputs:
    """What a signature at the configured PAdES level needs, as documents get it
    (signing.service.sign_field): the TSA for B-T and up, validation data for B-LT."""

    level: SignatureLevel = "B-B"
    timestamp_url: str | None = None
    validation_certs: Sequence[x509.Certificate] = ()
    crls: Sequence[bytes] = ()
    trust_roots: Sequence[x509.Certificate] = ()


def sign_evidence_report(pdf: bytes, seal: FastSigner, level: LevelInputs | None = None) -> bytes:
    """Certify the report with no changes permitted: nothing may be added after the seal."""
    level = level or LevelInputs()
    request = SignRequest(
        field_name=EVIDENCE_SEAL_FIELD,
        reason="Process evidence report",
        certify=1,
        level=level.level,
        timestamp_url=level.timestamp_url,
        validation_certs=level.validation_certs,
        crls=level.crls,
        trust_roots=level.trust_roots,
    )
    return seal.sign(pdf, request)
