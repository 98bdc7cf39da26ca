"""What the Process Evidence Report says, apart from how it is drawn (evidence_report.py):
gathering it needs none of the drawing's libraries (reportlab), which load on first use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PackageInfo:
    id: str
    name: str
    owner: str
    status: str
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class DocumentEvidence:
    name: str
    sha256_before: str
    sha256_after: str


@dataclass(frozen=True)
class SignatureEvidence:
    """One signature a recipient applied, as the completed document holds it."""

    document: str
    field: str
    signed_at: datetime | None
    certificate_serial: str | None
    certificate_subject: str | None
    image_png: bytes | None


@dataclass(frozen=True)
class RecipientEvidence:
    order: int
    name: str
    email: str
    role: str
    authentication: str
    action: str
    acted_at: datetime | None
    ip_address: str | None
    user_agent: str | None
    sent_at: datetime | None = None
    viewed_at: datetime | None = None
    consent_text: str | None = None
    """The consent text the recipient accepted; None when none was recorded."""
    signatures: Sequence[SignatureEvidence] = ()
    adoptions: Sequence[str] = ()
    """Each signature the recipient adopted in the signer pages: how, when, image digest."""


@dataclass(frozen=True)
class HistoryEvidence:
    id: int
    at: datetime
    action: str
    user: str
    ip_address: str | None
    details: str
    entry_hash: str


@dataclass(frozen=True)
class ValueEvidence:
    """A form value: what was entered, by whom, when, and the revision that holds it."""

    document: str
    field: str
    value: str
    by: str
    at: datetime
    revision: str


@dataclass(frozen=True)
class EvidenceData:
    package: PackageInfo
    documents: Sequence[DocumentEvidence]
    recipients: Sequence[RecipientEvidence]
    history: Sequence[HistoryEvidence]
    chain_head: str
    generated_at: datetime
    values: Sequence[ValueEvidence] = ()
