"""`/app/viewer/{id}`: a package for its owner or a recipient: its pages, recipients and
their status, history, signature verification and downloads.

Everything is read through the calls behind the API's `GET /packages/{id}/workflow`,
`/log`, `/verification`, `/packages/{id}` (PDF or ZIP), `/report` and the page images.
A recipient whose turn is open goes on to the signer pages (`act`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.audit.evidence import evidence_report
from signflow.db import utcnow
from signflow.errors import Forbidden
from signflow.faces.routing import get_context, get_session
from signflow.identity.checks import require_all_opened
from signflow.models import Document, Package, Recipient, WorkflowStatus
from signflow.packages.content import package_file, page_image_sha256
from signflow.packages.documents import get_document
from signflow.retention.policy import require_content
from signflow.signing.service import verify_document
from signflow.signing.verify import SignatureReport
from signflow.web.app.document_pages import app_page
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import app_language, finish
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.web.pages import PAGE_DPI
from signflow.web.progress import history_rows, iso, people_rows, when
from signflow.web.routes import PACKAGE_PAGE, pdf_attachment
from signflow.web.session import new_session, write_session
from signflow.workflow.common import turn_is_open
from signflow.workflow.history import list_history
from signflow.workflow.settings import get_workflow

router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]
VIEWER = "/app/viewer/{package_id}"
VERSION_CHARS = 20


@dataclass(frozen=True)
class PageImage:
    number: int
    url: str
    width_pt: float
    height_pt: float


@dataclass(frozen=True)
class DocumentShown:
    id: int
    name: str
    pages: list[PageImage]
    signatures: list[SignatureReport]


def _page_url(package_id: int, document: Document, number: int) -> str:
    base = VIEWER.format(package_id=package_id)
    return f"{base}/documents/{document.id}/pages/{number}.png"


async def _documents(
    request: Request, package: Package, documents: list[Document], verify: bool
) -> list[DocumentShown]:
    session, context = get_session(request), get_context(request)
    shown = []
    for document in documents:
        signatures: list[SignatureReport] = []
        if verify:
            signatures = await verify_document(session, context, package.enterprise_id, document)
        pages = [
            PageImage(number, _page_url(package.id, document, number), width, height)
            for number, (width, height) in enumerate(document.pages, start=1)
        ]
        shown.append(DocumentShown(document.id, document.name, pages, signatures))
    return shown


def my_open_turn(recipients: tuple[Recipient, ...]) -> Recipient | None:
    return next((r for r in recipients if turn_is_open(r)), None)


@router.get(VIEWER)
async def viewer(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    session = get_session(request)
    access = await readable_package(session, principal, package_id)
    view = await get_workflow(session, principal, package_id)
    package = view.package
    # Document-opening security holds for the content (pages, files), as in the API.
    try:
        await require_all_opened(session, access.recipients, utcnow())
        content = package.purged_at is None
    except Forbidden:
        content = False
    signed = package.status in (WorkflowStatus.SHARED.value, WorkflowStatus.COMPLETED.value)
    documents = await _documents(request, package, view.documents, content and signed)
    _, entries = await list_history(session, principal, package_id)
    people = people_rows(view.recipients, package.status)
    turn = my_open_turn(access.recipients)
    return app_page(
        request,
        principal,
        "app/viewer.html",
        package=package,
        is_owner=access.is_owner,
        content=content,
        documents=documents,
        people=people,
        next_people=[p for p in people if p.is_next],
        history=history_rows(entries),
        completed=package.status == WorkflowStatus.COMPLETED.value,
        can_act=turn is not None and package.status == WorkflowStatus.SHARED.value,
        viewer_url=VIEWER.format(package_id=package.id),
        when=when,
        iso=iso,
    )


@router.get(VIEWER + "/documents/{document_id}/pages/{page_no}.png")
async def page_png(
    package_id: int,
    document_id: int,
    page_no: int,
    request: Request,
    principal: PrincipalDep,
) -> Response:
    session = get_session(request)
    access = await readable_package(session, principal, package_id)
    await require_all_opened(session, access.recipients, utcnow())
    document = await get_document(session, access, document_id)
    blobs = get_context(request).blobs
    current = await page_image_sha256(session, blobs, document, page_no, PAGE_DPI)
    response = Response(await blobs.get(current), media_type="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(VIEWER + "/download")
async def download(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """The package's one PDF, or its documents in a ZIP (the API's `GET packages/{id}`)."""
    session = get_session(request)
    access = await readable_package(session, principal, package_id)
    await require_all_opened(session, access.recipients, utcnow())
    file = await package_file(session, get_context(request).blobs, access.package)
    if not file.is_zip:
        return pdf_attachment(file.data, file.file_name)
    return _attachment(file.data, file.file_name, "application/zip")


@router.get(VIEWER + "/documents/{document_id}/file")
async def document_file(
    package_id: int, document_id: int, request: Request, principal: PrincipalDep
) -> Response:
    session = get_session(request)
    access = await readable_package(session, principal, package_id)
    await require_all_opened(session, access.recipients, utcnow())
    require_content(access.package)
    document = await get_document(session, access, document_id)
    data = await get_context(request).blobs.get(document.current_sha256)
    return pdf_attachment(data, document.name)


@router.get(VIEWER + "/report")
async def report(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """The Process Evidence Report (made and stored by its first reader)."""
    session = get_session(request)
    access = await readable_package(session, principal, package_id)
    require_content(access.package)
    pdf = await evidence_report(session, get_context(request), access.package)
    return pdf_attachment(pdf, f"{access.package.name} - evidence report.pdf")


@router.post(VIEWER + "/act")
async def act(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """A recipient with an account acts through the signer pages, as their e-mail link
    would take them there: a signer session for their entry whose turn is open."""
    access = await readable_package(get_session(request), principal, package_id)
    turn = my_open_turn(access.recipients)
    if turn is None:
        raise Forbidden("app.viewer.not_your_turn")
    web = new_session(turn.public_id, app_language(request))
    response = RedirectResponse(PACKAGE_PAGE, status_code=303)
    write_session(response, get_context(request).settings, web)
    return finish(request, response)


def _attachment(data: bytes, name: str, media_type: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "._- " else "_" for c in name)
    response = Response(data, media_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
