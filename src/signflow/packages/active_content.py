"""The active-content policy of document uploads (SIGNFLOW_PDF_ACTIVE_CONTENT).

`strip` (default): the PDF is rewritten without its active content and the new file is
checked by intake again; a PDF that already carries signatures is refused instead, since
rewriting it would break them. `reject`: the upload is refused (400). `keep`: stored as
sent. What was found is recorded in the package history by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from signflow.config import Settings
from signflow.errors import InvalidPdf
from signflow.pdf import PdfInfo, inspect_pdf
from signflow.pdf.intake import strip_active_content

CODE = "pdf_active_content"


@dataclass(frozen=True)
class Policed:
    """The upload after the policy: `data` replaces it when the policy rewrote it."""

    info: PdfInfo
    data: bytes | None
    found: tuple[str, ...]
    policy: str

    @property
    def stripped(self) -> bool:
        return self.data is not None


async def apply_active_content_policy(
    settings: Settings, info: PdfInfo, source: bytes | Path
) -> Policed:
    """`info` is intake's verdict on `source` (the upload's bytes, or its spooled file)."""
    policy = settings.pdf_active_content
    found = info.active_content
    if not found or policy == "keep":
        return Policed(info=info, data=None, found=found, policy=policy)
    listed = ", ".join(found)
    if policy == "reject":
        raise InvalidPdf(
            f"The PDF contains active content ({listed}), which this server does not "
            "accept; remove it (for example by printing the document to PDF) and upload "
            "it again",
            code=CODE,
        )
    if info.has_signatures:
        raise InvalidPdf(
            f"The PDF is signed and contains active content ({listed}); removing it would "
            "break the signatures. Remove the active content before signing and upload "
            "the document again",
            code=CODE,
        )
    stripped = await strip_active_content(source)
    # The rewritten file is a new file: intake checks it like any upload, but for the
    # size cap (the rewrite writes no object streams, so it can grow past the upload).
    clean = await inspect_pdf(
        stripped.data,
        max_bytes=max(settings.max_upload_bytes, len(stripped.data)),
        max_pages=settings.max_pdf_pages,
    )
    if clean.active_content or clean.page_count != info.page_count:
        raise InvalidPdf(
            f"The PDF's active content ({listed}) could not be removed safely; remove it "
            "and upload the document again",
            code=CODE,
        )
    return Policed(info=clean, data=stripped.data, found=found, policy=policy)
