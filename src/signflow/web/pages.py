"""Rendering the signer pages: templates, security headers, and the page's view of a package."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import BaseRoute, Match

from signflow import __version__
from signflow.accounts.principal import Principal
from signflow.faces.routing import get_context
from signflow.identity.checks import MAX_FAILURES
from signflow.identity.methods import signing_code_channel
from signflow.models import (
    Field,
    FieldKind,
    Package,
    ProcessStatus,
    Recipient,
    RecipientIdentity,
    WorkflowStatus,
)
from signflow.packages.access import PackageAccess
from signflow.packages.documents import list_documents
from signflow.web.branding import accent_stylesheet_url, logo_url, page_branding
from signflow.web.i18n import (
    DEFAULT_LANGUAGE,
    Translator,
    from_accept_language,
    language_names,
    languages,
    supported,
)
from signflow.web.session import WebSession
from signflow.workflow.common import (
    SIGNING_ROLES,
    next_to_act,
    package_recipients,
    turn_is_open,
)
from signflow.workflow.completeness import Requirement, requirements
from signflow.workflow.field_values import (
    FIXED_KINDS,
    IDENTITY_KINDS,
    SIGNATURE_KINDS,
    choices_of,
    date_format,
    identity_value,
    radio_group,
)
from signflow.workflow.fields import list_fields
from signflow.workflow.signer_identity import SignerIdentity, signer_identity

NONE = "'none'"
ResponseT = TypeVar("ResponseT", bound=Response)
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/web/static"
# Page images are rendered at this resolution; CSS scales them to the screen.
PAGE_DPI = 96

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def choose_language(request: Request, web: WebSession | None) -> str:
    """The page's language: `?lang=`, else the session's, else the known reader's own
    (`request.state.reader_language`), else the browser's, else English."""
    asked = supported(request.query_params.get("lang"))
    if asked:
        return asked
    if web is not None and web.language:
        return web.language
    # A page whose reader is known without a session (the owner's progress page).
    reader = supported(getattr(request.state, "reader_language", None))
    if reader:
        return reader
    return from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


def switch_path(request: Request, web: WebSession | None) -> str | None:
    """Where the language switch's links go (with `?lang=`): this page when it is a GET,
    the package page after a signer's form post, else this path if it also answers GET
    (the activation form); None when no page can show it again (no switch then)."""
    if request.method == "GET":
        return request.url.path
    if web is not None and web.recipient:
        return "/web/package"
    scope = {**request.scope, "method": "GET"}
    for route in request.app.router.routes:
        if isinstance(route, BaseRoute) and route.matches(scope)[0] == Match.FULL:
            return request.url.path
    return None


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def frame_sources(domains: tuple[str, ...]) -> str:
    """CSP frame-ancestors sources for an application's allowed domains."""
    sources = []
    for domain in domains:
        domain = domain.strip().rstrip("/")
        if not domain:
            continue
        if "://" in domain:
            origin = origin_of(domain)
            if origin:
                sources.append(origin)
        elif all(c.isalnum() or c in ".-*:" for c in domain):
            sources.append(f"https://{domain}")
    return " ".join(sources)


def security_headers(
    response: ResponseT, web: WebSession | None, return_url: str | None = None
) -> ResponseT:
    """Headers on every signer page: no inline script, no referrer, no caching.

    `return_url`: where a form of the page may send the browser after the post
    (a signature request's resulturl), besides an integration session's callback.
    """
    form_action = "'self'"
    for url in (web.callback_url if web is not None else None, return_url):
        target = origin_of(url) if url else None
        if target and target not in form_action:
            # Chrome applies form-action to the redirect that follows a form post.
            form_action += f" {target}"
    ancestors = frame_sources(web.frame_ancestors) if web is not None else ""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
        "img-src 'self' data: blob:; "
        f"connect-src 'self'; form-action {form_action}; base-uri 'none'; "
        f"frame-ancestors {ancestors or NONE}"
    )
    if not ancestors:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def consent_text(request: Request, web: WebSession | None) -> str:
    """The consent sentence shown beside Sign, in the page's language (or the installation's
    own wording, SIGNFLOW_SIGNING_CONSENT_TEXT); recorded with each signature given here."""
    configured: str = get_context(request).settings.signing_consent_text.strip()
    return configured or Translator(choose_language(request, web))("sign.consent")


def layout_values(request: Request, language: str, switch: str | None) -> dict[str, object]:
    """What base.html needs on every page, the signer's and the app's: texts in the page's
    language, the language switch, the enterprise's branding and the static files' URLs."""
    branding = page_branding(request)
    return {
        "t": Translator(language),
        "lang": language,
        "languages": languages(),
        "language_names": language_names(),
        "switch_path": switch,
        "branding": branding,
        "accent_css": accent_stylesheet_url(branding),
        "logo_url": logo_url(branding),
        "static": lambda name: f"{STATIC_PATH}/{name}?v={__version__}",
    }


def render(
    request: Request,
    template: str,
    web: WebSession | None,
    status_code: int = 200,
    return_url: str | None = None,
    **values: object,
) -> HTMLResponse:
    html = environment.get_template(template).render(
        **layout_values(request, choose_language(request, web), switch_path(request, web)),
        csrf=web.csrf if web is not None else "",
        consent=consent_text(request, web),
        **values,
    )
    return security_headers(HTMLResponse(html, status_code=status_code), web, return_url)


@dataclass(frozen=True)
class FieldView:
    field_id: int
    anchor: str
    document_id: int
    name: str
    kind: str
    page_no: int
    left: float
    top: float
    width: float
    height: float
    signed: bool
    value: str | None
    required: bool
    code_channel: str | None = None  # "email" or "sms" when signing asks for a code
    choices: tuple[str, ...] = ()
    group: str | None = None  # a radio button's group
    date_format: str | None = None
    shown: str | None = None  # an identity field's value, from the signer's identity
    # The guide leads here: finishing needs it (the core's rule) and it is not yet done
    # (a date that takes the signing date, or a company the identity gives, is done).
    needed: bool = False
    placeholder: str | None = None  # the hint the API gave a text field

    @property
    def is_signature(self) -> bool:
        return self.kind in SIGNATURE_KINDS

    @property
    def is_initials(self) -> bool:
        return self.kind == FieldKind.INITIALS.value

    @property
    def input_type(self) -> str:
        """How the page asks for the value: checkbox, radio, select, listbox, date, text, or
        fixed (a name or email from the signer's identity, shown, not typed)."""
        if self.kind in FIXED_KINDS:
            return "fixed"
        return {
            FieldKind.CHECKBOX.value: "checkbox",
            FieldKind.RADIO.value: "radio",
            FieldKind.DROPDOWN.value: "select",
            FieldKind.LISTBOX.value: "listbox",
            FieldKind.DATE.value: "date",
        }.get(self.kind, "text")

    @property
    def form_name(self) -> str:
        """The form control's name: radio buttons share their group's."""
        if self.group is not None:
            return f"{self.document_id}:group:{self.group}"
        return f"{self.document_id}:{self.name}"

    @property
    def style(self) -> str:
        return (
            f"--l:{self.left:.3f}%;--t:{self.top:.3f}%;--w:{self.width:.3f}%;--h:{self.height:.3f}%"
        )


@dataclass(frozen=True)
class PageView:
    number: int
    width_pt: float
    height_pt: float
    fields: list[FieldView]


@dataclass(frozen=True)
class DocumentView:
    id: int
    name: str
    pages: list[PageView]


@dataclass(frozen=True)
class PersonView:
    name: str
    role: str
    status: str
    is_me: bool
    is_next: bool


@dataclass(frozen=True)
class PackageView:
    package: Package
    me: Recipient
    documents: list[DocumentView]
    people: list[PersonView]
    can_act: bool
    can_finish: bool
    fields_total: int
    fields_left: int
    can_download: bool
    tries_left: int = MAX_FAILURES
    # Documents I signed: my values there are in the PDF and cannot change.
    signed_documents: frozenset[int] = frozenset()
    # What keeps Finish disabled, by name, in order (the core's rule).
    missing: tuple[str, ...] = ()

    @property
    def my_fields(self) -> list[FieldView]:
        return [f for d in self.documents for p in d.pages for f in p.fields]

    @property
    def fillable(self) -> list[FieldView]:
        """Fields I can still give a value to (not signatures, not my verified name or email,
        not in a document I signed)."""
        return [
            f
            for f in self.my_fields
            if not f.is_signature
            and f.input_type != "fixed"
            and f.document_id not in self.signed_documents
        ]

    @property
    def unsigned(self) -> list[FieldView]:
        """My signature and initials fields still to sign."""
        return [f for f in self.my_fields if f.is_signature and not f.signed]

    def editable(self, field: FieldView) -> bool:
        return self.can_act and field in self.fillable

    @property
    def is_signer(self) -> bool:
        return self.me.role in SIGNING_ROLES


def _field_view(
    field: Field,
    document_id: int,
    number: int,
    width: float,
    height: float,
    identity: SignerIdentity,
) -> FieldView:
    shown = None
    if field.kind in IDENTITY_KINDS:
        shown = identity_value(field.kind, identity)
    return FieldView(
        field_id=field.id,
        anchor=f"field-{document_id}-{field.id}",
        document_id=document_id,
        name=field.name,
        kind=field.kind,
        page_no=number,
        left=field.x / width * 100,
        top=(height - field.y - field.height) / height * 100,
        width=field.width / width * 100,
        height=field.height / height * 100,
        signed=field.signed_at is not None,
        value=field.value,
        required=field.required,
        code_channel=signing_code_channel(field),
        choices=tuple(choices_of(field)),
        group=radio_group(field) if field.kind == FieldKind.RADIO.value else None,
        date_format=date_format(field) if field.kind == FieldKind.DATE.value else None,
        shown=shown,
        placeholder=_placeholder(field),
    )


def _placeholder(field: Field) -> str | None:
    hint = field.options.get("placeholder")
    return hint if isinstance(hint, str) and hint else None


async def package_view(
    session: AsyncSession,
    access: PackageAccess,
    me: Recipient,
    principal: Principal,
    *,
    preview: bool = False,
) -> PackageView:
    """What the package page shows to `me`; `preview`: as the sender previews it for
    `me` (the recipient's own identity, not the sender's)."""
    package = access.package
    documents = await list_documents(session, package.id)
    identity = await signer_identity(session, me, None if preview else principal.user)
    views: list[DocumentView] = []
    mine: list[Field] = []
    for document in documents:
        placed = await list_fields(session, principal, package.id, document.id)
        mine += [item.field for item in placed if item.field.recipient_id == me.id]
        pages: list[PageView] = []
        for number, (width, height) in enumerate(document.pages, start=1):
            fields = [
                _field_view(item.field, document.id, number, width, height, identity)
                for item in placed
                if item.field.page_no == number and item.field.recipient_id == me.id
            ]
            pages.append(PageView(number, width, height, fields))
        views.append(DocumentView(document.id, document.name, pages))
    # The same rule as finishing: what is left is what finishing would refuse.
    todo = requirements(mine, me.id, identity, me.role)
    left = sum(1 for item in todo if not item.done)
    views = [_with_needs(document, todo) for document in views]
    everyone = await package_recipients(session, package.id)
    next_ids = next_to_act(package.status, list(everyone))
    people = [
        PersonView(
            r.name or r.email,
            r.role,
            r.process_status,
            r.id == me.id,
            r.id in next_ids and r.process_status != ProcessStatus.BLOCKED.value,
        )
        for r in everyone
    ]
    shared = package.status == WorkflowStatus.SHARED.value
    my_turn = shared and turn_is_open(me)
    can_act = my_turn and me.process_status == ProcessStatus.IN_PROGRESS.value
    can_finish = my_turn and me.role in SIGNING_ROLES and left == 0
    signed_here = {f.document_id for f in mine if f.signed_at is not None}
    record = await session.get(RecipientIdentity, me.id)
    return PackageView(
        package=package,
        me=me,
        documents=views,
        people=people,
        can_act=can_act,
        can_finish=can_finish,
        fields_total=len(todo),
        fields_left=left,
        can_download=me.permissions.get("download", True) is not False,
        tries_left=tries_left(record),
        signed_documents=frozenset(signed_here),
        missing=tuple(dict.fromkeys(item.name for item in todo if not item.done)),
    )


def _with_needs(document: DocumentView, todo: list[Requirement]) -> DocumentView:
    """Mark the fields the guide leads to: a requirement of the core's rule, not done yet
    by a default (a field the signer emptied again is still needed)."""
    by_field = {item.field_id: item for item in todo if item.field_id is not None}
    groups = {(item.document_id, item.name) for item in todo if item.field_id is None}
    pages = []
    for page in document.pages:
        fields = []
        for field in page.fields:
            if field.group is not None:
                needed = (field.document_id, field.group) in groups
            else:
                item = by_field.get(field.field_id)
                needed = item is not None and not (item.done and not field.value)
            fields.append(replace(field, needed=needed and not field.signed))
        pages.append(replace(page, fields=fields))
    return replace(document, pages=pages)


def tries_left(identity: RecipientIdentity | None) -> int:
    """What the pages show: three tries, less the failures since the last success."""
    return max(0, MAX_FAILURES - (identity.failures if identity is not None else 0))
