# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors carry no annotations.)
"""The visible face of a signature: hand-signature image, signer name, date and reason."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, cast

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from reportlab.pdfbase.pdfmetrics import stringWidth

from signflow.errors import BadRequest

SignatureKind = Literal["signature", "initials"]


class ObjectSink(Protocol):
    """Where new indirect objects go: pyHanko's writer, or the lean update's object list."""

    def add_object(self, obj: generic.PdfObject) -> generic.IndirectObject: ...


_FONT = "Helvetica"
_FONT_BOLD = "Helvetica-Bold"
_PAD = 2.0
_MAX_IMAGE_SIDE = 1200


@dataclass(frozen=True)
class AppearanceSpec:
    kind: SignatureKind
    signer_name: str
    signed_at: datetime
    reason: str | None = None
    hand_signature_png: bytes | None = None


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _fit_font(text: str, font: str, width: float, height: float) -> float:
    size = min(height, 40.0)
    text_width = stringWidth(text, font, 1.0) or 1.0
    return max(min(size, width / text_width), 4.0)


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split() if part).upper()[:4] or "?"


def load_hand_signature(png: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(png)) as img:
            img.load()
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            out = img.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise BadRequest("The hand signature image is not a readable image") from exc
    out.thumbnail((_MAX_IMAGE_SIDE, _MAX_IMAGE_SIDE))
    return out


def _text_line(font: str, size: float, x: float, y: float, text: str) -> bytes:
    return b"BT /%s %.2f Tf %.2f %.2f Td %s Tj ET\n" % (
        b"F2" if font == _FONT_BOLD else b"F1",
        size,
        x,
        y,
        _pdf_text(text),
    )


def _image_ops(img: Image.Image, x: float, y: float, w: float, h: float) -> bytes:
    scale = min(w / img.width, h / img.height)
    dw, dh = img.width * scale, img.height * scale
    ox, oy = x + (w - dw) / 2, y + (h - dh) / 2
    return b"q %.3f 0 0 %.3f %.3f %.3f cm /Im1 Do Q\n" % (dw, dh, ox, oy)


def _signature_ops(spec: AppearanceSpec, img: Image.Image | None, w: float, h: float) -> bytes:
    lines = [spec.signer_name, f"Date: {spec.signed_at.strftime('%Y-%m-%d %H:%M:%S %Z')}"]
    if spec.reason:
        lines.append(f"Reason: {spec.reason}")
    ops = b""
    text_x, text_w = _PAD, w - 2 * _PAD
    if img is not None:
        image_w = (w - 2 * _PAD) * 0.45
        ops += _image_ops(img, _PAD, _PAD, image_w, h - 2 * _PAD)
        text_x, text_w = _PAD * 2 + image_w, w - image_w - 3 * _PAD
    line_h = (h - 2 * _PAD) / (len(lines) + 1)
    name_size = _fit_font(lines[0], _FONT_BOLD, text_w, line_h * 1.6)
    y = h - _PAD - name_size
    ops += _text_line(_FONT_BOLD, name_size, text_x, y, lines[0])
    for line in lines[1:]:
        size = _fit_font(line, _FONT, text_w, line_h * 0.8)
        y -= line_h
        ops += _text_line(_FONT, size, text_x, y, line)
    return ops


def _initials_ops(spec: AppearanceSpec, img: Image.Image | None, w: float, h: float) -> bytes:
    if img is not None:
        return _image_ops(img, _PAD, _PAD, w - 2 * _PAD, h - 2 * _PAD)
    text = _initials(spec.signer_name)
    size = _fit_font(text, _FONT_BOLD, w - 2 * _PAD, h - 2 * _PAD)
    x = (w - stringWidth(text, _FONT_BOLD, size)) / 2
    return _text_line(_FONT_BOLD, size, x, (h - size * 0.7) / 2, text)


def _font(base: str) -> generic.DictionaryObject:
    return generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/" + base),
            generic.NameObject("/Encoding"): generic.NameObject("/WinAnsiEncoding"),
        }
    )


def build_appearance(
    writer: ObjectSink, width: float, height: float, spec: AppearanceSpec
) -> generic.IndirectObject:
    """Write the normal-appearance form XObject for a box of this size; return its reference."""
    img = load_hand_signature(spec.hand_signature_png) if spec.hand_signature_png else None
    if spec.kind == "initials":
        ops = _initials_ops(spec, img, width, height)
    else:
        ops = _signature_ops(spec, img, width, height)
    resources = generic.DictionaryObject(
        {
            generic.NameObject("/Font"): generic.DictionaryObject(
                {
                    generic.NameObject("/F1"): _font(_FONT),
                    generic.NameObject("/F2"): _font(_FONT_BOLD),
                }
            )
        }
    )
    if img is not None:
        resources[generic.NameObject("/XObject")] = generic.DictionaryObject(
            {
                # pil_image only calls add_object on its writer.
                generic.NameObject("/Im1"): pil_image(img, cast(BasePdfFileWriter, writer))
            }
        )
    stream = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, width, height)]
            ),
            generic.NameObject("/Resources"): resources,
        },
        stream_data=b"q\n" + ops + b"Q\n",
    )
    stream.compress()
    return writer.add_object(stream)


def attach_appearance(annot: generic.DictionaryObject, appearance: generic.IndirectObject) -> None:
    annot[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): appearance}
    )
