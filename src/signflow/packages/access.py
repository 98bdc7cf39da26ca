"""Who may read or change a package.

The owner (or an enterprise admin whose token acts as the owner through
`scope`) may do everything. A recipient may read a shared package from the
moment their step opens, and after they acted, unless a terminate skipped
them. Anyone else is told the package does not exist when it belongs to
another enterprise (or does not exist), and that it is not theirs when it is
in their own enterprise.

Recipients are named by e-mail address. An account holds the rights of an
address only once it has proven it (`accounts/email_ownership.py`): a pending
account matches no recipient. A link holder proves the address by the link
(`workflow/recipient_session.py`). An admin acting as a user through `scope`
gets that user's recipient rights in the admin's own enterprise only: another
enterprise sent its documents to the person, not to their admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import note_package_locked
from signflow.errors import Forbidden, NotFound
from signflow.models import Package, ProcessStatus, Recipient, RecipientMember

DOCUMENT_NOT_FOUND = "Document not found"
NOT_YOURS = "Document does not belong to user"


class Need(Enum):
    READ = "read"
    OWN = "own"


@dataclass(frozen=True)
class PackageAccess:
    package: Package
    is_owner: bool
    # The caller's own recipient entries in this package (one email may hold several orders).
    recipients: tuple[Recipient, ...]


def proven_email(principal: Principal) -> str | None:
    """The caller's address if the account has proven it, else None."""
    return principal.user.email if principal.user.email_verified_at is not None else None


def recipient_email(principal: Principal, enterprise_id: int) -> str | None:
    """The address whose recipient entries the caller may act on in a package of
    `enterprise_id`, or None when it may act on none."""
    if principal.is_scoped and enterprise_id != principal.enterprise_id:
        return None
    return proven_email(principal)


def visible_to(email: ColumnElement[str | None] | ColumnElement[str] | str) -> ColumnElement[bool]:
    """The recipient entries (of `Recipient`) the holder of `email` may read the package by:
    their own, or a group's whose turn no member took yet and of which they are a live
    member; from the moment their step opens, unless a terminate skipped them."""
    return and_(
        or_(
            Recipient.email == email,
            # A group whose turn no member took yet is each live member's.
            and_(
                Recipient.email == "",
                Recipient.group_name.is_not(None),
                exists().where(
                    RecipientMember.recipient_id == Recipient.id,
                    RecipientMember.email == email,
                    RecipientMember.withdrawn_at.is_(None),
                ),
            ),
        ),
        Recipient.turn_started_at.is_not(None),
        Recipient.process_status != ProcessStatus.SKIPPED.value,
    )


# Read by every request of a recipient about a package: built once.
_VISIBLE_RECIPIENTS = (
    select(Recipient)
    .where(
        Recipient.package_id == bindparam("package_id"),
        visible_to(bindparam("email", type_=Recipient.email.type)),
    )
    .order_by(Recipient.position)
)


async def visible_recipients(
    session: AsyncSession, package_id: int, email: str | None
) -> tuple[Recipient, ...]:
    if email is None:
        return ()
    rows = await session.scalars(_VISIBLE_RECIPIENTS, {"package_id": package_id, "email": email})
    return tuple(rows)


# Every request about a package starts here: built once (no construction, cached compilation).
_LIVE_PACKAGE = select(Package).where(
    Package.id == bindparam("package_id"), Package.deleted_at.is_(None)
)
_LIVE_PACKAGE_FOR_UPDATE = _LIVE_PACKAGE.with_for_update()


async def get_package(
    session: AsyncSession,
    principal: Principal,
    package_id: int,
    need: Need = Need.READ,
    *,
    for_update: bool = False,
) -> PackageAccess:
    query = _LIVE_PACKAGE_FOR_UPDATE if for_update else _LIVE_PACKAGE
    package = await session.scalar(query, {"package_id": package_id})
    if package is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    if for_update:
        note_package_locked(session, package.id)
    if package.owner_id == principal.user.id:
        return PackageAccess(package, is_owner=True, recipients=())
    email = recipient_email(principal, package.enterprise_id)
    recipients = await visible_recipients(session, package.id, email)
    if recipients and need is Need.READ:
        return PackageAccess(package, is_owner=False, recipients=recipients)
    if not recipients:
        await _refuse_withdrawn_member(session, package.id, email)
    if package.enterprise_id != principal.enterprise_id and not recipients:
        raise NotFound(DOCUMENT_NOT_FOUND)
    raise Forbidden(NOT_YOURS)


async def _refuse_withdrawn_member(
    session: AsyncSession, package_id: int, email: str | None
) -> None:
    """A member of a group another member acted for hears why the package is closed to
    them, rather than a bare refusal."""
    if not email:
        return
    taken = (
        await session.execute(
            select(Recipient.group_name, Recipient.email)
            .join(RecipientMember, RecipientMember.recipient_id == Recipient.id)
            .where(
                Recipient.package_id == package_id,
                RecipientMember.email == email,
                RecipientMember.withdrawn_at.is_not(None),
            )
            .limit(1)
        )
    ).first()
    if taken is not None:
        raise Forbidden(
            f"Another member of the group '{taken[0]}' ({taken[1]}) has already acted for "
            "it: your invitation was withdrawn",
            code="group_turn_taken",
        )
