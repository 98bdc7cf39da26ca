"""QR codes on a draft document: drawn into the PDF at once (a new version), so that
every copy, signed or not, carries them.

A code can be changed (moved, resized, renamed, given other data) while it is still the
document's newest change: it is then drawn again on the version before it. Once anything
else changed the PDF after it, the drawn code stays where it is.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.errors import BadRequest, Conflict, NotFound
from signflow.models import Document, DocumentVersion, HistoryEntry, VersionKind
from signflow.packages.access import Need, PackageAccess, get_package
from signflow.packages.documents import add_version, get_document, require_draft
from signflow.pdf.qr import MAX_DATA, QrPlacement, draw_qr
from signflow.storage import BlobStore

TOLERANCE = 0.5
QR_ADDED = "QR_CODE_ADDED"
QR_UPDATED = "QR_CODE_UPDATED"
QR_NOT_FOUND = "Field not found"


@dataclass(frozen=True)
class QrCode:
    name: str
    page_no: int
    placement: QrPlacement
    data: str


@dataclass(frozen=True)
class QrChange:
    """What an update sends; None keeps the code's current value."""

    name: str
    renamed_as: str | None = None
    page_no: int | None = None
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None
    data: str | None = None


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
    access, document = await _draft_document(session, principal, package_id, document_id)
    code = QrCode(name or f"QR_CODE_{secrets.token_hex(4).upper()}", page_no, placement, data)
    _check(document, code)
    await _draw(
        session,
        blobs,
        actor,
        access,
        document,
        code,
        await blobs.get(document.current_sha256),
        QR_ADDED,
    )
    return code.name


async def update_qr_code(
    session: AsyncSession,
    blobs: BlobStore,
    principal: Principal,
    actor: Actor,
    package_id: int,
    document_id: int,
    change: QrChange,
) -> str:
    """Draw the named code again with what `change` sends; its (new) name."""
    access, document = await _draft_document(session, principal, package_id, document_id)
    entry = await _latest_entry(session, access.package.id, document.id, change.name)
    if entry is None:
        raise NotFound(QR_NOT_FOUND, value=change.name)
    details = entry.details
    if details.get("version") != document.version_count:
        raise Conflict(
            f"The QR code '{change.name}' cannot be changed: the document changed after it "
            "was drawn (delete the document and upload it again)"
        )
    current = _stored_code(details)
    box = current.placement
    page_no = change.page_no if change.page_no is not None else current.page_no
    code = QrCode(
        change.renamed_as or current.name,
        page_no,
        replace(
            box,
            page_index=page_no - 1,
            x=box.x if change.x is None else change.x,
            y=box.y if change.y is None else change.y,
            width=box.width if change.width is None else change.width,
            height=box.height if change.height is None else change.height,
        ),
        current.data if change.data is None else change.data,
    )
    _check(document, code)
    before = await session.scalar(
        select(DocumentVersion.sha256).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.number == document.version_count - 1,
        )
    )
    assert before is not None  # a QR code is never a document's first version
    await _draw(
        session,
        blobs,
        actor,
        access,
        document,
        code,
        await blobs.get(before),
        QR_UPDATED,
        previous_name=current.name,
    )
    return code.name


async def _draft_document(
    session: AsyncSession, principal: Principal, package_id: int, document_id: int
) -> tuple[PackageAccess, Document]:
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    require_draft(access.package)
    return access, await get_document(session, access, document_id)


def _check(document: Document, code: QrCode) -> None:
    if not code.data.strip():
        raise BadRequest("data cannot be empty")
    if len(code.data) > MAX_DATA:
        raise BadRequest(f"data must be at most {MAX_DATA} characters")
    if not 1 <= code.page_no <= document.page_count:
        raise BadRequest(f"page_no must be between 1 and {document.page_count}")
    width, height = document.pages[code.page_no - 1]
    box = code.placement
    if box.width <= 0 or box.height <= 0:
        raise BadRequest("The QR code's width and height must be more than 0")
    if (
        box.x < -TOLERANCE
        or box.y < -TOLERANCE
        or box.x + box.width > width + TOLERANCE
        or box.y + box.height > height + TOLERANCE
    ):
        raise BadRequest(
            f"The QR code does not fit on page {code.page_no} ({width:g} x {height:g} points)"
        )


async def _draw(
    session: AsyncSession,
    blobs: BlobStore,
    actor: Actor,
    access: PackageAccess,
    document: Document,
    code: QrCode,
    pdf: bytes,
    action: str,
    *,
    previous_name: str | None = None,
) -> None:
    drawn = await asyncio.to_thread(draw_qr, pdf, code.data, code.placement)
    version = await add_version(session, blobs, document, drawn, VersionKind.QR_CODE)
    box = code.placement
    await record(
        session,
        access.package.id,
        action,
        actor,
        {
            "document_id": document.id,
            "field_name": code.name,
            "page_no": code.page_no,
            "data": code.data,
            "dimensions": {"x": box.x, "y": box.y, "width": box.width, "height": box.height},
            "version": version.number,
            **({"previous_name": previous_name} if previous_name is not None else {}),
        },
    )


async def _latest_entry(
    session: AsyncSession, package_id: int, document_id: int, name: str
) -> HistoryEntry | None:
    """The newest history entry that drew the named code on the document."""
    entries = await session.scalars(
        select(HistoryEntry)
        .where(
            HistoryEntry.package_id == package_id, HistoryEntry.action.in_((QR_ADDED, QR_UPDATED))
        )
        .order_by(HistoryEntry.sequence.desc())
    )
    renamed_away: set[str] = set()
    for entry in entries:
        details = entry.details
        if details.get("document_id") != document_id:
            continue
        if details.get("field_name") == name:
            return None if name in renamed_away else entry
        previous = details.get("previous_name")
        if isinstance(previous, str) and previous != details.get("field_name"):
            renamed_away.add(previous)
    return None


def _stored_code(details: dict[str, object]) -> QrCode:
    box = details["dimensions"]
    assert isinstance(box, dict)
    page_no = int(str(details["page_no"]))
    return QrCode(
        str(details["field_name"]),
        page_no,
        QrPlacement(
            page_no - 1, float(box["x"]), float(box["y"]), float(box["width"]), float(box["height"])
        ),
        str(details["data"]),
    )
