"""PDF intake: accept a PDF only if PDFium and pyHanko both read it safely.

Cheap checks (size, header, end marker) run in the caller's process; parsing
runs in a sandboxed worker process (see sandbox.py) so a hostile file costs
at most the configured memory, CPU and wall-clock time, and is refused with
a 4xx instead of taking the server down.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from signflow.errors import InvalidPdf, PayloadTooLarge
from signflow.pdf.probe import (
    TOO_COMPLEX_MESSAGE,
    PdfInfo,
    Refusal,
    RefusalKind,
    Stripped,
    probe_pdf,
    strip_pdf,
)
from signflow.pdf.sandbox import Sandbox, SandboxFailure, SandboxLimits
from signflow.pdf.sniff import FileKind, sniff

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 25 * MB
DEFAULT_MAX_PAGES = 500
DEFAULT_MAX_OBJECTS = 500_000
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MEMORY_BYTES = 512 * MB
EOF_WINDOW = 1024
# An intake worker idles at about 45 MB and gives a job's memory back after it (see
# sandbox_worker.py); one that still holds much more after a job is replaced.
RECYCLE_RSS_BYTES = 80 * MB
HEAD_WINDOW = 64  # enough for every signature sniff() knows

__all__ = [
    "PdfInfo",
    "Stripped",
    "close_intake_sandboxes",
    "inspect_pdf",
    "inspect_pdf_file",
    "inspect_pdf_file_sync",
    "inspect_pdf_sync",
    "strip_active_content",
    "strip_active_content_sync",
]


@dataclass(frozen=True, slots=True)
class _Limits:
    max_bytes: int
    max_pages: int
    max_objects: int
    sandbox: SandboxLimits


_sandboxes: dict[SandboxLimits, Sandbox] = {}
_sandboxes_lock = threading.Lock()


def _sandbox(limits: SandboxLimits) -> Sandbox:
    with _sandboxes_lock:
        sandbox = _sandboxes.get(limits)
        if sandbox is None:
            sandbox = Sandbox(limits, preload=("signflow.pdf.probe",))
            _sandboxes[limits] = sandbox
        return sandbox


def close_intake_sandboxes() -> None:
    """Stop the worker processes (at application shutdown)."""
    with _sandboxes_lock:
        sandboxes = list(_sandboxes.values())
        _sandboxes.clear()
    for sandbox in sandboxes:
        sandbox.close()


def _limits(
    max_bytes: int, max_pages: int, max_objects: int, timeout_seconds: float, memory_bytes: int
) -> _Limits:
    return _Limits(
        max_bytes=max_bytes,
        max_pages=max_pages,
        max_objects=max_objects,
        sandbox=SandboxLimits(
            memory_bytes=memory_bytes,
            cpu_seconds=max(1, round(timeout_seconds)),
            wall_seconds=timeout_seconds,
            recycle_rss_bytes=RECYCLE_RSS_BYTES,
        ),
    )


def inspect_pdf_sync(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_objects: int = DEFAULT_MAX_OBJECTS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> PdfInfo:
    """Check an uploaded PDF; return what was learned or raise InvalidPdf / PayloadTooLarge.

    Blocks for up to `timeout_seconds` (plus worker start-up on first use).
    """
    limits = _limits(max_bytes, max_pages, max_objects, timeout_seconds, memory_bytes)
    check_envelope(data, max_bytes=limits.max_bytes)
    return _probe_in_sandbox(data, limits)


async def inspect_pdf(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_objects: int = DEFAULT_MAX_OBJECTS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> PdfInfo:
    """The async face of inspect_pdf_sync; the event loop stays free while a worker parses."""
    return await asyncio.to_thread(
        inspect_pdf_sync,
        data,
        max_bytes=max_bytes,
        max_pages=max_pages,
        max_objects=max_objects,
        timeout_seconds=timeout_seconds,
        memory_bytes=memory_bytes,
    )


def inspect_pdf_file_sync(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_objects: int = DEFAULT_MAX_OBJECTS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> PdfInfo:
    """inspect_pdf_sync for a PDF in a file (a spooled upload): the worker reads the file
    from disk as its parsers need it, so no copy of the whole file is made here or sent."""
    limits = _limits(max_bytes, max_pages, max_objects, timeout_seconds, memory_bytes)
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(0)
        head = file.read(HEAD_WINDOW)
        file.seek(max(0, size - EOF_WINDOW))
        tail = file.read(EOF_WINDOW)
    _check_envelope_parts(size, head, tail, max_bytes=limits.max_bytes)
    return _probe_in_sandbox(str(path), limits)


async def inspect_pdf_file(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_objects: int = DEFAULT_MAX_OBJECTS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> PdfInfo:
    """The async face of inspect_pdf_file_sync."""
    return await asyncio.to_thread(
        inspect_pdf_file_sync,
        path,
        max_bytes=max_bytes,
        max_pages=max_pages,
        max_objects=max_objects,
        timeout_seconds=timeout_seconds,
        memory_bytes=memory_bytes,
    )


def strip_active_content_sync(
    source: bytes | Path,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> Stripped:
    """A PDF that intake accepted, rewritten without its active content (see
    active_content.py), in a sandbox worker; raises InvalidPdf when that fails. The
    result is a new file: probe it (inspect_pdf) before trusting it."""
    limits = _limits(
        DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, DEFAULT_MAX_OBJECTS, timeout_seconds, memory_bytes
    )
    job_input = str(source) if isinstance(source, Path) else source
    try:
        outcome = _sandbox(limits.sandbox).run(strip_pdf, job_input)
    except SandboxFailure as exc:
        raise InvalidPdf(f"{TOO_COMPLEX_MESSAGE} ({exc})") from exc
    if isinstance(outcome, Refusal):
        raise InvalidPdf(outcome.message)
    stripped: Stripped = outcome
    return stripped


async def strip_active_content(
    source: bytes | Path,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> Stripped:
    """The async face of strip_active_content_sync."""
    return await asyncio.to_thread(
        strip_active_content_sync,
        source,
        timeout_seconds=timeout_seconds,
        memory_bytes=memory_bytes,
    )


def check_envelope(data: bytes, *, max_bytes: int) -> None:
    """The checks that need no parsing: size, the %PDF- header, the %%EOF end marker."""
    _check_envelope_parts(len(data), data[:HEAD_WINDOW], data[-EOF_WINDOW:], max_bytes=max_bytes)


def _check_envelope_parts(size: int, head: bytes, tail: bytes, *, max_bytes: int) -> None:
    if not size:
        raise InvalidPdf("The file is empty (0 bytes); upload a PDF document")
    if size > max_bytes:
        raise PayloadTooLarge(
            f"The PDF is {_megabytes(size)} MB; the limit is {_megabytes(max_bytes)} MB"
        )
    kind = sniff(head)
    if kind is not FileKind.PDF:
        detail = f"it looks like a {kind.value}" if kind else "it does not start with %PDF-"
        raise InvalidPdf(f"The file is not a PDF document ({detail}); upload a PDF")
    if b"%%EOF" not in tail:
        raise InvalidPdf(
            "The PDF is truncated: it does not end with the %%EOF marker; upload the complete file"
        )


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


def _probe_in_sandbox(source: bytes | str, limits: _Limits) -> PdfInfo:
    """Probe the PDF (its bytes, or the path of its file) in a sandbox worker."""
    try:
        outcome = _sandbox(limits.sandbox).run(
            probe_pdf, source, limits.max_pages, limits.max_objects
        )
    except SandboxFailure as exc:
        raise InvalidPdf(f"{TOO_COMPLEX_MESSAGE} ({exc})") from exc
    return _accept(outcome)


def _accept(outcome: PdfInfo | Refusal) -> PdfInfo:
    if isinstance(outcome, PdfInfo):
        return outcome
    if outcome.kind is RefusalKind.TOO_LARGE:
        raise PayloadTooLarge(outcome.message)
    raise InvalidPdf(outcome.message)
