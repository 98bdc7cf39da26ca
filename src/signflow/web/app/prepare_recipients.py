"""The recipients of a draft on the prepare page `/app/new/{id}`: people typed or taken
from the contacts, and Remove.

Each form is one core call, the one behind the API route named beside it; the page holds
no rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.contacts.book import MAX_PER_PAGE as MAX_CONTACTS
from signflow.contacts.book import list_contacts
from signflow.contacts.recipients import person_of
from signflow.errors import BadRequest
from signflow.faces.routing import get_session
from signflow.faces.signinghub.deps import request_actor
from signflow.models import Contact, RecipientRole
from signflow.packages.access import Need
from signflow.web.app.form_values import FormValues, read_form
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import finish
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.workflow.recipients import NewRecipient, add_recipients, delete_recipient

router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

PREPARE = "/app/new/{package_id}"
ROLES = (RecipientRole.SIGNER, RecipientRole.REVIEWER, RecipientRole.CARBON_COPY)


def _back(request: Request, package_id: int) -> Response:
    target = PREPARE.format(package_id=package_id) + "#recipients"
    return finish(request, RedirectResponse(target, status_code=303))


@dataclass(frozen=True)
class RecipientChoices:
    """What the recipients section offers besides the recipients themselves."""

    contacts: list[Contact]
    roles: list[str]


async def recipient_choices(
    session: AsyncSession, principal: Principal, request: Request
) -> RecipientChoices:
    # The first contacts by name, personal and the enterprise's (`GET settings/contacts`).
    contacts, _ = await list_contacts(
        session, principal, 1, MAX_CONTACTS, search=None, enterprise=None
    )
    return RecipientChoices(contacts=contacts, roles=[role.value for role in ROLES])


@router.post(PREPARE + "/recipients")
async def add_recipient(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """`POST packages/{id}/workflow/users` with one user: typed, or one of the contacts."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    role = _role(form)
    person = await person_of(
        session,
        principal,
        email=form.text("email", 254) or None,
        name=form.text("name", 255) or None,
        mobile_number=None,
        contact_id=form.optional_integer("contact_id", maximum=2**62),
    )
    item = NewRecipient(
        email=person.email,
        name=person.name,
        role=role,
        signing_order=form.optional_integer("signing_order"),
    )
    await add_recipients(session, principal, request_actor(request, principal), package_id, [item])
    return _back(request, package_id)


def _role(form: FormValues) -> RecipientRole:
    try:
        role = RecipientRole(form.text("role", 40) or RecipientRole.SIGNER.value)
    except ValueError as exc:
        raise BadRequest("prepare.bad_value", value="role") from exc
    if role not in ROLES:
        raise BadRequest("prepare.bad_value", value="role")
    return role


@router.post(PREPARE + "/recipients/{order}/delete")
async def remove_recipient(
    package_id: int, order: int, request: Request, principal: PrincipalDep
) -> Response:
    """`DELETE packages/{id}/workflow/{order}`."""
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    await delete_recipient(session, principal, request_actor(request, principal), package_id, order)
    return _back(request, package_id)
