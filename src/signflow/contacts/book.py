"""The contact lists: each user's personal contacts, and the enterprise's contacts that
its admins keep and every user of the enterprise sees. Every query is scoped to the
caller's enterprise; a personal contact is its owner's alone."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.users import normalise_email, require_admin
from signflow.errors import BadRequest, Conflict, NotFound
from signflow.models import Contact

MAX_PER_PAGE = 100
CONTACT_NOT_FOUND = "Contact not found"


def duplicate(email: str) -> Conflict:
    return Conflict(f"A contact with email '{email}' already exists", code="duplicate_contact")


@dataclass(frozen=True)
class NewContact:
    email: str
    name: str | None = None
    mobile_number: str | None = None


@dataclass(frozen=True)
class ContactChange:
    name: str | None = None
    mobile_number: str | None = None


async def add_contact(
    session: AsyncSession, principal: Principal, new: NewContact, *, enterprise: bool = False
) -> Contact:
    """A personal contact of the caller, or (`enterprise`, an admin's call) one of the
    enterprise's. The same address twice in one list is a Conflict."""
    if enterprise:
        require_admin(principal)
    email = normalise_email(new.email)
    owner_id = None if enterprise else principal.user.id
    existing = await session.scalar(_list_query(principal, owner_id).where(Contact.email == email))
    if existing is not None:
        raise duplicate(email)
    contact = Contact(
        enterprise_id=principal.enterprise_id,
        owner_id=owner_id,
        email=email,
        name=(new.name or "").strip() or email,
        mobile_number=(new.mobile_number or "").strip() or None,
    )
    session.add(contact)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same address added at the same moment
        raise duplicate(email) from exc
    return contact


def _list_query(principal: Principal, owner_id: int | None) -> Select[Contact]:
    owner = Contact.owner_id.is_(None) if owner_id is None else Contact.owner_id == owner_id
    return select(Contact).where(Contact.enterprise_id == principal.enterprise_id, owner)


def visible_contacts(principal: Principal) -> Select[Contact]:
    """The caller's personal contacts and their enterprise's."""
    return select(Contact).where(
        Contact.enterprise_id == principal.enterprise_id,
        or_(Contact.owner_id.is_(None), Contact.owner_id == principal.user.id),
    )


async def list_contacts(
    session: AsyncSession,
    principal: Principal,
    page_no: int,
    per_page: int,
    *,
    search: str | None,
    enterprise: bool | None,
) -> tuple[list[Contact], int]:
    """One page, by name: `enterprise` True lists the enterprise's contacts, False the
    caller's personal ones, None both. `search` matches the name or the address."""
    if page_no < 1:
        raise BadRequest("page_no must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"records_per_page must be between 1 and {MAX_PER_PAGE}")
    if enterprise is None:
        query = visible_contacts(principal)
    else:
        query = _list_query(principal, None if enterprise else principal.user.id)
    if search:
        needle = search.strip().lower()
        query = query.where(
            or_(func.lower(Contact.name).contains(needle), Contact.email.contains(needle))
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(func.lower(Contact.name), Contact.id)
        .limit(per_page)
        .offset((page_no - 1) * per_page)
    )
    return list(rows), int(total or 0)


async def visible_contact(session: AsyncSession, principal: Principal, contact_id: int) -> Contact:
    """A contact the caller may use (theirs or their enterprise's); NotFound otherwise,
    the same for another user's or another enterprise's contact as for none."""
    contact = await session.scalar(visible_contacts(principal).where(Contact.id == contact_id))
    if contact is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return contact


async def _managed_contact(
    session: AsyncSession, principal: Principal, contact_id: int, *, enterprise: bool
) -> Contact:
    if enterprise:
        require_admin(principal)
    owner_id = None if enterprise else principal.user.id
    contact = await session.scalar(
        _list_query(principal, owner_id).where(Contact.id == contact_id).with_for_update()
    )
    if contact is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return contact


async def update_contact(
    session: AsyncSession,
    principal: Principal,
    contact_id: int,
    change: ContactChange,
    *,
    enterprise: bool = False,
) -> Contact:
    """Rename a contact or change its mobile number (the address is what the contact is:
    a new address is a new contact, as in SigningHub's web app)."""
    contact = await _managed_contact(session, principal, contact_id, enterprise=enterprise)
    if change.name is not None:
        contact.name = change.name.strip() or contact.name
    if change.mobile_number is not None:
        contact.mobile_number = change.mobile_number.strip() or None
    await session.flush()
    return contact


async def delete_contact(
    session: AsyncSession, principal: Principal, contact_id: int, *, enterprise: bool = False
) -> None:
    contact = await _managed_contact(session, principal, contact_id, enterprise=enterprise)
    await session.delete(contact)
    await session.flush()
