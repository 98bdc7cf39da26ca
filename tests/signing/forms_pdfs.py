"""A form with a field of every kind, the values two signers give, and ways to look at it."""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from signflow.signing.fields import EmptyField
from signflow.signing.form_spec import FormFieldSpec, FormKind, Rect, Widget

PAGE_HEIGHT = A4[1]
SCALE = 2.0  # 144 dpi renders

FIELDS = (
    FormFieldSpec("full_name", FormKind.TEXT, (Widget(0, (150, 700, 250, 22)),)),
    FormFieldSpec("city", FormKind.TEXT, (Widget(0, (150, 665, 250, 22)),)),
    FormFieldSpec("start_date", FormKind.DATE, (Widget(0, (150, 630, 120, 22)),)),
    FormFieldSpec("notes", FormKind.TEXT, (Widget(0, (150, 545, 300, 70)),), multiline=True),
    FormFieldSpec("agree", FormKind.CHECKBOX, (Widget(0, (150, 515, 16, 16)),)),
    FormFieldSpec(
        "plan",
        FormKind.RADIO,
        (
            Widget(0, (150, 485, 16, 16), "basic"),
            Widget(0, (250, 485, 16, 16), "plus"),
            Widget(0, (350, 485, 16, 16), "pro"),
        ),
    ),
    FormFieldSpec(
        "country",
        FormKind.DROPDOWN,
        (Widget(0, (150, 445, 150, 22)),),
        options=("Poland", "Sweden", "Norway"),
    ),
    FormFieldSpec(
        "colour",
        FormKind.LISTBOX,
        (Widget(0, (150, 410, 150, 22)),),
        options=("Red", "Green", "Blue"),
    ),
    FormFieldSpec("phone", FormKind.TEXT, (Widget(0, (150, 375, 150, 22)),)),
    FormFieldSpec("initials_typed", FormKind.TEXT, (Widget(0, (420, 375, 40, 22)),)),
)
LABELS = {
    "full_name": "Tenant",
    "city": "City",
    "start_date": "Start date",
    "notes": "Notes",
    "agree": "I agree",
    "plan": "Plan",
    "country": "Country",
    "colour": "Colour",
    "phone": "Phone",
}
SIGNATURES = (
    EmptyField("sig1", 0, (72, 150, 220, 70)),
    EmptyField("sig2", 0, (320, 150, 220, 70)),
)
PREFILLED = {"full_name": "Zoë Ångström"}
SIGNER1 = {"city": "Łódź", "start_date": "2026-11-23", "agree": "true", "colour": "Green"}
SIGNER2 = {
    "notes": "The tenant may keep one cat. Rent is paid on the first working day of each "
    "month; the deposit is returned within thirty days of the end of the lease.",
    "plan": "plus",
    "country": "Sweden",
}
UNCHOSEN_RADIOS = ("basic", "pro")


def labelled_pdf() -> bytes:
    """One A4 page with a label left of each field's box (and of each radio button).

    The labels use reportlab's own Vera font, embedded: every font of the input is.
    """
    pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=0, initialFontName="Vera")
    c.setFont("Vera", 14)
    c.drawString(72, 760, "Lease agreement")
    c.setFont("Vera", 10)
    for spec in FIELDS:
        _, y, _, h = spec.widgets[0].rect
        if spec.name in LABELS:
            c.drawString(72, y + h / 2 - 3, LABELS[spec.name])
        if spec.kind is FormKind.RADIO:
            for widget in spec.widgets:
                wx, wy, ww, wh = widget.rect
                c.drawString(wx + ww + 4, wy + wh / 2 - 3, str(widget.value))
    c.drawString(380, 380, "Initials")
    c.showPage()
    c.save()
    return out.getvalue()


def widget_rect(name: str, value: str | None = None) -> Rect:
    spec = next(s for s in FIELDS if s.name == name)
    return next(w.rect for w in spec.widgets if value is None or w.value == value)


def pdftotext(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        )
    return done.stdout


def pdffonts(pdf: bytes) -> list[list[str]]:
    """One row per font: name, type, encoding, emb, sub, uni (from poppler's pdffonts)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = done.stdout.splitlines()[2:]
    return [row.split() for row in rows if row.strip()]


def assert_every_font_embedded(pdf: bytes) -> None:
    rows = pdffonts(pdf)
    assert rows, "pdffonts lists no font"
    for row in rows:
        # name ... type ... encoding, then emb sub uni and the object id (two columns)
        emb, _sub, uni = row[-5], row[-4], row[-3]
        assert emb == "yes", rows
        assert uni == "yes", rows


def render(pdf: bytes, engine: str = "pdfium", page: int = 0) -> Image.Image:
    """The page at 144 dpi in grey levels, drawn by pdfium (through its form filler, which it
    needs to draw widgets at all) or by poppler (which draws the appearance streams alone)."""
    if engine == "poppler":
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "doc.pdf"
            src.write_bytes(pdf)
            subprocess.run(
                [
                    "pdftoppm",
                    "-gray",
                    "-png",
                    "-r",
                    str(round(72 * SCALE)),
                    "-f",
                    str(page + 1),
                    "-singlefile",
                    str(src),
                    str(Path(tmp) / "page"),
                ],
                check=True,
            )
            with Image.open(Path(tmp) / "page.png") as image:
                return image.convert("L")
    document = pdfium.PdfDocument(pdf)
    try:
        document.init_forms()
        bitmap = document[page].render(scale=SCALE, may_draw_forms=True)
        return bitmap.to_pil().convert("L")
    finally:
        document.close()


def ink(image: Image.Image, rect: Rect, inset: float = 0.0) -> int:
    """Dark pixels inside `rect` (page points), shrunk by `inset` points on each side."""
    x, y, w, h = rect
    box = (
        round((x + inset) * SCALE),
        round((PAGE_HEIGHT - y - h + inset) * SCALE),
        round((x + w - inset) * SCALE),
        round((PAGE_HEIGHT - y - inset) * SCALE),
    )
    return sum(image.crop(box).histogram()[:128])


def ink_bounds(image: Image.Image, rect: Rect, margin: float = 0.0) -> tuple[int, int, int, int]:
    """Bounding box (pixels) of the dark pixels within `rect` grown by `margin` points."""
    x, y, w, h = rect
    box = (
        round((x - margin) * SCALE),
        round((PAGE_HEIGHT - y - h - margin) * SCALE),
        round((x + w + margin) * SCALE),
        round((PAGE_HEIGHT - y + margin) * SCALE),
    )
    region = image.crop(box).point(lambda v: 255 if v < 128 else 0)
    bounds = region.getbbox()
    assert bounds is not None, "nothing drawn there"
    return bounds


def save_png(pdf: bytes, path: Path, dpi: int = 100) -> None:
    """What the screenshots are made with: poppler's renderer, as a reader would print it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-singlefile",
                str(src),
                str(path.with_suffix("")),
            ],
            check=True,
        )


def values_of(pdf: bytes) -> Mapping[str, object]:
    """Each top-level field's /V, as pyHanko reads the final revision."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf))
    out = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        out[str(field["/T"])] = field.get("/V")
    return out
