"""Images users keep in their settings (hand signatures, initials, profile pictures):
base64 text in, checked to be a real PNG or JPEG of bounded size, stored re-encoded.

Re-encoding keeps only pixels: no metadata, no second image hidden after the first, no
format quirk reaches a signed PDF or another user's browser.
"""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image, UnidentifiedImageError

from signflow.errors import BadRequest

MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_SIDE = 4000
STORED_SIDE = 1200
"""Stored images are scaled down to this many pixels at most on their longer side."""
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG"})


def decode_base64_image(value: str, field: str) -> bytes:
    """The image in `value` (base64, or a `data:` URL), re-encoded as PNG; BadRequest
    naming `field` when it is not base64, over 1 MB, or not a readable PNG or JPEG."""
    text = value.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise BadRequest(f"{field} must be at most 1 MB")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"{field} must be a base64-encoded PNG or JPEG image") from exc
    return normalized_png(data, field)


def normalized_png(data: bytes, field: str) -> bytes:
    if not data:
        raise BadRequest(f"{field} must be a base64-encoded PNG or JPEG image")
    if len(data) > MAX_IMAGE_BYTES:
        raise BadRequest(f"{field} must be at most 1 MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ACCEPTED_FORMATS:
                raise BadRequest(f"{field} must be a PNG or JPEG image")
            # The header's size, checked before any pixel is decoded (decompression bombs).
            if max(img.size) > MAX_IMAGE_SIDE:
                raise BadRequest(f"{field} must be at most {MAX_IMAGE_SIDE} pixels wide and high")
            img.load()
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            pixels = img.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadRequest(f"{field} must be a PNG or JPEG image") from exc
    pixels.thumbnail((STORED_SIDE, STORED_SIDE))
    out = io.BytesIO()
    pixels.save(out, "PNG", optimize=True)
    return out.getvalue()
