"""Templates on the prepare pages: "Save as template" from a draft (`POST
settings/templates`), and "Start from a template" on `/app/new` (`POST
settings/templates/{id}/packages`: a new draft as the API makes it, then its prepare
page). The templates offered are those the user may apply, personal and the
enterprise's (`GET settings/templates`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.faces.routing import get_context, get_session
from signflow.faces.signinghub.deps import request_actor
from signflow.models import Template
from signflow.packages.access import Need
from signflow.templates.apply import create_from_template
from signflow.templates.library import MAX_PER_PAGE, list_templates, save_template
from signflow.web.app.form_values import read_form
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import finish
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal

# Every form's token is checked by the router (`csrf.check_csrf`).
router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

SAVE = "/app/new/{package_id}/template"
START = "/app/new/templates/{template_id}"


def _redirect(request: Request, target: str) -> Response:
    return finish(request, RedirectResponse(target, status_code=303))


@dataclass(frozen=True)
class TemplateChoices:
    templates: list[Template]
    total: int
    saved: Template | None


async def template_choices(request: Request, principal: Principal) -> TemplateChoices:
    """What `/app/new` shows to start from: the first templates by name, and the one just
    saved (`?saved=`)."""
    templates, total = await list_templates(
        get_session(request), principal, 1, MAX_PER_PAGE, search=None, enterprise=None
    )
    saved_id = request.query_params.get("saved", "")
    saved = next((t for t in templates if str(t.id) == saved_id), None)
    return TemplateChoices(templates, total, saved)


@router.post(SAVE)
async def save_as_template(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """`POST settings/templates` with this draft: its documents, recipients, fields and
    settings become version 1 of a new template."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    saved = await save_template(
        session,
        principal,
        request_actor(request, principal),
        package_id,
        name=form.text("template_name", 255),
        shared=form.flag("shared"),
        placeholders={},
    )
    return _redirect(request, f"/app/new?saved={saved.template.id}#templates")


@router.post(START)
async def start_from_template(
    template_id: int, request: Request, principal: PrincipalDep
) -> Response:
    """`POST settings/templates/{id}/packages`: a new draft, then its prepare page."""
    form = await read_form(request)
    package = await create_from_template(
        get_session(request),
        principal,
        request_actor(request, principal),
        get_context(request).blobs,
        template_id,
        package_name=form.text("package_name", 255) or None,
        fills=[],
    )
    return _redirect(request, f"/app/new/{package.id}")
