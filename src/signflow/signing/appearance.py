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
    name = fill_box(font, spec.signer_name, text_w, name_h * 0.85, centered=False)
    lines = [TextLine(name.x, name.y + inner_h - name_h, name.size, name.text)]
    # The detail lines share one size: the largest at which each fits its width and row.
    size = min(
        fill_box(font, line, text_w, detail_h * 0.7, centered=False).size for line in details
    )
    for i, line in enumerate(details):
        row_bottom = inner_h - name_h - (i + 1) * detail_h
        lines.append(TextLine(0.0, row_bottom + (detail_h - size * 0.7) / 2, size, line))
    return ops + text_operators(font, lines, text_x, _PAD)


def _initials_ops(
    font: EmbeddedFont, spec: AppearanceSpec, img: Image.Image | None, w: float, h: float
) -> bytes:
    if img is not None:
        return _image_ops(img, _PAD, _PAD, w - 2 * _PAD, h - 2 * _PAD)
    text = (spec.initials or "").strip() or _initials(spec.signer_name)
    line = fill_box(font, text, w - 2 * _PAD, h - 2 * _PAD)
    return text_operators(font, [line], _PAD, _PAD)


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
    if spec.kind == "initials":
        ops = _initials_ops(font, spec, img, width, height)
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
