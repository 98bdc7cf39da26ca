"""Signed, expiring download links for a document version (used in notifications)."""

from __future__ import annotations

from dataclasses import dataclass

from signflow.config import Settings
from signflow.models import Document, Recipient, RecipientMember
from signflow.sealing import read_token, sign_token

LINK_PURPOSE = "signflow/document-link/v1"
RECIPIENT_LINK_PURPOSE = "signflow/recipient-link/v1"
RECIPIENT_LINK_TTL_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class LinkTarget:
    document_id: int
    sha256: str


def document_link(settings: Settings, document: Document) -> str:
    token = sign_token(
        settings.effective_secret_key,
        LINK_PURPOSE,
        {"d": document.id, "v": document.current_sha256},
        settings.download_link_ttl_seconds,
    )
    return f"{settings.base_url.rstrip('/')}/files/{token}"


def read_document_link(settings: Settings, token: str) -> LinkTarget:
    """The document version a link names; raises InvalidToken when forged or expired."""
    payload = read_token(settings.effective_secret_key, LINK_PURPOSE, token)
    return LinkTarget(document_id=int(payload["d"]), sha256=str(payload["v"]))


def recipient_link(settings: Settings, recipient: Recipient) -> str:
    """The link in a recipient's email that opens their signing pages."""
    token = sign_token(
        settings.effective_secret_key,
        RECIPIENT_LINK_PURPOSE,
        {"r": recipient.public_id},
        RECIPIENT_LINK_TTL_SECONDS,
    )
    return f"{settings.base_url.rstrip('/')}/sign/{token}"


def member_link(settings: Settings, member: RecipientMember) -> str:
    """The link in a group member's invitation: it opens the group's signing pages as
    that member, until another member takes the group's turn."""
    token = sign_token(
        settings.effective_secret_key,
        RECIPIENT_LINK_PURPOSE,
        {"r": member.public_id},
        RECIPIENT_LINK_TTL_SECONDS,
    )
    return f"{settings.base_url.rstrip('/')}/sign/{token}"
