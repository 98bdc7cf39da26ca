"""Acting as a recipient who holds a link, not an account.

The workflow's use cases take a `Principal` and find the caller's recipient rows
by email (`signflow.packages.access.get_package`). A signing link names one
recipient; the web pages act for them with a Principal whose user is a transient
`User` (never added to the session, id 0) carrying that recipient's email and
name, in the package's enterprise. Such a principal:

- is never the owner (no user row has id 0), so it has exactly the rights the
  recipient's email gives in that package: reading from their turn on, and
  their own actions. The link is the proof of the address (it was mailed there,
  or the package's owner handed it on), so the transient user counts as having
  proven it (`packages.access.recipient_email`);
- is not scoped, so it may sign, as the recipient themself;
- writes the same history and events as the API, because it calls the same
  core functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.db import utcnow
from signflow.errors import Forbidden, NotFound
from signflow.models import Enterprise, Package, Recipient, RecipientMember, User

LINK_NOT_VALID = "This link is not valid any more"
ACCOUNT_DISABLED = "Account is disabled"
# No user row has this id: the principal is never taken for the package's owner.
TRANSIENT_USER_ID = 0


@dataclass(frozen=True)
class RecipientSession:
    recipient: Recipient
    package: Package
    principal: Principal


async def find_recipient(session: AsyncSession, public_id: str) -> tuple[Recipient, Package] | None:
    row = (
        await session.execute(
            select(Recipient, Package)
            .join(Package, Package.id == Recipient.package_id)
            .where(Recipient.public_id == public_id, Package.deleted_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row else None


def principal_for(recipient: Recipient, enterprise: Enterprise) -> Principal:
    return principal_as(recipient.email, recipient.name, enterprise)


def principal_as(email: str, name: str | None, enterprise: Enterprise) -> Principal:
    """A link holder acting as the address the link was sent to."""
    user = User(
        id=TRANSIENT_USER_ID,
        enterprise_id=enterprise.id,
        email=email,
        name=name or email,
        role="user",
        is_active=True,
        email_verified_at=utcnow(),
    )
    return Principal(user=user, enterprise=enterprise, grant_id=0)


async def recipient_session(session: AsyncSession, public_id: str) -> RecipientSession:
    """The recipient a link names, with a principal to call the workflow as them.

    Raises NotFound when the recipient or their package is gone, Forbidden when
    the package's enterprise is disabled.
    """
    member: RecipientMember | None = None
    found = await find_recipient(session, public_id)
    if found is None:
        as_member = await find_member(session, public_id)
        if as_member is None:
            raise NotFound(LINK_NOT_VALID)
        member, found = as_member[0], (as_member[1], as_member[2])
    recipient, package = found
    enterprise = await session.get(Enterprise, package.enterprise_id)
    if enterprise is None:
        raise NotFound(LINK_NOT_VALID)
    if not enterprise.is_active:
        raise Forbidden(ACCOUNT_DISABLED)
    if member is not None:
        # A group member's link acts as that member, for the group's recipient entry.
        acting = principal_as(member.email, member.name, enterprise)
        return RecipientSession(recipient, package, acting)
    return RecipientSession(recipient, package, principal_for(recipient, enterprise))


async def find_member(
    session: AsyncSession, public_id: str
) -> tuple[RecipientMember, Recipient, Package] | None:
    """A group member's link: valid while their invitation stands (not withdrawn because
    another member acted for the group)."""
    row = (
        await session.execute(
            select(RecipientMember, Recipient, Package)
            .join(Recipient, Recipient.id == RecipientMember.recipient_id)
            .join(Package, Package.id == Recipient.package_id)
            .where(
                RecipientMember.public_id == public_id,
                RecipientMember.withdrawn_at.is_(None),
                Package.deleted_at.is_(None),
            )
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None


async def recipient_in_package(
    session: AsyncSession, package_id: int, email: str
) -> Recipient | None:
    """The first recipient entry of `email` in a package (for integration links)."""
    rows = await session.scalars(
        select(Recipient)
        .where(Recipient.package_id == package_id, Recipient.email == email)
        .order_by(Recipient.position)
    )
    return next(iter(rows), None)


async def member_link_id_in_package(
    session: AsyncSession, package_id: int, email: str
) -> str | None:
    """The own link id (`RecipientMember.public_id`) of `email` as a live member of a
    group recipient whose turn no member took yet, first in workflow order (for
    integration links: a member acts through their own link, never the group's)."""
    return await session.scalar(
        select(RecipientMember.public_id)
        .join(Recipient, Recipient.id == RecipientMember.recipient_id)
        .where(
            Recipient.package_id == package_id,
            Recipient.email == "",
            Recipient.group_name.is_not(None),
            RecipientMember.email == email,
            RecipientMember.withdrawn_at.is_(None),
        )
        .order_by(Recipient.position)
        .limit(1)
    )
