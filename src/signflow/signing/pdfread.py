# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors carry no annotations.)
"""A lean reader for the PDFs the signing fast path handles.

It reads only what a new signature field needs (trailer, catalog, one page, the
form, /Info) and looks each object up through the classic cross-reference tables
without parsing them whole: an entry is 20 bytes, so its position is arithmetic.
Objects come back as pyHanko's `generic` objects, decoded as pyHanko decodes them,
so the writer can treat them exactly like objects pyHanko read.

Anything it does not handle (cross-reference streams, hybrid files, encryption,
objects that are streams, malformed syntax) raises `NotLean`; the caller then
takes pyHanko's own reader, which handles, repairs or rejects the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.xref import TrailerDictionary


class NotLean(Exception):
    """The file needs pyHanko's full reader."""


_WS = rb"\x00\t\n\x0c\r "
_DELIMITERS = rb"()<>\[\]{}/%"
_SKIP = re.compile(rb"(?:[" + _WS + rb"]+|%[^\r\n]*)*")
_REF = re.compile(rb"(\d+)[" + _WS + rb"]+(\d+)[" + _WS + rb"]+R(?![^" + _WS + _DELIMITERS + rb"])")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?![^" + _WS + _DELIMITERS + rb"])")
# Printable ASCII minus the delimiters: pyHanko refuses anything else unescaped.
_NAME = re.compile(rb"/([\x21-\x24\x26\x27\x2a-\x2e\x30-\x3b\x3d\x3f-\x5a\x5c\x5e-\x7a\x7c\x7e]*)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_BAD_NAME_ESCAPE = re.compile(rb"#(?![0-9A-Fa-f]{2})")
_KEYWORD = re.compile(rb"(true|false|null)(?![^" + _WS + _DELIMITERS + rb"])")
_HEX = re.compile(rb"<([0-9A-Fa-f" + _WS + rb"]*)>")
_STRING_SPECIAL = re.compile(rb"[\\()]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_OBJ_HEADER = re.compile(rb"(\d+)[" + _WS + rb"]+(\d+)[" + _WS + rb"]+obj")
_END_OBJ = re.compile(rb"[" + _WS + rb"]*endobj")
_HEADER = re.compile(rb"%PDF-(\d)\.(\d)")
_STARTXREF = re.compile(rb"startxref[" + _WS + rb"]+(\d+)")
_SUBSECTION = re.compile(rb"(\d+) (\d+)[ \t]*(?:\r\n|\r|\n)")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])(?: \r| \n|\r\n)")
_ESCAPES = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("f"): b"\f",
}
_LITERAL_ESCAPES = frozenset(b"() /%<>[]#_&$\\")
_ENTRY_SIZE = 20


@dataclass(frozen=True)
class _Subsection:
    first: int
    count: int
    table_at: int


class LeanReader:
    """Objects of a classic-xref, unencrypted PDF, read on demand."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        header = _HEADER.match(pdf)
        if header is None:
            raise NotLean("no PDF header at offset 0")
        self.header_version = (int(header.group(1)), int(header.group(2)))
        self.startxref = self._last_startxref()
        self._sections: list[list[_Subsection]] = []
        trailers: list[generic.DictionaryObject] = []
        offset: int | None = self.startxref
        while offset is not None:
            if len(self._sections) > 1000 or offset >= len(pdf):
                raise NotLean("implausible /Prev chain")
            subsections, trailer = self._read_section(offset)
            self._sections.append(subsections)
            trailers.append(trailer)
            prev = trailer.get("/Prev")
            offset = int(prev) if prev is not None else None
        self.trailer = _flatten(trailers)
        if "/Encrypt" in self.trailer:
            raise NotLean("encrypted")
        self._cache: dict[tuple[int, int], generic.PdfObject] = {}

    def get_object(self, ref: generic.Reference) -> generic.PdfObject:
        key = (ref.idnum, ref.generation)
        obj = self._cache.get(key)
        if obj is None:
            obj = self._cache[key] = self._read_indirect(ref.idnum, ref.generation)
        return obj

    def get(self, ref: generic.PdfObject) -> generic.PdfObject:
        """The object itself, following one level of indirection."""
        if isinstance(ref, generic.IndirectObject):
            return self.get_object(ref.reference)
        return ref

    # --- cross-reference tables ---------------------------------------------

    def _last_startxref(self) -> int:
        tail_at = max(0, len(self.pdf) - 1024)
        at = self.pdf.rfind(b"startxref", tail_at)
        found = _STARTXREF.match(self.pdf, at) if at >= 0 else None
        if found is None:
            raise NotLean("no startxref")
        return int(found.group(1))

    def _read_section(self, offset: int) -> tuple[list[_Subsection], generic.DictionaryObject]:
        pdf = self.pdf
        if not pdf.startswith(b"xref", offset):
            raise NotLean("not a classic xref table")
        pos = _skip(pdf, offset + 4)
        subsections = []
        while (header := _SUBSECTION.match(pdf, pos)) is not None:
            first, count = int(header.group(1)), int(header.group(2))
            subsections.append(_Subsection(first, count, header.end()))
            pos = _skip(pdf, header.end() + count * _ENTRY_SIZE)
        if not pdf.startswith(b"trailer", pos):
            raise NotLean("no trailer after the xref table")
        trailer, _ = _parse(self, pdf, _skip(pdf, pos + 7))
        if not isinstance(trailer, generic.DictionaryObject) or "/XRefStm" in trailer:
            raise NotLean("hybrid or malformed trailer")
        return subsections, trailer

    def _offset_of(self, idnum: int, generation: int) -> int:
        for subsections in self._sections:  # newest first
            for sub in subsections:
                if sub.first <= idnum < sub.first + sub.count:
                    at = sub.table_at + (idnum - sub.first) * _ENTRY_SIZE
                    entry = _XREF_ENTRY.match(self.pdf, at)
                    if entry is None:
                        raise NotLean("xref entries are not 20 bytes each")
                    if entry.group(3) == b"f" or int(entry.group(2)) != generation:
                        raise NotLean(f"object {idnum} {generation} is free or reused")
                    return int(entry.group(1))
        raise NotLean(f"object {idnum} {generation} is not in the xref tables")

    def _read_indirect(self, idnum: int, generation: int) -> generic.PdfObject:
        pdf = self.pdf
        offset = self._offset_of(idnum, generation)
        header = _OBJ_HEADER.match(pdf, _skip(pdf, offset))
        if header is None or (int(header.group(1)), int(header.group(2))) != (idnum, generation):
            raise NotLean(f"object {idnum} {generation} is not where the xref says")
        obj, pos = _parse(self, pdf, header.end())
        if _END_OBJ.match(pdf, _skip(pdf, pos)) is None:
            raise NotLean(f"object {idnum} {generation} is a stream or has no endobj")
        return obj


def _flatten(trailers: list[generic.DictionaryObject]) -> generic.DictionaryObject:
    """pyHanko's trailer view: older revisions' keys, overridden by newer ones."""
    flat = generic.DictionaryObject()
    for trailer in reversed(trailers):
        flat.update(trailer)
    for key in TrailerDictionary.non_trailer_keys:
        flat.pop(key, None)
    return flat


# --- objects -------------------------------------------------------------------


def _skip(pdf: bytes, pos: int) -> int:
    found = _SKIP.match(pdf, pos)
    assert found is not None  # the pattern matches the empty string
    return found.end()


def _parse(reader: LeanReader, pdf: bytes, pos: int) -> tuple[generic.PdfObject, int]:
    """The object starting at or after `pos`, and the position just after it."""
    pos = _skip(pdf, pos)
    lead = pdf[pos : pos + 2]
    if lead == b"<<":
        return _parse_dict(reader, pdf, pos + 2)
    if lead[:1] == b"[":
        return _parse_array(reader, pdf, pos + 1)
    if lead[:1] == b"/":
        return _parse_name(pdf, pos)
    if lead[:1] == b"(":
        return _parse_literal(pdf, pos + 1)
    if lead[:1] == b"<":
        hex_string = _HEX.match(pdf, pos)
        if hex_string is None:
            raise NotLean(f"bad hex string at {pos}")
        digits = re.sub(rb"[" + _WS + rb"]", b"", hex_string.group(1))
        if len(digits) % 2:
            digits += b"0"
        return generic.pdf_string(bytes.fromhex(digits.decode("ascii"))), hex_string.end()
    if (ref := _REF.match(pdf, pos)) is not None:
        return generic.IndirectObject(int(ref.group(1)), int(ref.group(2)), reader), ref.end()
    if (number := _NUMBER.match(pdf, pos)) is not None:
        text = number.group().decode("ascii")
        value = generic.FloatObject(text) if "." in text else generic.NumberObject(int(text))
        return value, number.end()
    if (keyword := _KEYWORD.match(pdf, pos)) is not None:
        word = keyword.group(1)
        if word == b"null":
            return generic.NullObject(), keyword.end()
        return generic.BooleanObject(word == b"true"), keyword.end()
    raise NotLean(f"unexpected token at {pos}")


def _parse_dict(reader: LeanReader, pdf: bytes, pos: int) -> tuple[generic.DictionaryObject, int]:
    result = generic.DictionaryObject()
    while True:
        pos = _skip(pdf, pos)
        if pdf.startswith(b">>", pos):
            return result, pos + 2
        key, pos = _parse_name(pdf, pos)
        value, pos = _parse(reader, pdf, pos)
        result[key] = value


def _parse_array(reader: LeanReader, pdf: bytes, pos: int) -> tuple[generic.ArrayObject, int]:
    result = generic.ArrayObject()
    while True:
        pos = _skip(pdf, pos)
        if pdf.startswith(b"]", pos):
            return result, pos + 1
        item, pos = _parse(reader, pdf, pos)
        result.append(item)


def _parse_name(pdf: bytes, pos: int) -> tuple[generic.NameObject, int]:
    found = _NAME.match(pdf, pos)
    if found is None:
        raise NotLean(f"expected a name at {pos}")
    raw = found.group(1)
    if b"#" in raw:
        if _BAD_NAME_ESCAPE.search(raw) is not None:
            raise NotLean(f"bad escape in a name at {pos}")
        raw = _NAME_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), raw)
    try:
        text = raw.decode("utf8")
    except UnicodeDecodeError:
        text = raw.decode("latin1")
    return generic.NameObject("/" + text), found.end()


def _parse_literal(pdf: bytes, pos: int) -> tuple[generic.PdfObject, int]:
    """A (string) whose opening parenthesis ends just before `pos`."""
    out = bytearray()
    depth = 1
    while True:
        special = _STRING_SPECIAL.search(pdf, pos)
        if special is None:
            raise NotLean("unterminated string")
        at = special.start()
        out += pdf[pos:at]
        char = pdf[at]
        pos = at + 1
        if char == 0x5C:  # backslash
            pos = _unescape(pdf, pos, out)
            continue
        depth += 1 if char == 0x28 else -1
        if depth == 0:
            return generic.pdf_string(bytes(out)), pos
        out.append(char)


def _unescape(pdf: bytes, pos: int, out: bytearray) -> int:
    """Append what the escape after a backslash means; return the position after it."""
    char = pdf[pos : pos + 1]
    if not char:
        raise NotLean("unterminated string")
    code = char[0]
    if code in _ESCAPES:
        out += _ESCAPES[code]
    elif code in _LITERAL_ESCAPES:
        out.append(code)
    elif (octal := _OCTAL.match(pdf, pos)) is not None:
        out.append(int(octal.group(), 8) & 0xFF)
        return octal.end()
    elif char in b"\r\n":
        if pdf[pos : pos + 2] in (b"\r\n", b"\n\r"):
            return pos + 2
        return pos + 1
    else:
        raise NotLean(f"unknown escape in a string at {pos}")
    return pos + 1
