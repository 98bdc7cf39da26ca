"""Reading a package's content: document bytes, the package file (PDF or ZIP), page images."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.db import dialect_insert, utcnow
from signflow.errors import BadRequest, NotFound
from signflow.models import Attachment, Document, Package, RenderedPage
from signflow.packages.documents import list_documents
from signflow.pdf import render_page_png_async
from signflow.pdf.attachments import embedded_files
from signflow.retention.policy import require_content, require_document_content
from signflow.storage import BlobStore

# Named resolutions some clients send instead of a number of dots per inch.
NAMED_RESOLUTIONS = {"low": 50, "mobile": 72, "default": 96, "medium": 96, "high": 150}


@dataclass(frozen=True)
class PackageFile:
    file_name: str
    data: bytes
    is_zip: bool


def parse_resolution(value: str) -> int:
    named = NAMED_RESOLUTIONS.get(value.strip().lower())
    if named is not None:
        return named
    if not value.isdigit():
        raise BadRequest(
            f"resolution must be dots per inch (e.g. 96) or one of {sorted(NAMED_RESOLUTIONS)}"
        )
    return int(value)


async def document_bytes(blobs: BlobStore, document: Document) -> bytes:
    """The document's current bytes; ContentPurged (410) once retention removed them."""
    require_document_content(document)
    return await blobs.get(document.current_sha256)


async def package_file(session: AsyncSession, blobs: BlobStore, package: Package) -> PackageFile:
    require_content(package)
    documents = await list_documents(session, package.id)
    if not documents:
        raise NotFound("The package has no documents")
    if len(documents) == 1:
        only = documents[0]
        return PackageFile(only.name, await document_bytes(blobs, only), is_zip=False)
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            # Dated by the document's last change, not the clock: the same package always
            # gives the same archive, whichever second it is downloaded in.
            entry = zipfile.ZipInfo(
                _unique_name(document.name, used), _zip_time(document.modified_at)
            )
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, await document_bytes(blobs, document))
    return PackageFile(f"{package.name}.zip", buffer.getvalue(), is_zip=True)


def _zip_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    # ZIP holds years 1980 to 2107 only.
    year = min(max(moment.year, 1980), 2107)
    return (year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _unique_name(name: str, used: set[str]) -> str:
    base, dot, extension = name.rpartition(".")
    if not dot:
        base, extension = name, ""
    candidate, counter = name, 2
    while candidate.lower() in used:
        candidate = f"{base} ({counter}).{extension}" if extension else f"{base} ({counter})"
        counter += 1
    used.add(candidate.lower())
    return candidate


async def page_image(
    session: AsyncSession, blobs: BlobStore, document: Document, page_no: int, resolution: int
) -> bytes:
    """A page as PNG, rendered once per document version, page and resolution."""
    return await blobs.get(await page_image_sha256(session, blobs, document, page_no, resolution))


async def page_image_sha256(
    session: AsyncSession, blobs: BlobStore, document: Document, page_no: int, resolution: int
) -> str:
    """The SHA-256 of a page's PNG (rendered now if it was not yet): it names what the page
    looks like in this version, so it changes only when the page does."""
    require_document_content(document)
    if not 1 <= page_no <= document.page_count:
        raise NotFound("Page not found", value=str(page_no))
    key = (document.current_sha256, page_no, resolution)
    cached = await session.get(RenderedPage, key)
    if cached is not None and await blobs.exists(cached.image_sha256):
        return cached.image_sha256
    image = await render_page_png_async(
        await document_bytes(blobs, document), page_no - 1, resolution
    )
    image_sha256 = await blobs.put(image)
    # Two requests may render the same page at once: the first row wins, both are right.
    insert = dialect_insert(session)
    await session.execute(
        insert(RenderedPage)
        .values(
            document_sha256=document.current_sha256,
            page_no=page_no,
            resolution=resolution,
            image_sha256=image_sha256,
            created_at=utcnow(),
        )
        .on_conflict_do_update(
            index_elements=["document_sha256", "page_no", "resolution"],
            set_={"image_sha256": image_sha256},
        )
    )
    return image_sha256


ATTACHMENT_NOT_FOUND = "Attachment not found"


async def attachment_file(
    session: AsyncSession, blobs: BlobStore, document: Document, attachment_id: int
) -> tuple[Attachment, bytes]:
    """An attachment of the document and its bytes, read back from the PDF it travels in
    (the entry whose content has the attachment's recorded SHA-256)."""
    attachment = await session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.document_id == document.id
        )
    )
    if attachment is None:
        raise NotFound(ATTACHMENT_NOT_FOUND)
    pdf = await document_bytes(blobs, document)
    for _name, data in await asyncio.to_thread(embedded_files, pdf):
        if hashlib.sha256(data).hexdigest() == attachment.sha256:
            return attachment, data
    raise NotFound(ATTACHMENT_NOT_FOUND)
