"""Files attached to a document travel inside its PDF, as embedded files."""

from __future__ import annotations

import hashlib
from io import BytesIO

from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from signflow.errors import InvalidPdf


def embed_attachment(pdf: bytes, *, file_name: str, data: bytes, mime_type: str) -> bytes:
    """The PDF with `data` embedded as `file_name`, in an incremental update."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        embedded = EmbeddedFileObject.from_file_data(writer, data, mime_type=mime_type)
        embed_file(
            writer,
            FileSpec(file_spec_string=file_name, file_name=file_name, embedded_data=embedded),
        )
        out = BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
    except PdfError as exc:
        raise InvalidPdf(f"The attachment cannot be added to the document: {exc}") from exc
    return out.getvalue()


def remove_attachment(pdf: bytes, sha256: str) -> bytes | None:
    """The PDF without the first embedded file whose content has `sha256`, in an
    incremental update (earlier revisions are kept, as every version of a document
    is), or None when no embedded file has that content."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except (KeyError, PdfError):
        return None
    for index in range(0, len(names) - 1, 2):
        try:
            content = names[index + 1]["/EF"]["/F"].data
        except (KeyError, TypeError, PdfError):
            continue
        if hashlib.sha256(content).hexdigest() == sha256:
            del names[index : index + 2]
            writer.update_container(names)
            out = BytesIO()
            writer.write(out)  # type: ignore[no-untyped-call]
            return out.getvalue()
    return None


def embedded_file_names(pdf: bytes) -> list[str]:
    """The names in the document's EmbeddedFiles name tree (its first level)."""
    root = PdfFileReader(BytesIO(pdf), strict=False).root
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return []
    return [str(names[index]) for index in range(0, len(names), 2)]


def embedded_files(pdf: bytes) -> list[tuple[str, bytes]]:
    """(name, content) of each file in the first level of the EmbeddedFiles tree."""
    root = PdfFileReader(BytesIO(pdf), strict=False).root
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return []
    found = []
    for index in range(0, len(names) - 1, 2):
        try:
            stream = names[index + 1]["/EF"]["/F"]
            found.append((str(names[index]), stream.data))
        except (KeyError, TypeError, PdfError):
            continue  # a malformed entry is not an attachment we can give back
    return found
