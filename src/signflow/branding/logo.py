"""An enterprise logo: a PNG or JPEG raster (no SVG: a script-capable document), bounded."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from signflow.errors import BadRequest

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 2000  # per side
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def check_logo(data: bytes) -> str:
    """The logo's media type; BadRequest unless `data` is a whole PNG or JPEG within bounds."""
    if not data:
        raise BadRequest("Logo is empty")
    if len(data) > MAX_LOGO_BYTES:
        raise BadRequest(f"Logo is larger than {MAX_LOGO_BYTES // 1024} KB")
    if not data.startswith(_SIGNATURES):
        raise BadRequest("Logo must be a PNG or JPEG image (SVG and other formats are refused)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                width, height = image.size
                image.verify()
            # verify() checks the structure; decoding proves the pixels are there.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,  # a header claiming far more pixels than any logo
    ) as exc:
        raise BadRequest("Logo is not a readable PNG or JPEG image") from exc
    if kind not in MEDIA_TYPES:
        raise BadRequest("Logo must be a PNG or JPEG image (SVG and other formats are refused)")
    if width > MAX_LOGO_PIXELS or height > MAX_LOGO_PIXELS:
        raise BadRequest(f"Logo is larger than {MAX_LOGO_PIXELS}x{MAX_LOGO_PIXELS} pixels")
    return MEDIA_TYPES[kind]
