# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors carry no annotations.)
"""The visible face of a signature: hand-signature image, signer name, date and reason."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from signflow.errors import BadRequest
from signflow.signing.fonts import EmbeddedFont, signflow_font
from signflow.signing.sink import ObjectSink
from signflow.signing.textfit import TextLine, fill_box, text_operators

SignatureKind = Literal["signature", "initials"]
SignatureDesign = Literal["HAND_SIGNATURE_WITH_DETAILS", "HAND_SIGNATURE_ONLY", "DETAILS_ONLY"]
"""What a signature stamp shows: the hand signature beside the signer's name, the date and
the reason (the default); the hand signature alone (the name in its place when there is no
image); or the name, date and reason without the image."""
DESIGNS: tuple[SignatureDesign, ...] = (
    "HAND_SIGNATURE_WITH_DETAILS",
    "HAND_SIGNATURE_ONLY",
    "DETAILS_ONLY",
)

_PAD = 2.0
_MAX_IMAGE_SIDE = 1200
_NAME_SHARE = 0.45
"""Share of the stamp's height for the signer's name; the date and reason share the rest."""


@dataclass(frozen=True)
class AppearanceSpec:
    kind: SignatureKind
    signer_name: str
    signed_at: datetime
    reason: str | None = None
    hand_signature_png: bytes | None = None
    initials: str | None = None
    """Typed initials for an initials stamp; derived from the name when absent."""
    opaque: bool = False
    """No transparency (PDF/A-1 forbids it): a hand signature's alpha is laid on white."""
    design: SignatureDesign = "HAND_SIGNATURE_WITH_DETAILS"


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


def _image_ops(img: Image.Image, x: float, y: float, w: float, h: float) -> bytes:
    scale = min(w / img.width, h / img.height)
    dw, dh = img.width * scale, img.height * scale
    ox, oy = x + (w - dw) / 2, y + (h - dh) / 2
    return b"q %.3f 0 0 %.3f %.3f %.3f cm /Im1 Do Q\n" % (dw, dh, ox, oy)


def _signature_ops(
    font: EmbeddedFont, spec: AppearanceSpec, img: Image.Image | None, w: float, h: float
) -> bytes:
    details = [f"Date: {spec.signed_at.strftime('%Y-%m-%d %H:%M:%S %Z')}"]
    if spec.reason:
        details.append(f"Reason: {spec.reason}")
    ops = b""
    text_x, text_w = _PAD, w - 2 * _PAD
    if img is not None:
        image_w = (w - 2 * _PAD) * 0.45
        ops += _image_ops(img, _PAD, _PAD, image_w, h - 2 * _PAD)
        text_x, text_w = _PAD * 2 + image_w, w - image_w - 3 * _PAD
    inner_h = h - 2 * _PAD
    name_h = inner_h * _NAME_SHARE
    detail_h = (inner_h - name_h) / len(details)
    name_lines = _name_lines(font, spec.signer_name, text_w, name_h * 0.85)
    name_size = name_lines[0].size
    lines = [
        TextLine(line.x, line.y + inner_h - name_h, line.size, line.text) for line in name_lines
    ]
    # The detail lines share one size: the largest at which each fits its width and row,
    # and smaller than the name.
    size = min(
        name_size * 0.8,
        *(fill_box(font, line, text_w, detail_h * 0.7, centered=False).size for line in details),
    )
    for i, line in enumerate(details):
        row_bottom = inner_h - name_h - (i + 1) * detail_h
        lines.append(TextLine(0.0, row_bottom + (detail_h - size * 0.7) / 2, size, line))
    return ops + text_operators(font, lines, text_x, _PAD)


def _name_lines(font: EmbeddedFont, name: str, width: float, height: float) -> list[TextLine]:
    """The name on one line, or on two (split at the middle space) when that is much larger."""
    one = fill_box(font, name, width, height, centered=False)
    words = name.split()
    if len(words) < 2:
        return [one]
    middle = min(
        range(1, len(words)),
        key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))),
    )
    first, second = " ".join(words[:middle]), " ".join(words[middle:])
    half = height / 2
    size = min(
        fill_box(font, first, width, half * 0.9, centered=False).size,
        fill_box(font, second, width, half * 0.9, centered=False).size,
    )
    if size < one.size * 1.3:
        return [one]
    baseline = -font.descent / 1000.0 * size
    return [
        TextLine(0.0, half + baseline, size, first),
        TextLine(0.0, baseline, size, second),
    ]


def _initials_ops(
    font: EmbeddedFont, spec: AppearanceSpec, img: Image.Image | None, w: float, h: float
) -> bytes:
    if img is not None:
        return _image_ops(img, _PAD, _PAD, w - 2 * _PAD, h - 2 * _PAD)
    text = (spec.initials or "").strip() or _initials(spec.signer_name)
    line = fill_box(font, text, w - 2 * _PAD, h - 2 * _PAD)
    return text_operators(font, [line], _PAD, _PAD)


def _hand_signature_only_ops(
    font: EmbeddedFont, spec: AppearanceSpec, img: Image.Image | None, w: float, h: float
) -> bytes:
    if img is not None:
        return _image_ops(img, _PAD, _PAD, w - 2 * _PAD, h - 2 * _PAD)
    lines = _name_lines(font, spec.signer_name, w - 2 * _PAD, (h - 2 * _PAD) * 0.85)
    return text_operators(font, lines, _PAD, _PAD)


def font_resources(font_ref: generic.IndirectObject) -> generic.DictionaryObject:
    """An appearance's /Resources holding the embedded font under its resource name."""
    return generic.DictionaryObject(
        {
            generic.NameObject("/Font"): generic.DictionaryObject(
                {generic.NameObject(signflow_font().resource_name): font_ref}
            )
        }
    )


def form_xobject(
    sink: ObjectSink,
    width: float,
    height: float,
    content: bytes,
    resources: generic.DictionaryObject | None = None,
) -> generic.IndirectObject:
    """A compressed form XObject of this size drawing `content`; return its reference."""
    stream = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, width, height)]
            ),
            generic.NameObject("/Resources"): resources
            if resources is not None
            else generic.DictionaryObject(),
        },
        stream_data=content,
    )
    if content:
        stream.compress()
    return sink.add_object(stream)


def build_appearance(
    writer: ObjectSink,
    width: float,
    height: float,
    spec: AppearanceSpec,
    font_ref: generic.IndirectObject,
) -> generic.IndirectObject:
    """Write the normal-appearance form XObject for a box of this size; return its reference.

    `font_ref` is the document's embedded Signflow font (see `forms.ensure_font`).
    """
    font = signflow_font()
    img = load_hand_signature(spec.hand_signature_png) if spec.hand_signature_png else None
    if img is not None and spec.opaque and img.mode == "RGBA":
        white = Image.new("RGB", img.size, (255, 255, 255))
        white.paste(img, mask=img.getchannel("A"))
        img = white
    if spec.kind == "signature" and spec.design == "DETAILS_ONLY":
        img = None
    if spec.kind == "initials":
        ops = _initials_ops(font, spec, img, width, height)
    elif spec.design == "HAND_SIGNATURE_ONLY":
        ops = _hand_signature_only_ops(font, spec, img, width, height)
    else:
        ops = _signature_ops(font, spec, img, width, height)
    resources = font_resources(font_ref)
    if img is not None:
        resources[generic.NameObject("/XObject")] = generic.DictionaryObject(
            {
                # pil_image only calls add_object on its writer.
                generic.NameObject("/Im1"): pil_image(img, cast(BasePdfFileWriter, writer))
            }
        )
    return form_xobject(writer, width, height, b"q\n" + ops + b"Q\n", resources)


def attach_appearance(annot: generic.DictionaryObject, appearance: generic.IndirectObject) -> None:
    annot[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): appearance}
    )
