"""The Process Evidence Report: a PDF record of a package's documents, recipients and history."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from signflow.pdf.evidence_data import (
    DocumentEvidence,
    EvidenceData,
    HistoryEvidence,
    PackageInfo,
    RecipientEvidence,
    SignatureEvidence,
    ValueEvidence,
)

__all__ = [
    "DocumentEvidence",
    "EvidenceData",
    "HistoryEvidence",
    "PackageInfo",
    "RecipientEvidence",
    "SignatureEvidence",
    "ValueEvidence",
    "render_evidence_report",
]


_STYLES = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=8, leading=10)
_MONO = ParagraphStyle("mono", parent=_BODY, fontName="Courier", fontSize=6.5, leading=8)
_HEAD = ParagraphStyle("head", parent=_BODY, fontName="Helvetica-Bold")
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)
_WIDTH = A4[0] - 30 * mm


def _p(text: str | None, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(text or "-"), style)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else "-"


def _table(
    header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float]
) -> LongTable:
    # LongTable repeats its header row on every page it spills onto.
    data = [[_p(h, _HEAD) for h in header], *rows]
    table = LongTable(data, colWidths=[w * _WIDTH for w in widths], repeatRows=1)
    table.setStyle(_GRID)
    return table


def _package_section(package: PackageInfo) -> list[Flowable]:
    rows = [
        ["Package", f"{package.name} (id {package.id})"],
        ["Owner", package.owner],
        ["Status", package.status],
        ["Created", _when(package.created_at)],
        ["Completed", _when(package.completed_at)],
    ]
    table = LongTable(
        [[_p(k, _HEAD), _p(v)] for k, v in rows], colWidths=[0.2 * _WIDTH, 0.8 * _WIDTH]
    )
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
    return [table]


def _documents_section(documents: Sequence[DocumentEvidence]) -> list[Flowable]:
    rows: list[list[Flowable | list[Flowable]]] = [
        [
            _p(d.name),
            [
                _p(f"as uploaded:  {d.sha256_before}", _MONO),
                _p(f"as completed: {d.sha256_after}", _MONO),
            ],
        ]
        for d in documents
    ]
    return [_table(["Document", "SHA-256"], rows, [0.3, 0.7])]


def _recipients_section(recipients: Sequence[RecipientEvidence]) -> list[Flowable]:
    rows = [
        [
            _p(str(r.order)),
            _p(f"{r.name} / {r.email}"),
            _p(r.role),
            _p(r.authentication),
            _p(f"{r.action} at {_when(r.acted_at)}"),
            _p(f"{r.ip_address or '-'}; {r.user_agent or '-'}"),
        ]
        for r in recipients
    ]
    header = ["#", "Recipient", "Role", "Authentication", "Action", "IP address; user agent"]
    return [_table(header, rows, [0.05, 0.25, 0.12, 0.14, 0.2, 0.24])]


NO_CONSENT = "No consent sentence was shown (the signature was given through the API)."
_IMAGE_MAX = (70 * mm, 24 * mm)


def _image(png: bytes | None) -> Flowable:
    if not png:
        return _p("no image")
    image = Image(io.BytesIO(png))
    scale = min(_IMAGE_MAX[0] / image.imageWidth, _IMAGE_MAX[1] / image.imageHeight, 1.0)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    image.hAlign = "LEFT"
    return image


def _recipient_detail(r: RecipientEvidence) -> Flowable:
    done = r.action.lower() if r.acted_at else "signed / declined"
    rows: list[list[object]] = [
        [_p(f"{r.order}. {r.name} <{r.email}>", _HEAD), ""],
        [_p("Sent", _HEAD), _p(_when(r.sent_at) if r.sent_at else "not recorded")],
        [_p("Viewed", _HEAD), _p(_when(r.viewed_at) if r.viewed_at else "not viewed")],
        [_p(done.capitalize(), _HEAD), _p(_when(r.acted_at) if r.acted_at else "not yet")],
        [_p("Consent accepted", _HEAD), _p(r.consent_text or NO_CONSENT)],
    ]
    for adoption in r.adoptions:
        rows.append([_p("Signature adopted", _HEAD), _p(adoption, _MONO)])
    for s in r.signatures:
        rows.append(
            [
                _p(f"Signature: {s.field}", _HEAD),
                [
                    _p(f"{s.document}, signed {_when(s.signed_at)}"),
                    _p(
                        f"certificate serial {s.certificate_serial or 'not found in the document'}"
                        + (f" ({s.certificate_subject})" if s.certificate_subject else ""),
                        _MONO,
                    ),
                    _image(s.image_png),
                ],
            ]
        )
    table = LongTable(rows, colWidths=[0.25 * _WIDTH, 0.75 * _WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return KeepTogether([table, Spacer(0, 3 * mm)])


def _recipient_details_section(recipients: Sequence[RecipientEvidence]) -> list[Flowable]:
    return [_recipient_detail(r) for r in recipients]


def _values_section(values: Sequence[ValueEvidence]) -> list[Flowable]:
    if not values:
        return [_p("No form values were entered.")]
    rows = [
        [_p(v.document), _p(v.field), _p(v.value), _p(v.by), _p(_when(v.at)), _p(v.revision)]
        for v in values
    ]
    header = ["Document", "Field", "Value", "Entered by", "Entered at", "In revision"]
    return [_table(header, rows, [0.14, 0.14, 0.22, 0.18, 0.16, 0.16])]


def _history_section(history: Sequence[HistoryEvidence]) -> list[Flowable]:
    rows: list[list[object]] = []
    spans: list[tuple[str, tuple[int, int], tuple[int, int]]] = []
    for entry in history:
        rows.append(
            [
                _p(str(entry.id)),
                _p(_when(entry.at)),
                _p(entry.action),
                _p(entry.user),
                _p(entry.ip_address),
                _p(entry.details),
            ]
        )
        rows.append([_p(f"entry hash {entry.entry_hash}", _MONO), "", "", "", "", ""])
        spans.append(("SPAN", (0, len(rows)), (-1, len(rows))))
    table = _table(
        ["#", "Time", "Action", "User", "IP address", "Details"],
        rows,
        [0.06, 0.17, 0.15, 0.2, 0.12, 0.3],
    )
    table.setStyle(TableStyle(spans))
    return [table]


def render_evidence_report(data: EvidenceData) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Process Evidence Report - {data.package.name}",
        author="Signflow",
        invariant=1,
    )
    story: list[Flowable] = [
        Paragraph("Process Evidence Report", _STYLES["Title"]),
        _p(f"Generated {_when(data.generated_at)}"),
        Spacer(0, 4 * mm),
        *_package_section(data.package),
        Paragraph("Documents", _STYLES["Heading2"]),
        *_documents_section(data.documents),
        Paragraph("Recipients", _STYLES["Heading2"]),
        *_recipients_section(data.recipients),
        Paragraph("Each recipient: times, consent, signatures", _STYLES["Heading2"]),
        *_recipient_details_section(data.recipients),
        Paragraph("Form values", _STYLES["Heading2"]),
        *_values_section(data.values),
        Paragraph("History", _STYLES["Heading2"]),
        *_history_section(data.history),
        Spacer(0, 4 * mm),
        _p("Head of the history hash chain:", _HEAD),
        _p(data.chain_head, _MONO),
    ]

    def footer(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(
            A4[0] - 15 * mm, 8 * mm, f"{data.package.name} - page {template.page}"
        )

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
