"""Contacts: the caller's personal contacts (`settings/contacts`) and, for an enterprise
admin, the enterprise's (`enterprise/contacts`), which every user of the enterprise sees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import Field

from signflow.contacts.book import (
    ContactChange,
    NewContact,
    add_contact,
    delete_contact,
    list_contacts,
    update_contact,
)
from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.list_filters import list_filters, search_text
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import Contact

router = APIRouter(route_class=TransactionalRoute, tags=["contacts"])


class ContactCreate(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)
    user_name: str | None = Field(default=None, max_length=200)
    mobile_number: str | None = Field(default=None, max_length=40)


class ContactUpdate(VendorModel):
    user_name: str | None = Field(default=None, max_length=200)
    mobile_number: str | None = Field(default=None, max_length=40)


class ContactBody(VendorModel):
    contact_id: int
    user_email: str
    user_name: str
    mobile_number: str | None
    enterprise: bool
    created_on: str
    modified_on: str


def contact_body(contact: Contact) -> ContactBody:
    return ContactBody(
        contact_id=contact.id,
        user_email=contact.email,
        user_name=contact.name,
        mobile_number=contact.mobile_number,
        enterprise=contact.owner_id is None,
        created_on=contact.created_at.isoformat(),
        modified_on=contact.modified_at.isoformat(),
    )


async def _page(
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    records_per_page: int,
    page_no: int,
    search: str | None,
    enterprise: bool | None,
) -> list[ContactBody]:
    contacts, total = await list_contacts(
        session, principal, page_no, records_per_page, search=search, enterprise=enterprise
    )
    response.headers["x-total-records"] = str(total)
    return [contact_body(c) for c in contacts]


async def contacts_page(
    records_per_page: int,
    page_no: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    x_search_text: Annotated[str | None, Header()] = None,
    x_enterprise: Annotated[str | None, Header()] = None,
) -> list[ContactBody]:
    """The caller's personal contacts and their enterprise's (`x-enterprise`: only the
    enterprise's when true, only personal ones when false)."""
    search, enterprise = list_filters(x_search_text, x_enterprise)
    return await _page(principal, session, response, records_per_page, page_no, search, enterprise)


async def enterprise_contacts_page(
    records_per_page: int,
    page_no: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    x_search_text: Annotated[str | None, Header()] = None,
) -> list[ContactBody]:
    """The enterprise's contacts (every user may read them; only admins change them)."""
    search = search_text(x_search_text)
    return await _page(principal, session, response, records_per_page, page_no, search, True)


def serve_contact_scope(
    prefix: str, scope: str, page: Callable[..., Awaitable[list[ContactBody]]], *, enterprise: bool
) -> None:
    """Register adding, listing (`page`), changing and deleting one list of contacts: the
    caller's personal ones under `settings/contacts` or the enterprise's under
    `enterprise/contacts`, which differ only in that flag."""

    async def add(body: ContactCreate, principal: PrincipalDep, session: SessionDep) -> ContactBody:
        new = NewContact(
            email=body.user_email, name=body.user_name, mobile_number=body.mobile_number
        )
        return contact_body(await add_contact(session, principal, new, enterprise=enterprise))

    async def update(
        contact_id: int, body: ContactUpdate, principal: PrincipalDep, session: SessionDep
    ) -> ContactBody:
        change = ContactChange(name=body.user_name, mobile_number=body.mobile_number)
        return contact_body(
            await update_contact(session, principal, contact_id, change, enterprise=enterprise)
        )

    async def delete(contact_id: int, principal: PrincipalDep, session: SessionDep) -> Response:
        await delete_contact(session, principal, contact_id, enterprise=enterprise)
        return empty_ok()

    one = f"{prefix}/{{contact_id}}"
    router.add_api_route(
        prefix, add, methods=["POST"], response_model=ContactBody, name=f"add_{scope}_contact"
    )
    router.add_api_route(
        f"{prefix}/{{records_per_page}}/{{page_no}}",
        page,
        methods=["GET"],
        dependencies=[ReadOnly],
        response_model=list[ContactBody],
    )
    router.add_api_route(
        one, update, methods=["PUT"], response_model=ContactBody, name=f"update_{scope}_contact"
    )
    router.add_api_route(one, delete, methods=["DELETE"], name=f"delete_{scope}_contact")


serve_contact_scope("/settings/contacts", "personal", contacts_page, enterprise=False)
serve_contact_scope("/enterprise/contacts", "enterprise", enterprise_contacts_page, enterprise=True)
