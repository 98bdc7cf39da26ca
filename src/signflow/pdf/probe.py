"""The checks behind PDF intake. Runs inside a sandboxed worker process (see sandbox.py).

Everything here treats the input as hostile: pyHanko decodes streams under its
decode limits, and every walk keeps a visited set so reference loops end.
Refusals come back as a Refusal value, not an exception, so they cross the
process boundary as plain data.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodeLimits, StreamDecodeLimits
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from signflow.pdf.active_content import find_active_content, remove_active_content

MAX_TREE_DEPTH = 64
# pyHanko allocates the whole cap up front, so it must fit well inside the worker's memory limit.
MAX_STREAM_BYTES = 128 * 1024 * 1024
DECODE_LIMITS = DecodeLimits(per_stream=StreamDecodeLimits(max_output_size=MAX_STREAM_BYTES))
TAIL_WINDOW = 4096


@dataclass(frozen=True, slots=True)
class PdfInfo:
    """What intake learned about an accepted PDF. Page sizes are in points, as displayed."""

    page_count: int
    pages: tuple[tuple[float, float], ...]
    sha256: str
    size: int
    has_signatures: bool
    has_form_fields: bool
    # Kinds of active content found (see active_content.py), sorted; empty when none.
    active_content: tuple[str, ...] = ()


class RefusalKind(Enum):
    INVALID = "invalid"
    TOO_LARGE = "too_large"


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: RefusalKind
    message: str


class _Refused(Exception):
    def __init__(self, message: str, kind: RefusalKind = RefusalKind.INVALID) -> None:
        super().__init__(message)
        self.refusal = Refusal(kind, message)


ENCRYPTED_MESSAGE = (
    "Encrypted PDF documents are not accepted; remove the password or encryption "
    "and upload the document again"
)
TOO_COMPLEX_MESSAGE = "The PDF is too complex to process safely"


def probe_pdf(data: bytes | str, max_pages: int, max_objects: int) -> PdfInfo | Refusal:
    """Inspect a PDF that already passed the cheap checks (size, header). Never raises.

    `data` is the file's bytes, or the path of a file holding them: then the parsers read
    it from disk as they need it, and it never crosses the process boundary whole."""
    try:
        if isinstance(data, str):
            with open(data, "rb") as file:
                return _probe(_Source(file, data), max_pages, max_objects)
        return _probe(_Source(io.BytesIO(data), data), max_pages, max_objects)
    except _Refused as refused:
        return refused.refusal
    except PdfDecodeLimitError:
        return Refusal(RefusalKind.INVALID, _bomb_message())
    except (RecursionError, MemoryError):
        return Refusal(RefusalKind.INVALID, TOO_COMPLEX_MESSAGE)
    except Exception as exc:
        # Parsers fail on hostile input in many ways (PdfError, PdfiumError, TypeError...);
        # each is a damaged upload, never a server fault.
        return Refusal(RefusalKind.INVALID, f"The PDF is damaged and cannot be read ({exc})")


def _bomb_message() -> str:
    return (
        "The PDF contains a compressed stream that expands beyond safe limits "
        "(a possible decompression bomb); it was refused"
    )


@dataclass(frozen=True, slots=True)
class _Source:
    """The PDF as a seekable file (for pyHanko), and as bytes or a path (for PDFium)."""

    file: BinaryIO
    pdfium_input: bytes | str

    def size(self) -> int:
        return self.file.seek(0, io.SEEK_END)

    def read_at(self, offset: int, length: int) -> bytes:
        self.file.seek(max(0, offset))
        return self.file.read(length)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        self.file.seek(0)
        while chunk := self.file.read(1024 * 1024):
            digest.update(chunk)
        return digest.hexdigest()


def _probe(source: _Source, max_pages: int, max_objects: int) -> PdfInfo:
    _check_object_count(_declared_object_count(source), max_objects)
    reader = _open_pyhanko(source.file)
    _check_object_count(_count_objects(reader), max_objects)
    pages = _walk_page_tree(reader, max_pages)
    pdf = _open_pdfium(source.pdfium_input)
    try:
        page_count = len(pdf)
        if page_count > max_pages:
            raise _Refused(
                f"The PDF has {page_count} pages; at most {max_pages} are accepted",
                RefusalKind.TOO_LARGE,
            )
        if page_count == 0:
            raise _Refused("The PDF has no pages")
        sizes = tuple(_page_size(pdf, index) for index in range(page_count))
    finally:
        pdf.close()
    if len(pages) != page_count:
        raise _Refused(
            f"The PDF's page tree is inconsistent (PDFium reads {page_count} pages, "
            f"pyHanko {len(pages)}); repair it by re-saving or printing it to PDF"
        )
    _decode_page_streams(pages)
    has_fields, has_signatures = _form_fields(reader)
    return PdfInfo(
        page_count=page_count,
        pages=sizes,
        sha256=source.sha256(),
        size=source.size(),
        has_signatures=has_signatures,
        has_form_fields=has_fields,
        active_content=find_active_content(_catalog(reader)),
    )


@dataclass(frozen=True, slots=True)
class Stripped:
    """A PDF rewritten without its active content: what was removed, and the new file."""

    removed: tuple[str, ...]
    data: bytes


def strip_pdf(data: bytes | str) -> Stripped | Refusal:
    """Remove the active content of a PDF that passed probe_pdf, writing the objects still
    reachable into a new file (so what was removed is gone from the bytes, earlier
    revisions included). Never raises; the result must be probed again."""
    try:
        if isinstance(data, str):
            with open(data, "rb") as file:
                return _strip(file)
        return _strip(io.BytesIO(data))
    except _Refused as refused:
        return refused.refusal
    except PdfDecodeLimitError:
        return Refusal(RefusalKind.INVALID, _bomb_message())
    except (RecursionError, MemoryError):
        return Refusal(RefusalKind.INVALID, TOO_COMPLEX_MESSAGE)
    except Exception as exc:
        return Refusal(
            RefusalKind.INVALID,
            f"The PDF's active content could not be removed; the file is damaged ({exc})",
        )


def _strip(file: BinaryIO) -> Stripped:
    reader = _open_pyhanko(file)
    removed = remove_active_content(_catalog(reader))
    out = io.BytesIO()
    copy_into_new_writer(reader).write(out)  # type: ignore[no-untyped-call]
    return Stripped(removed=removed, data=out.getvalue())


def _resolve(obj: generic.PdfObject) -> generic.PdfObject:
    value: generic.PdfObject = obj.get_object()  # type: ignore[no-untyped-call]
    return value


def _catalog(reader: PdfFileReader) -> generic.DictionaryObject:
    root = _resolve(reader.root)
    if not isinstance(root, generic.DictionaryObject):
        raise _Refused("The PDF's document catalog is not a dictionary")
    return root


def _open_pyhanko(file: BinaryIO) -> PdfFileReader:
    try:
        file.seek(0)
        reader = PdfFileReader(file, strict=False, decode_limits=DECODE_LIMITS)
    except PdfDecodeLimitError:
        raise
    except (PdfError, ValueError, IndexError, KeyError) as exc:
        raise _Refused(
            f"The PDF's cross-reference table or trailer cannot be read ({exc}); "
            "the file is damaged or incomplete"
        ) from exc
    if reader.encrypted:
        raise _Refused(ENCRYPTED_MESSAGE)
    return reader


def _check_object_count(count: int, max_objects: int) -> None:
    if count > max_objects:
        raise _Refused(
            f"The PDF has {count} objects; at most {max_objects} are accepted",
            RefusalKind.TOO_LARGE,
        )


def _declared_object_count(source: _Source) -> int:
    """The last /Size the file declares, found without parsing (0 if not found).

    Lets a file that announces millions of objects be refused before any
    cross-reference parsing; a file that lies is still bounded by the sandbox.
    """
    tail = source.read_at(source.size() - TAIL_WINDOW, TAIL_WINDOW)
    sizes = [int(m) for m in re.findall(rb"/Size\s+(\d{1,12})", tail)]
    found = re.findall(rb"startxref\s+(\d{1,12})", tail)
    if found:
        start = int(found[-1])
        sizes += [
            int(m) for m in re.findall(rb"/Size\s+(\d{1,12})", source.read_at(start, TAIL_WINDOW))
        ]
    return max(sizes, default=0)


def _count_objects(reader: PdfFileReader) -> int:
    return max(
        (
            len(reader.xrefs.explicit_refs_in_revision(rev))
            for rev in range(reader.xrefs.total_revisions)
        ),
        default=0,
    )


def _open_pdfium(data: bytes | str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise _Refused(ENCRYPTED_MESSAGE) from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise _Refused(ENCRYPTED_MESSAGE) from exc
        raise _Refused(f"PDFium cannot open the PDF ({exc}); the file is damaged") from exc


def _page_size(pdf: pdfium.PdfDocument, index: int) -> tuple[float, float]:
    width, height = pdf.get_page_size(index)
    return (round(float(width), 3), round(float(height), 3))


def _walk_page_tree(reader: PdfFileReader, max_pages: int) -> list[generic.DictionaryObject]:
    """The leaf pages in order; refuses loops, shared nodes, absurd depth and too many pages."""
    root = _catalog(reader)
    pages_ref = root.raw_get("/Pages")
    pages: list[generic.DictionaryObject] = []
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[generic.PdfObject, int]] = [(pages_ref, 0)]
    while stack:
        node_ref, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise _Refused("The PDF's page tree is nested too deeply")
        if isinstance(node_ref, generic.IndirectObject):
            key = (node_ref.idnum, node_ref.generation)
            if key in seen:
                raise _Refused("The PDF's page tree contains a reference loop")
            seen.add(key)
        node = _resolve(node_ref)
        if not isinstance(node, generic.DictionaryObject):
            raise _Refused("The PDF's page tree contains a node that is not a dictionary")
        kids = node.raw_get("/Kids") if "/Kids" in node else None
        if kids is None:
            pages.append(node)
            if len(pages) > max_pages:
                raise _Refused(
                    f"The PDF has more than {max_pages} pages; at most {max_pages} are accepted",
                    RefusalKind.TOO_LARGE,
                )
            continue
        kids = _resolve(kids)
        if not isinstance(kids, generic.ArrayObject):
            raise _Refused("The PDF's page tree has a /Kids entry that is not an array")
        stack.extend((kid, depth + 1) for kid in reversed(kids))
    return pages


def _decode_page_streams(pages: list[generic.DictionaryObject]) -> None:
    """Decode what a viewer decodes to show each page, so bombs surface here, under limits."""
    seen: set[tuple[int, int]] = set()
    for page in pages:
        for stream in _page_streams(page, seen):
            _decode(stream)


def _page_streams(
    page: generic.DictionaryObject, seen: set[tuple[int, int]]
) -> Iterator[generic.StreamObject]:
    pending: list[tuple[generic.PdfObject, int]] = []
    if "/Contents" in page:
        pending.append((page.raw_get("/Contents"), 0))
    if "/Resources" in page:
        pending.append((page.raw_get("/Resources"), 0))
    if "/Annots" in page:
        pending.append((page.raw_get("/Annots"), 0))
    while pending:
        obj, depth = pending.pop()
        if depth > MAX_TREE_DEPTH:
            raise _Refused("The PDF's page resources are nested too deeply")
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
        value = _resolve(obj)
        if isinstance(value, generic.StreamObject):
            yield value
            if "/Resources" in value:
                pending.append((value.raw_get("/Resources"), depth + 1))
        elif isinstance(value, generic.ArrayObject):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, generic.DictionaryObject):
            pending.extend(
                (value.raw_get(key), depth + 1)
                for key in value
                if key not in ("/Parent", "/P", "/Font", "/ColorSpace", "/Dest", "/A")
            )


def _decode(stream: generic.StreamObject) -> None:
    try:
        _ = stream.data
    except PdfDecodeLimitError:
        raise
    except (NotImplementedError, PdfError, ValueError):
        # Image codecs (DCT, JPX, CCITT...) and broken streams are PDFium's business.
        return


def _form_fields(reader: PdfFileReader) -> tuple[bool, bool]:
    """(has form fields, has a filled signature field), walking /AcroForm with a visited set."""
    root = _catalog(reader)
    if "/AcroForm" not in root:
        return False, False
    form = _resolve(root.raw_get("/AcroForm"))
    if not isinstance(form, generic.DictionaryObject) or "/Fields" not in form:
        return False, False
    has_fields = False
    has_signatures = False
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[generic.PdfObject, int]] = [(form.raw_get("/Fields"), 0)]
    while pending:
        obj, depth = pending.pop()
        if depth > MAX_TREE_DEPTH:
            raise _Refused("The PDF's form fields are nested too deeply")
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
        value = _resolve(obj)
        if isinstance(value, generic.ArrayObject):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, generic.DictionaryObject):
            has_fields = True
            if value.get("/FT") == "/Sig" and "/V" in value:
                has_signatures = True
            if "/Kids" in value:
                pending.append((value.raw_get("/Kids"), depth + 1))
    return has_fields, has_signatures
