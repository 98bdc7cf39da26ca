"""Adding a recipient by contact: `POST packages/{pid}/workflow/users` may name a
`contact_id` (one of the caller's personal contacts or their enterprise's) instead of an
address; the contact's address, name and mobile number fill what the item leaves out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.contacts.book import visible_contact
from signflow.errors import BadRequest

EMAIL_OR_CONTACT = "Each user needs user_email or contact_id"


@dataclass(frozen=True)
class Person:
    email: str
    name: str | None
    mobile_number: str | None


async def person_of(
    session: AsyncSession,
    principal: Principal,
    *,
    email: str | None,
    name: str | None,
    mobile_number: str | None,
    contact_id: int | None,
) -> Person:
    """Who a recipient item names: its own address, or the contact's. An item naming both
    a contact and a different address is refused, not guessed at."""
    if contact_id is None:
        if not email:
            raise BadRequest(EMAIL_OR_CONTACT)
        return Person(email=email, name=name, mobile_number=mobile_number)
    contact = await visible_contact(session, principal, contact_id)
    if email and email.strip().lower() != contact.email:
        raise BadRequest(f"user_email does not match the address of contact {contact_id}")
    return Person(
        email=contact.email,
        name=name or contact.name,
        mobile_number=mobile_number or contact.mobile_number,
    )
