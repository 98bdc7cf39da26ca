"""Recognise a file's type from its first bytes, not from its name."""

from __future__ import annotations

from enum import Enum


class FileKind(Enum):
    PDF = "PDF document"
    PNG = "PNG image"
    JPEG = "JPEG image"
    GIF = "GIF image"
    BMP = "BMP image"
    TIFF = "TIFF image"
    WEBP = "WebP image"
    ZIP = "ZIP archive (such as a .docx or .odt document)"
    OLE = "legacy Microsoft Office document"
    RTF = "RTF document"


IMAGE_KINDS = frozenset(
    {FileKind.PNG, FileKind.JPEG, FileKind.GIF, FileKind.BMP, FileKind.TIFF, FileKind.WEBP}
)

_SIGNATURES: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", FileKind.PDF),
    (b"\x89PNG\r\n\x1a\n", FileKind.PNG),
    (b"\xff\xd8\xff", FileKind.JPEG),
    (b"GIF87a", FileKind.GIF),
    (b"GIF89a", FileKind.GIF),
    (b"BM", FileKind.BMP),
    (b"II*\x00", FileKind.TIFF),
    (b"MM\x00*", FileKind.TIFF),
    (b"PK\x03\x04", FileKind.ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", FileKind.OLE),
    (b"{\\rtf", FileKind.RTF),
)


def sniff(data: bytes) -> FileKind | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return FileKind.WEBP
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    return None
