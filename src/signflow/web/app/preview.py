"""Preview as a recipient `/app/new/{id}/preview?order=N`: the package as the recipient
at `order` will see it, through the signer page's own view (`pages.package_view`) and
its field markup (`_package_fields.html`), read-only; the other recipients' fields are
shown as theirs. A read: nothing is recorded in the history and no mail goes out."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request, Response

from signflow.accounts.principal import Principal
from signflow.errors import BadRequest
from signflow.faces.routing import get_session
from signflow.packages.access import Need
from signflow.web.app.document_pages import app_page
from signflow.web.app.package_access import readable_package
from signflow.web.app.placement import prepared_documents
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.web.pages import package_view
from signflow.workflow.settings import get_workflow

router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

PREVIEW = "/app/new/{package_id}/preview"


@router.get(PREVIEW)
async def preview_page(
    package_id: int, request: Request, principal: PrincipalDep, order: str = ""
) -> Response:
    session = get_session(request)
    access = await readable_package(session, principal, package_id, Need.OWN)
    workflow = await get_workflow(session, principal, package_id)
    recipients = list(workflow.recipients)
    chosen = None
    if order.strip():
        if not order.strip().isdigit():
            raise BadRequest("prepare.bad_value", value="order")
        chosen = next((r for r in recipients if r.position == int(order)), None)
        if chosen is None:
            raise BadRequest("prepare.bad_value", value="order")
    elif recipients:
        chosen = recipients[0]
    view = None
    others = None
    if chosen is not None:
        seen = await package_view(session, access, chosen, principal, preview=True)
        # Read-only whatever the package's state: no action, no finishing.
        view = replace(seen, can_act=False, can_finish=False, can_download=False)
        placed = await prepared_documents(session, principal, package_id, workflow.documents)
        others = {
            (document.id, page.number): [f for f in page.fields if f.order != chosen.position]
            for document in placed
            for page in document.pages
        }
    return app_page(
        request,
        principal,
        "app/preview.html",
        package=workflow.package,
        recipients=recipients,
        chosen=chosen,
        view=view,
        others=others,
        adoption=None,
        prepare_url=f"/app/new/{package_id}",
        viewer_url=f"/app/viewer/{package_id}",
    )
