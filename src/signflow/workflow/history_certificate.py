"""The certificate that made a signature in the history (SigningHub's "certificate saved
in workflow history"): read back from the signed version the entry names. Its key in the
path is the certificate's SHA-256 fingerprint, which the entry's details give."""

from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.signature_facts import certificate_der
from signflow.errors import NotFound
from signflow.models import HistoryEntry
from signflow.storage import BlobStore
from signflow.storage.base import BlobNotFound
from signflow.workflow.history import history_entry

CERTIFICATE_NOT_FOUND = "Certificate not found"
SIGNED_ACTION = "DOCUMENT_SIGNED"


async def entry_certificate(blobs: BlobStore, entry: HistoryEntry) -> bytes | None:
    """The DER certificate of a signing entry, or None (another action, or a version
    since erased by retention)."""
    sha256, field_name = entry.details.get("sha256"), entry.details.get("field_name")
    if entry.action != SIGNED_ACTION or not isinstance(sha256, str):
        return None
    if not isinstance(field_name, str):
        return None
    try:
        pdf = await blobs.get(sha256)
    except BlobNotFound:
        return None
    return await asyncio.to_thread(certificate_der, pdf, field_name)


def certificate_key(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


async def history_certificate(
    session: AsyncSession,
    blobs: BlobStore,
    principal: Principal,
    package_id: int,
    log_id: int,
    key: str,
) -> bytes:
    entry = await history_entry(session, principal, package_id, log_id)
    der = await entry_certificate(blobs, entry)
    if der is None or certificate_key(der) != key.strip().lower():
        raise NotFound(CERTIFICATE_NOT_FOUND)
    return der
