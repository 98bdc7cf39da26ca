"""Turn an upload that is not a PDF into one.

Images (recognised by content) become one page per frame with Pillow;
plain text is typeset with reportlab; office documents (Word, ODF, RTF)
go through LibreOffice in headless mode when it is installed. The result
still has to pass intake like any uploaded PDF.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import tempfile
import warnings
from pathlib import Path, PurePath

from PIL import Image, ImageSequence, UnidentifiedImageError
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from signflow.errors import BadRequest
from signflow.pdf.sniff import IMAGE_KINDS, FileKind, sniff

OFFICE_EXTENSIONS = frozenset(
    {".doc", ".docx", ".odt", ".rtf", ".ott", ".dot", ".dotx", ".docm", ".wpd", ".fodt"}
)
TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".csv", ".log"})
LIBREOFFICE_TIMEOUT_S = 120.0
MAX_IMAGE_PIXELS = 60_000_000
MAX_IMAGE_FRAMES = 100
A4_WIDTH, A4_HEIGHT = A4
TEXT_FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
TEXT_FONT_SIZE = 10
TEXT_MARGIN = 56
UNSUPPORTED_MESSAGE = (
    "Files of this type cannot be converted to PDF ({detail}); upload a PDF, an image "
    "(PNG, JPEG, GIF, BMP, TIFF, WebP), a plain text file or a Word, ODF or RTF document"
)


async def convert_to_pdf(data: bytes, file_name: str) -> bytes:
    """Return `data` as a PDF (unchanged if it already is one); BadRequest if it cannot be."""
    if not data:
        raise BadRequest("The file is empty (0 bytes)")
    kind = sniff(data)
    extension = PurePath(file_name).suffix.lower()
    if kind is FileKind.PDF:
        return data
    if kind in IMAGE_KINDS:
        return await asyncio.to_thread(image_to_pdf, data)
    if extension in OFFICE_EXTENSIONS or kind in (FileKind.OLE, FileKind.RTF):
        return await office_to_pdf(data, extension or ".doc")
    if extension in TEXT_EXTENSIONS:
        return await asyncio.to_thread(text_to_pdf, data)
    detail = f"{extension} file" if extension else "unrecognised content"
    raise BadRequest(UNSUPPORTED_MESSAGE.format(detail=detail))


def image_to_pdf(data: bytes) -> bytes:
    """One page per frame, each fitted within A4 (turned to landscape for wide images)."""
    try:
        with warnings.catch_warnings():
            # Our own pixel cap below is stricter and gives a clearer message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise BadRequest(f"The image is too large ({exc})") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise BadRequest(f"The image cannot be read ({exc})") from exc
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise BadRequest(
            f"The image is {width}x{height} pixels; at most {MAX_IMAGE_PIXELS} pixels are accepted"
        )
    out = io.BytesIO()
    canvas = Canvas(out, invariant=True)
    try:
        for number, frame in enumerate(ImageSequence.Iterator(image)):
            if number >= MAX_IMAGE_FRAMES:
                raise BadRequest(f"The image has more than {MAX_IMAGE_FRAMES} frames")
            _draw_image_page(canvas, _flatten(frame), image.info.get("dpi"))
    except (OSError, ValueError) as exc:
        raise BadRequest(f"The image cannot be decoded ({exc})") from exc
    canvas.save()
    return out.getvalue()


def _flatten(frame: Image.Image) -> Image.Image:
    if frame.mode in ("RGB", "L"):
        return frame.copy()
    rgba = frame.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _draw_image_page(canvas: Canvas, image: Image.Image, dpi: object) -> None:
    horizontal_dpi = _dpi(dpi)
    width_pt = image.width * 72 / horizontal_dpi
    height_pt = image.height * 72 / horizontal_dpi
    page_width, page_height = (A4_HEIGHT, A4_WIDTH) if width_pt > height_pt else A4
    scale = min(1.0, page_width / width_pt, page_height / height_pt)
    width_pt, height_pt = width_pt * scale, height_pt * scale
    canvas.setPageSize((page_width, page_height))
    canvas.drawImage(
        ImageReader(image),
        (page_width - width_pt) / 2,
        (page_height - height_pt) / 2,
        width_pt,
        height_pt,
    )
    canvas.showPage()


def _dpi(dpi: object) -> float:
    if isinstance(dpi, tuple) and dpi and isinstance(dpi[0], int | float) and 30 <= dpi[0] <= 2400:
        return float(dpi[0])
    return 96.0


def text_to_pdf(data: bytes) -> bytes:
    """Typeset UTF-8 (or Latin-1) text in a monospaced font on A4 pages."""
    text = _decode_text(data)
    font = _text_font()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    line_height = TEXT_FONT_SIZE * 1.25
    columns = int((A4_WIDTH - 2 * TEXT_MARGIN) / pdfmetrics.stringWidth("M", font, TEXT_FONT_SIZE))
    y = A4_HEIGHT - TEXT_MARGIN
    canvas.setFont(font, TEXT_FONT_SIZE)
    for line in _wrap(text.expandtabs(4), columns):
        if y < TEXT_MARGIN:
            canvas.showPage()
            canvas.setFont(font, TEXT_FONT_SIZE)
            y = A4_HEIGHT - TEXT_MARGIN
        canvas.drawString(TEXT_MARGIN, y, line)
        y -= line_height
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise BadRequest("The text file is binary or UTF-16; save it as UTF-8 and upload it again")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _wrap(text: str, columns: int) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines() or [""]:
        line = raw.rstrip()
        while len(line) > columns:
            lines.append(line[:columns])
            line = line[columns:]
        lines.append(line)
    return lines


def _text_font() -> str:
    if "SignflowMono" in pdfmetrics.getRegisteredFontNames():
        return "SignflowMono"
    if TEXT_FONT_FILE.exists():
        pdfmetrics.registerFont(TTFont("SignflowMono", str(TEXT_FONT_FILE)))
        return "SignflowMono"
    return "Courier"  # standard font: characters outside Latin-1 print as boxes


def find_libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


async def office_to_pdf(data: bytes, extension: str) -> bytes:
    """Convert with `soffice --headless --convert-to pdf` in a private temp dir, with a timeout."""
    program = find_libreoffice()
    if program is None:
        raise BadRequest(
            f"Converting {extension} files needs LibreOffice, which is not installed on this "
            "server; install it (apt-get install libreoffice-writer) or upload a PDF"
        )
    with tempfile.TemporaryDirectory(prefix="signflow-convert-") as workdir:
        work = Path(workdir)
        source = work / f"document{extension}"
        await asyncio.to_thread(source.write_bytes, data)
        process = await asyncio.create_subprocess_exec(
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "HOME": workdir},
            # soffice forks soffice.bin; a process group lets a timeout kill both.
            start_new_session=True,
        )
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), LIBREOFFICE_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise BadRequest(
                f"LibreOffice did not convert the document within {LIBREOFFICE_TIMEOUT_S:.0f} s; "
                "upload a PDF instead"
            ) from None
        result = work / "out" / "document.pdf"
        if process.returncode != 0 or not result.exists():
            detail = stderr.decode(errors="replace").strip()[:200]
            raise BadRequest(
                f"LibreOffice could not convert the {extension} document"
                + (f" ({detail})" if detail else "")
                + "; check that the file opens in a word processor, or upload a PDF"
            )
        return await asyncio.to_thread(result.read_bytes)
