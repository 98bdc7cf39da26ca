"""Seal the Process Evidence Report with the enterprise seal."""

from __future__ import annotations

from signflow.signing.signer import FastSigner, SignRequest

EVIDENCE_SEAL_FIELD = "SignflowEvidenceSeal"


def sign_evidence_report(pdf: bytes, seal: FastSigner) -> bytes:
    """Certify the report with no changes permitted: nothing may be added after the seal."""
    request = SignRequest(
        field_name=EVIDENCE_SEAL_FIELD,
        reason="Process evidence report",
        certify=1,
    )
    return seal.sign(pdf, request)
