# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors and fontTools carry no annotations.)
"""The one font Signflow writes text with: Noto Sans (SIL Open Font License), embedded.

Every stamp and form-field appearance draws with the same font program: a fixed
subset of Noto Sans (Latin with its extensions, Greek, Cyrillic, common
punctuation and currency signs) taken from the `fontpkg-noto-sans` package at
its default instance (weight 400, width 100). It is embedded once per document
as a composite font (Type0 / CIDFontType2, Identity-H, with /ToUnicode and
/CIDSet), registered in the form's default resources (/AcroForm /DR) under a
name that carries the subset's tag, and later appearances refer to that object
instead of embedding it again. Base-14 fonts are never used: they are not
embedded, which PDF/A forbids and which leaves glyph shapes to each viewer.

Building the subset takes a fraction of a second; it is done once per process
(`signflow_font()`) and everything a PDF needs from it is kept ready to write:
the compressed program, the width array, the /ToUnicode CMap and the metrics
used to fit text in its box.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name

from signflow.signing.sink import ObjectSink

FAMILY = "Noto Sans"
# Unicode blocks in the subset: what names, addresses and dates in European
# languages need. Text outside them is drawn with a replacement glyph (the field
# value itself, /V, keeps the original text).
COVERAGE: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0259, 0x0259),  # schwa
    (0x02B9, 0x02DD),  # modifier letters (apostrophes, accents)
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese, Welsh)
    (0x2010, 0x2027),  # dashes, quotation marks, bullets, ellipsis
    (0x2030, 0x203A),  # per mille, primes, angle quotes
    (0x20A0, 0x20C0),  # currency signs
    (0x2116, 0x2116),  # numero sign
    (0x2122, 0x2122),  # trade mark sign
    (0x2212, 0x2212),  # minus sign
)
REPLACEMENT = "?"
_FONT_PROGRAM_TABLES_DROPPED = (
    # The default instance of the variable font: the outlines in 'glyf' and the
    # advances in 'hmtx' are the default master; the variation tables go.
    "fvar",
    "gvar",
    "avar",
    "cvar",
    "HVAR",
    "MVAR",
    "STAT",
    # Text is laid out glyph by glyph (no shaping), so layout tables are unused.
    "GSUB",
    "GPOS",
    "GDEF",
    "DSIG",
)


class _RawPdf(generic.PdfObject):
    """A PDF object serialised once (a large array), written as those bytes every time."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def write_to_stream(self, stream: Any, handler: Any = None, container_ref: Any = None) -> None:
        stream.write(self.data)


@dataclass(frozen=True)
class EmbeddedFont:
    """The subset font program, its PDF objects' content and its metrics."""

    base_font: str
    """The PostScript name with the subset tag, e.g. `ABCDEF+NotoSans-Regular`."""
    resource_name: str
    """Its key in /AcroForm /DR /Font and in every appearance's /Resources."""
    program: bytes
    """The TrueType program, Flate-compressed, and its length before compression."""
    program_length: int
    glyph_ids: dict[int, int]
    """Unicode code point -> glyph id (= CID: the font uses /CIDToGIDMap /Identity)."""
    advances: tuple[int, ...]
    """Advance width of each glyph, in thousandths of the font size."""
    tops: tuple[int, ...]
    bottoms: tuple[int, ...]
    """Highest and lowest point of each glyph's outline (0 for blank glyphs), same units."""
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    widths_array: bytes
    to_unicode: bytes
    """The /ToUnicode CMap, Flate-compressed."""
    cid_set: bytes
    """The /CIDSet bitmap (every glyph of the subset), Flate-compressed."""
    _glyph_cache: dict[str, tuple[int, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    # --- text -------------------------------------------------------------

    def glyphs(self, text: str) -> tuple[int, ...]:
        """Glyph ids for `text` (NFC); characters the subset lacks fall back to a base letter
        (NFKD) or to the replacement glyph. Control characters are dropped."""
        cached = self._glyph_cache.get(text)
        if cached is None:
            if len(self._glyph_cache) > 4096:
                self._glyph_cache.clear()
            cached = self._glyph_cache[text] = tuple(self._map(text))
        return cached

    def _map(self, text: str) -> list[int]:
        ids = self.glyph_ids
        out = []
        for char in unicodedata.normalize("NFC", text):
            code = ord(char)
            gid = ids.get(code)
            if gid is None:
                if unicodedata.category(char) in ("Cc", "Cf"):
                    continue
                base = unicodedata.normalize("NFKD", char)[:1]
                gid = ids.get(ord(base)) if base else None
                if gid is None or base == " ":
                    gid = ids[ord(REPLACEMENT)]
            out.append(gid)
        return out

    def supports(self, text: str) -> bool:
        return all(ord(c) in self.glyph_ids for c in unicodedata.normalize("NFC", text))

    def width(self, text: str, size: float) -> float:
        """Width of `text` at `size` points, from the font's own advance widths."""
        advances = self.advances
        return sum(advances[g] for g in self.glyphs(text)) * size / 1000.0

    def ink(self, text: str) -> tuple[float, float]:
        """Lowest and highest point of the outlines of `text`, in thousandths of the size."""
        glyphs = self.glyphs(text)
        if not glyphs:
            return 0.0, 0.0
        return float(min(self.bottoms[g] for g in glyphs)), float(max(self.tops[g] for g in glyphs))

    def show(self, text: str) -> bytes:
        """The operand of a Tj operator drawing `text`: a hex string of 2-byte glyph ids."""
        return b"<" + b"".join(b"%04X" % g for g in self.glyphs(text)) + b">"

    # --- PDF objects --------------------------------------------------------

    def add_to(self, sink: ObjectSink) -> generic.IndirectObject:
        """Add the font's objects (the Type0 dictionary and what it refers to); return it."""
        program = generic.StreamObject(
            {
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
                pdf_name("/Length1"): generic.NumberObject(self.program_length),
            },
            encoded_data=self.program,
        )
        cid_set = generic.StreamObject(
            {pdf_name("/Filter"): pdf_name("/FlateDecode")}, encoded_data=self.cid_set
        )
        descriptor = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/FontDescriptor"),
                pdf_name("/FontName"): pdf_name("/" + self.base_font),
                pdf_name("/Flags"): generic.NumberObject(32),  # nonsymbolic
                pdf_name("/FontBBox"): generic.ArrayObject(
                    generic.NumberObject(v) for v in self.bbox
                ),
                pdf_name("/ItalicAngle"): generic.NumberObject(0),
                pdf_name("/Ascent"): generic.NumberObject(self.ascent),
                pdf_name("/Descent"): generic.NumberObject(self.descent),
                pdf_name("/CapHeight"): generic.NumberObject(self.cap_height),
                pdf_name("/StemV"): generic.NumberObject(80),
                pdf_name("/FontFile2"): sink.add_object(program),
                pdf_name("/CIDSet"): sink.add_object(cid_set),
            }
        )
        cid_font = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/CIDFontType2"),
                pdf_name("/BaseFont"): pdf_name("/" + self.base_font),
                pdf_name("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        pdf_name("/Registry"): generic.pdf_string("Adobe"),
                        pdf_name("/Ordering"): generic.pdf_string("Identity"),
                        pdf_name("/Supplement"): generic.NumberObject(0),
                    }
                ),
                pdf_name("/FontDescriptor"): sink.add_object(descriptor),
                pdf_name("/DW"): generic.NumberObject(1000),
                pdf_name("/W"): _RawPdf(self.widths_array),
                pdf_name("/CIDToGIDMap"): pdf_name("/Identity"),
            }
        )
        to_unicode = generic.StreamObject(
            {pdf_name("/Filter"): pdf_name("/FlateDecode")}, encoded_data=self.to_unicode
        )
        font = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type0"),
                pdf_name("/BaseFont"): pdf_name("/" + self.base_font),
                pdf_name("/Encoding"): pdf_name("/Identity-H"),
                pdf_name("/DescendantFonts"): generic.ArrayObject([sink.add_object(cid_font)]),
                pdf_name("/ToUnicode"): sink.add_object(to_unicode),
            }
        )
        return sink.add_object(font)

    def is_this_font(self, font: generic.PdfObject) -> bool:
        """Whether a font dictionary found in a document is this subset (by its tagged name)."""
        return (
            isinstance(font, generic.DictionaryObject)
            and font.get("/Subtype") == "/Type0"
            and font.get("/BaseFont") == "/" + self.base_font
        )


_lock = threading.Lock()
_font: EmbeddedFont | None = None


def signflow_font() -> EmbeddedFont:
    """The font, built on first use and kept for the life of the process."""
    global _font
    if _font is None:
        with _lock:
            if _font is None:
                _font = _build()
    return _font


def _coverage() -> Iterator[int]:
    for first, last in COVERAGE:
        yield from range(first, last + 1)


def _build() -> EmbeddedFont:
    import fontpkg
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(fontpkg.path(FAMILY), recalcTimestamp=False)
    for tag in _FONT_PROGRAM_TABLES_DROPPED:
        if tag in font:
            del font[tag]
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.name_IDs = ["*"]  # keep the copyright and licence records
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=list(_coverage()))
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    program = out.getvalue()

    order = font.getGlyphOrder()
    gid_of = {name: gid for gid, name in enumerate(order)}
    cmap = font.getBestCmap()
    glyph_ids = {code: gid_of[name] for code, name in cmap.items()}
    scale = 1000.0 / font["head"].unitsPerEm
    hmtx = font["hmtx"]
    advances = tuple(round(hmtx[name][0] * scale) for name in order)
    glyf = font["glyf"]
    tops = tuple(round(getattr(glyf[name], "yMax", 0) * scale) for name in order)
    bottoms = tuple(round(getattr(glyf[name], "yMin", 0) * scale) for name in order)
    head, os2, hhea = font["head"], font["OS/2"], font["hhea"]
    tag = _subset_tag(program)
    ps_name = font["name"].getDebugName(6) or "NotoSans-Regular"
    return EmbeddedFont(
        base_font=f"{tag}+{ps_name}",
        resource_name=f"/Sf{tag}",
        program=zlib.compress(program, 9),
        program_length=len(program),
        glyph_ids=glyph_ids,
        advances=advances,
        tops=tops,
        bottoms=bottoms,
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
        cap_height=round(os2.sCapHeight * scale),
        bbox=(
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ),
        widths_array=b"[0 [" + b" ".join(b"%d" % a for a in advances) + b"]]",
        to_unicode=zlib.compress(_to_unicode_cmap(glyph_ids), 9),
        cid_set=zlib.compress(_cid_set(len(order)), 9),
    )


def _subset_tag(program: bytes) -> str:
    """Six capital letters derived from the program: the same subset always gets the same tag."""
    digest = hashlib.sha256(program).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _to_unicode_cmap(glyph_ids: dict[int, int]) -> bytes:
    first_code: dict[int, int] = {}
    for code in sorted(glyph_ids):
        first_code.setdefault(glyph_ids[code], code)
    pairs = sorted(first_code.items())
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <FFFF>",
        b"endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):
        chunk = pairs[start : start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines.extend(b"<%04X> <%s>" % (gid, _utf16_hex(code)) for gid, code in chunk)
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines) + b"\n"


def _utf16_hex(code: int) -> bytes:
    return chr(code).encode("utf-16-be").hex().upper().encode("ascii")


def _cid_set(glyph_count: int) -> bytes:
    full, rest = divmod(glyph_count, 8)
    return b"\xff" * full + (bytes([(0xFF << (8 - rest)) & 0xFF]) if rest else b"")
