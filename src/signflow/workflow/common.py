"""What every workflow use case shares: the vendor's texts, loading and locking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from signflow.accounts.principal import Principal
from signflow.errors import Forbidden, NotFound
from signflow.models import (
    Document,
    Package,
    ProcessStatus,
    Recipient,
    RecipientRole,
    WorkflowStatus,
)
from signflow.packages.access import (
    Need,
    PackageAccess,
    get_package,
    recipient_email,
    visible_recipients,
)

LOCKED_WORKFLOW = "You are not allowed to perform this action on locked workflow"
NOT_ALLOWED = "You are not allowed to perform the requested operation"
NO_USER_AT_ORDER = "No user found at given order"
NOT_AUTHORIZED_TO_VIEW = "You are not authorized to view this document"
ACCESS_PERIOD_ENDED = "You cannot access this document after the access period ends"
MUST_ADD_SIGNERS = "You must add 1 or more signers"
NOT_DRAFT = "Document is no longer in draft state"
NO_DOCUMENT = "Request does not contain document"

# The status a recipient's role action leaves them in; finishing keeps it.
DONE_STATUS = {
    RecipientRole.SIGNER.value: ProcessStatus.SIGNED.value,
    RecipientRole.INPERSON_HOST.value: ProcessStatus.SIGNED.value,
    RecipientRole.REVIEWER.value: ProcessStatus.REVIEWED.value,
    RecipientRole.EDITOR.value: ProcessStatus.EDITED.value,
}
SIGNING_ROLES = frozenset({RecipientRole.SIGNER.value, RecipientRole.INPERSON_HOST.value})
# A recipient whose turn is open: waiting for them to act, or to finish after acting.
OPEN_TURN_STATUSES = frozenset(
    {
        ProcessStatus.IN_PROGRESS.value,
        ProcessStatus.BLOCKED.value,
        ProcessStatus.SIGNED.value,
        ProcessStatus.REVIEWED.value,
        ProcessStatus.EDITED.value,
    }
)


class Turn(Protocol):
    """What deciding whose turn it is reads of a recipient: a `Recipient`, or a row of the
    workflow's read model (`workflow/read_model.py`)."""

    @property
    def id(self) -> int: ...
    @property
    def signing_order(self) -> int: ...
    @property
    def process_status(self) -> str: ...
    @property
    def turn_started_at(self) -> object: ...
    @property
    def finished_at(self) -> object: ...


def turn_is_open(recipient: Turn) -> bool:
    return (
        recipient.turn_started_at is not None
        and recipient.finished_at is None
        and recipient.process_status in OPEN_TURN_STATUSES
    )


def next_to_act(package_status: str, recipients: Sequence[Turn]) -> set[int]:
    """Who must act next in a shared package: those whose turn is open, else the first
    group still waiting (the lowest signing order among the unprocessed). Nobody once the
    package is closed."""
    if package_status != WorkflowStatus.SHARED.value:
        return set()
    open_turns = {r.id for r in recipients if turn_is_open(r)}
    if open_turns:
        return open_turns
    waiting = [r for r in recipients if r.process_status == ProcessStatus.UN_PROCESSED.value]
    return (
        {r.id for r in waiting if r.signing_order == waiting[0].signing_order} if waiting else set()
    )


async def owned_package(session: AsyncSession, principal: Principal, package_id: int) -> Package:
    """The caller's own package, locked for this transaction."""
    access = await get_package(session, principal, package_id, Need.OWN, for_update=True)
    return access.package


async def owned_draft(session: AsyncSession, principal: Principal, package_id: int) -> Package:
    """The caller's own package, locked, refused once its workflow is shared."""
    package = await owned_package(session, principal, package_id)
    if package.status != WorkflowStatus.DRAFT.value:
        raise Forbidden(LOCKED_WORKFLOW)
    return package


async def my_recipients(
    session: AsyncSession, principal: Principal, access: PackageAccess
) -> tuple[Recipient, ...]:
    """The caller's recipient entries, also when the caller owns the package."""
    if access.recipients or not access.is_owner:
        return access.recipients
    return await visible_recipients(
        session, access.package.id, recipient_email(principal, access.package.enterprise_id)
    )


# Read on most requests about a package: built once (no construction, cached compilation).
_PACKAGE_RECIPIENTS = (
    select(Recipient)
    .where(Recipient.package_id == bindparam("package_id"))
    .order_by(Recipient.position)
)
_PACKAGE_DOCUMENTS = (
    select(Document)
    .where(Document.package_id == bindparam("package_id"))
    .order_by(Document.position)
)


async def package_recipients(session: AsyncSession, package_id: int) -> list[Recipient]:
    return list(await session.scalars(_PACKAGE_RECIPIENTS, {"package_id": package_id}))


async def package_documents(session: AsyncSession, package_id: int) -> list[Document]:
    return list(await session.scalars(_PACKAGE_DOCUMENTS, {"package_id": package_id}))


def recipient_at(recipients: list[Recipient], order: int) -> Recipient:
    for recipient in recipients:
        if recipient.position == order:
            return recipient
    raise NotFound(NO_USER_AT_ORDER)


async def compare_and_set_status(
    session: AsyncSession,
    package: Package,
    expected: WorkflowStatus,
    new: WorkflowStatus,
    **values: Any,
) -> bool:
    """Move the package from `expected` to `new`; False when another change got there first."""
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(Package)
            .where(Package.id == package.id, Package.status == expected.value)
            .values(status=new.value, **values)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return False
    # The row already holds these values: keep the ORM from writing them again.
    set_committed_value(package, "status", new.value)
    for key, value in values.items():
        set_committed_value(package, key, value)
    return True


def access_period_ended(recipient: Recipient, now: dt.datetime) -> bool:
    """Whether the recipient's document-opening access window has closed."""
    duration = recipient.access_duration or {}
    if not duration.get("enabled"):
        return False
    by_date = _mapping(duration.get("duration_by_date"))
    if by_date.get("enabled"):
        end = _mapping(by_date.get("duration")).get("end_date_time")
        if isinstance(end, str) and now > parse_datetime(end):
            return True
    by_days = _mapping(duration.get("duration_by_days"))
    if by_days.get("enabled") and recipient.turn_started_at is not None:
        days = _mapping(by_days.get("duration")).get("total_days")
        if isinstance(days, int | float) and now > recipient.turn_started_at + dt.timedelta(
            days=float(days)
        ):
            return True
    return False


def require_access_period(recipient: Recipient, now: dt.datetime) -> None:
    if access_period_ended(recipient, now):
        raise Forbidden(ACCESS_PERIOD_ENDED)


def _mapping(value: object) -> dict[str, object]:
    return cast(dict[str, object], value) if isinstance(value, dict) else {}


def parse_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
