"""QR codes on a draft document: drawn into the PDF at once (a new version), so that
every copy, signed or not, carries them."""

from __future__ import annotations

import asyncio
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.errors import BadRequest
from signflow.models import VersionKind
from signflow.packages.access import Need, get_package
from signflow.packages.documents import add_version, get_document, require_draft
from signflow.pdf.qr import MAX_DATA, QrPlacement, draw_qr
from signflow.storage import BlobStore

TOLERANCE = 0.5


async def add_qr_code(
    session: AsyncSession,
    blobs: BlobStore,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    *,
    page_no: int,
    placement: QrPlacement,
    name: str | None,
    data: str,
) -> str:
    """Draw a QR code carrying `data` on the page; the code's name (given or made)."""
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    document = await get_document(session, access, document_id)
    if not data.strip():
        raise BadRequest("data cannot be empty")
    if len(data) > MAX_DATA:
        raise BadRequest(f"data must be at most {MAX_DATA} characters")
    if not 1 <= page_no <= document.page_count:
        raise BadRequest(f"page_no must be between 1 and {document.page_count}")
    width, height = document.pages[page_no - 1]
    if (
        placement.x < -TOLERANCE
        or placement.y < -TOLERANCE
        or placement.x + placement.width > width + TOLERANCE
        or placement.y + placement.height > height + TOLERANCE
    ):
        raise BadRequest(
            f"The QR code does not fit on page {page_no} ({width:g} x {height:g} points)"
        )
    field_name = name or f"QR_CODE_{secrets.token_hex(4).upper()}"
    pdf = await blobs.get(document.current_sha256)
    drawn = await asyncio.to_thread(draw_qr, pdf, data, placement)
    await add_version(session, blobs, document, drawn, VersionKind.QR_CODE)
    await record(
        session,
        package_id,
        "QR_CODE_ADDED",
        actor,
        {"document_id": document.id, "field_name": field_name, "page_no": page_no, "data": data},
    )
    return field_name
