"""The Process Evidence Report: a PDF record of a package's documents, recipients and history."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from signflow.pdf.evidence_data import (
    DocumentEvidence,
    EvidenceData,
    HistoryEvidence,
    PackageInfo,
    RecipientEvidence,
    SignatureEvidence,
    ValueEvidence,
)
from signflow.pdf.page_layout import (
    MARGIN,
    PAD,
    WIDTH,
    Band,
    Cell,
    Font,
    Pages,
    Row,
    picture,
    text_cell,
    wrap,
)

_BODY = Font("Helvetica", 8, 10)
_HEAD = Font("Helvetica-Bold", 8, 10)
_MONO = Font("Courier", 6.5, 8)
_TITLE = Font("Helvetica-Bold", 18, 22)
_HEADING = Font("Helvetica-Bold", 14, 18)
_FOOTER = Font("Helvetica", 7, 8)
NO_CONSENT = "No consent sentence was shown (the signature was given through the API)."
_IMAGE_MAX = (70 * mm, 24 * mm)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else "-"


def _header(titles: Sequence[str], widths: Sequence[float]) -> Band:
    return Band(
        [text_cell(w * WIDTH, t, _HEAD, shaded=True) for t, w in zip(titles, widths, strict=True)]
    )


def _band(texts: Sequence[str | None], widths: Sequence[float]) -> Band:
    return Band([text_cell(w * WIDTH, t, _BODY) for t, w in zip(texts, widths, strict=True)])


def _heading(pages: Pages, title: str) -> None:
    pages.space(12)
    # A heading is not left alone at the foot of a page.
    pages.ensure(_HEADING.leading + 6 + 4 * _BODY.leading)
    pages.lines(wrap(title, _HEADING, WIDTH))
    pages.space(6)


def _package_rows(package: PackageInfo) -> list[Row]:
    facts = [
        ("Package", f"{package.name} (id {package.id})"),
        ("Owner", package.owner),
        ("Status", package.status),
        ("Created", _when(package.created_at)),
        ("Completed", _when(package.completed_at)),
    ]
    return [
        [Band([text_cell(0.2 * WIDTH, k, _HEAD), text_cell(0.8 * WIDTH, v, _BODY)])]
        for k, v in facts
    ]


_DOCUMENT_WIDTHS = (0.3, 0.7)


def _document_rows(documents: Sequence[DocumentEvidence]) -> list[Row]:
    hashes_width = _DOCUMENT_WIDTHS[1] * WIDTH
    return [
        [
            Band(
                [
                    text_cell(_DOCUMENT_WIDTHS[0] * WIDTH, d.name, _BODY),
                    Cell(
                        hashes_width,
                        [
                            *wrap(f"as uploaded: {d.sha256_before}", _MONO, hashes_width - 2 * PAD),
                            *wrap(f"as completed: {d.sha256_after}", _MONO, hashes_width - 2 * PAD),
                        ],
                    ),
                ]
            )
        ]
        for d in documents
    ]


_RECIPIENT_WIDTHS = (0.05, 0.25, 0.12, 0.14, 0.2, 0.24)


def _recipient_rows(recipients: Sequence[RecipientEvidence]) -> list[Row]:
    return [
        [
            _band(
                [
                    str(r.order),
                    f"{r.name} / {r.email}",
                    r.role,
                    r.authentication,
                    f"{r.action} at {_when(r.acted_at)}",
                    f"{r.ip_address or '-'}; {r.user_agent or '-'}",
                ],
                _RECIPIENT_WIDTHS,
            )
        ]
        for r in recipients
    ]


_LABEL, _VALUE = 0.25 * WIDTH, 0.75 * WIDTH


def _fact(label: str, value: str, font: Font = _BODY) -> Band:
    return Band([text_cell(_LABEL, label, _HEAD), text_cell(_VALUE, value, font)])


def _signature_band(s: SignatureEvidence) -> Band:
    inner = _VALUE - 2 * PAD
    serial = f"certificate serial {s.certificate_serial or 'not found in the document'}" + (
        f" ({s.certificate_subject})" if s.certificate_subject else ""
    )
    image = [picture(s.image_png, *_IMAGE_MAX)] if s.image_png else wrap("no image", _BODY, inner)
    value = Cell(
        _VALUE,
        [
            *wrap(f"{s.document}, signed {_when(s.signed_at)}", _BODY, inner),
            *wrap(serial, _MONO, inner),
            *image,
        ],
    )
    return Band([text_cell(_LABEL, f"Signature: {s.field}", _HEAD), value])


def _recipient_detail(r: RecipientEvidence) -> Row:
    """One recipient's facts, kept on one page."""
    done = r.action.lower() if r.acted_at else "signed / declined"
    return [
        Band([text_cell(WIDTH, f"{r.order}. {r.name} <{r.email}>", _HEAD, shaded=True)]),
        _fact("Sent", _when(r.sent_at) if r.sent_at else "not recorded"),
        _fact("Viewed", _when(r.viewed_at) if r.viewed_at else "not viewed"),
        _fact(done.capitalize(), _when(r.acted_at) if r.acted_at else "not yet"),
        _fact("Consent accepted", r.consent_text or NO_CONSENT),
        *(_fact("Signature adopted", adoption, _MONO) for adoption in r.adoptions),
        *(_signature_band(s) for s in r.signatures),
    ]


_VALUE_WIDTHS = (0.14, 0.14, 0.22, 0.18, 0.16, 0.16)
_VALUE_HEADER = ("Document", "Field", "Value", "Entered by", "Entered at", "In revision")


def _value_rows(values: Sequence[ValueEvidence]) -> list[Row]:
    return [
        [_band([v.document, v.field, v.value, v.by, _when(v.at), v.revision], _VALUE_WIDTHS)]
        for v in values
    ]


_HISTORY_WIDTHS = (0.06, 0.17, 0.15, 0.2, 0.12, 0.3)
_HISTORY_HEADER = ("#", "Time", "Action", "User", "IP address", "Details")


def _history_rows(history: Sequence[HistoryEvidence]) -> list[Row]:
    """Each entry with its hash on a full-width line below, the two kept together."""
    return [
        [
            _band(
                [
                    str(entry.id),
                    _when(entry.at),
                    entry.action,
                    entry.user,
                    entry.ip_address,
                    entry.details,
                ],
                _HISTORY_WIDTHS,
            ),
            Band([text_cell(WIDTH, f"entry hash {entry.entry_hash}", _MONO)]),
        ]
        for entry in history
    ]


def render_evidence_report(data: EvidenceData) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setTitle(f"Process Evidence Report - {data.package.name}")
    canvas.setAuthor("Signflow")
    canvas.setSubject("(unspecified)")
    canvas.setCreator("(unspecified)")

    def footer(canvas: Canvas, page: int) -> None:
        canvas.setFont(_FOOTER.name, _FOOTER.size)
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, f"{data.package.name} - page {page}")

    pages = Pages(canvas, footer)
    pages.lines(wrap("Process Evidence Report", _TITLE, WIDTH), centred=True)
    pages.space(6)
    pages.lines(wrap(f"Generated {_when(data.generated_at)}", _BODY, WIDTH))
    pages.space(4 * mm)
    pages.table(_package_rows(data.package))
    _heading(pages, "Documents")
    pages.table(_document_rows(data.documents), _header(("Document", "SHA-256"), _DOCUMENT_WIDTHS))
    _heading(pages, "Recipients")
    pages.table(
        _recipient_rows(data.recipients),
        _header(
            ("#", "Recipient", "Role", "Authentication", "Action", "IP address; user agent"),
            _RECIPIENT_WIDTHS,
        ),
    )
    _heading(pages, "Each recipient: times, consent, signatures")
    for recipient in data.recipients:
        pages.table([_recipient_detail(recipient)])
        pages.space(3 * mm)
    _heading(pages, "Form values")
    if data.values:
        pages.table(_value_rows(data.values), _header(_VALUE_HEADER, _VALUE_WIDTHS))
    else:
        pages.lines(wrap("No form values were entered.", _BODY, WIDTH))
    _heading(pages, "History")
    pages.table(_history_rows(data.history), _header(_HISTORY_HEADER, _HISTORY_WIDTHS))
    pages.space(4 * mm)
    pages.ensure(_HEAD.leading + 2 * _MONO.leading)
    pages.lines(wrap("Head of the history hash chain:", _HEAD, WIDTH))
    pages.lines(wrap(data.chain_head, _MONO, WIDTH))
    pages.finish()
    return out.getvalue()
