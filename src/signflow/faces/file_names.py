"""The name of an uploaded file, from the `x-file-name` header.

SigningHub's guide shows the header as a plain name (`Test file.pdf`) and says nothing of
its encoding, so every form clients use is accepted:

- raw UTF-8 bytes (what most HTTP libraries send for a non-ASCII string); ASGI hands
  header values over as Latin-1, so they are turned back into bytes and read as UTF-8,
  and as Latin-1 only when they are not valid UTF-8;
- RFC 5987 / RFC 8187 extended values, `UTF-8''%E2%82%AC.pdf` (also `ISO-8859-1''…`),
  with or without a leading `filename*=`;
- percent-encoded names (`%E2%82%AC.pdf`), as earlier versions accepted.

What is kept is one file name to show people: in Unicode NFC, without control
characters or bidirectional formatting characters (an override can make
`invoice‮fdp.exe` display as `invoiceexe.pdf`), without any directory part (the name
after the last `/` or `\\`), at most 255 characters.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

MAX_FILE_NAME = 255

# RFC 8187 ext-value: charset "'" [ language ] "'" value-chars
_EXTENDED_VALUE = re.compile(
    r"^(?:filename\*=)?(?P<charset>UTF-8|ISO-8859-1)'[A-Za-z0-9-]*'(?P<value>.*)$", re.IGNORECASE
)
# Embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069) and the marks
# (U+200E, U+200F, U+061C): each changes how the text around it is displayed.
_BIDI_FORMATTING = frozenset(
    {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f"}
    | {"\u061c"}
)


def file_name_from_header(header: str | None, default: str) -> str:
    """The file name `header` carries, made safe to store and show; `default` when it
    carries none."""
    name = _sanitized(_decoded(header or ""))
    return name or default


def _decoded(header: str) -> str:
    text = _as_sent(header).strip()
    extended = _EXTENDED_VALUE.match(text)
    if extended:
        charset = "utf-8" if extended["charset"].upper() == "UTF-8" else "latin-1"
        return unquote(extended["value"], encoding=charset, errors="replace")
    return unquote(text, errors="replace")


def _as_sent(header: str) -> str:
    """The header's bytes read as UTF-8 (ASGI decoded them as Latin-1), or as Latin-1
    when they are not UTF-8."""
    try:
        raw = header.encode("latin-1")
    except UnicodeEncodeError:  # already decoded past Latin-1 by whoever handed it over
        return header
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return header


def _sanitized(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        char for char in name if char not in _BIDI_FORMATTING and unicodedata.category(char) != "Cc"
    )
    name = re.split(r"[/\\]", name)[-1].strip()
    if name in {".", ".."}:
        return ""
    return name[:MAX_FILE_NAME]
