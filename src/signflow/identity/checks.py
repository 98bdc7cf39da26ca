"""The identity checks: on open, on every read of a package's content, on every action.

`require_opened` (reads and actions): the recipient is not blocked, is inside
their access window, and has verified their identity when their settings ask
for it. `verify_identity` (open, authentication/password) and
`verify_signing_code` (sign with x-otp) check what the caller presents.

Counting is atomic: a presented password or code first takes one of the three
tries with `UPDATE ... SET failures = failures + 1 WHERE failures < 3 RETURNING`,
then is checked. On PostgreSQL the updated row stays locked until the request
ends, so parallel guesses queue and each sees the count of the one before; on
SQLite writers are serialised by BEGIN IMMEDIATE. A wrong guess raises a
`KeepsChanges` error: its request commits the taken try (and, on the third,
the block), then answers. A right guess resets the count; an expired or
already used code is refused with a plain error, whose rollback gives the try back.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.credentials import verify_password_off_loop
from signflow.audit.history import Actor, record
from signflow.config import Settings
from signflow.db import dialect_insert, utcnow
from signflow.errors import BadRequest, Forbidden, KeepsChanges
from signflow.identity.codes import OPEN_PURPOSE, CodeCheck, check_code, is_code_shaped
from signflow.identity.methods import opening_methods, stored_password_hash
from signflow.models import Package, ProcessStatus, Recipient, RecipientIdentity, User
from signflow.workflow.common import parse_datetime
from signflow.workflow.events import PackageEvent, email_blocked, write_package_event

MAX_FAILURES = 3
OTP_CODE_INVALID = "OTP_CODE_INVALID"
PASSWORD_INVALID = "PASSWORD_INVALID"  # noqa: S105  (a reason, not a secret)

OTP_REQUIRED = "A one-time code is required to open this document"
PASSWORD_REQUIRED = "A password is required to open this document"  # noqa: S105
INVALID_CREDENTIALS = "The password or code is not valid"
BLOCKED = "Too many failed identity checks: the document owner must unblock you"
CODE_EXPIRED = "The code has expired; ask for a new one"
CODE_USED = "The code was already used; ask for a new one"
NOT_STARTED = "You cannot access this document before the access period starts"
ACCESS_PERIOD_ENDED = "You cannot access this document after the access period ends"


class InvalidCredentials(Forbidden, KeepsChanges):
    """A wrong password or code: the try counts although the request fails."""

    def __init__(self) -> None:
        super().__init__(INVALID_CREDENTIALS, code="invalid_credentials")


class Blocked(Forbidden):
    """The recipient is blocked: refused, whatever they present."""

    def __init__(self) -> None:
        super().__init__(BLOCKED, code="recipient_blocked")


class RecipientBlocked(Blocked, KeepsChanges):
    """This try was the third failure: the block is committed, then answered."""


@dataclass(frozen=True)
class Credentials:
    """What the caller presented (headers x-password / x-otp), and the settings to check it."""

    settings: Settings
    password: str | None = None
    otp: str | None = None


def _mapping(value: object) -> dict[str, object]:
    return cast(dict[str, object], value) if isinstance(value, dict) else {}


def require_access_window(recipient: Recipient, now: dt.datetime) -> None:
    """The access window by dates (start and end) or by days after their turn opened."""
    duration = _mapping(recipient.access_duration)
    if not duration.get("enabled"):
        return
    by_date = _mapping(duration.get("duration_by_date"))
    if by_date.get("enabled"):
        window = _mapping(by_date.get("duration"))
        start, end = window.get("start_date_time"), window.get("end_date_time")
        if isinstance(start, str) and now < parse_datetime(start):
            raise Forbidden(NOT_STARTED, code="access_period_not_started")
        if isinstance(end, str) and now > parse_datetime(end):
            raise Forbidden(ACCESS_PERIOD_ENDED, code="access_period_ended")
    by_days = _mapping(duration.get("duration_by_days"))
    days = _mapping(by_days.get("duration")).get("total_days")
    if (
        by_days.get("enabled")
        and isinstance(days, int | float)
        and recipient.turn_started_at is not None
        and now > recipient.turn_started_at + dt.timedelta(days=float(days))
    ):
        raise Forbidden(ACCESS_PERIOD_ENDED, code="access_period_ended")


async def identity_of(session: AsyncSession, recipient_id: int) -> RecipientIdentity:
    """The recipient's identity row, created on first need (safe against a parallel create)."""
    insert = dialect_insert(session)
    await session.execute(
        insert(RecipientIdentity)
        .values(recipient_id=recipient_id, failures=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["recipient_id"])
    )
    identity = await session.get_one(RecipientIdentity, recipient_id)
    await session.refresh(identity)
    return identity


async def _find_identity(session: AsyncSession, recipient_id: int) -> RecipientIdentity | None:
    return await session.scalar(
        select(RecipientIdentity).where(RecipientIdentity.recipient_id == recipient_id)
    )


def _refuse_missing(password_needed: bool) -> Forbidden:
    if password_needed:
        return Forbidden(PASSWORD_REQUIRED, code="password_required")
    return Forbidden(OTP_REQUIRED, code="otp_required")


async def identity_pending(session: AsyncSession, recipient: Recipient, now: dt.datetime) -> bool:
    """Whether the recipient still has an identity check to pass; a blocked recipient, or
    one outside their access window, is refused."""
    if recipient.process_status == ProcessStatus.BLOCKED.value:
        raise Blocked()
    require_access_window(recipient, now)
    if not opening_methods(recipient).required:
        return False
    identity = await _find_identity(session, recipient.id)
    return identity is None or identity.verified_at is None


async def require_opened(session: AsyncSession, recipient: Recipient, now: dt.datetime) -> None:
    """Reads and actions: not blocked, inside the window, identity verified when asked for."""
    if await identity_pending(session, recipient, now):
        raise _refuse_missing(opening_methods(recipient).password)


async def require_all_opened(
    session: AsyncSession, recipients: tuple[Recipient, ...], now: dt.datetime
) -> None:
    for recipient in recipients:
        await require_opened(session, recipient, now)


async def _take_try(session: AsyncSession, recipient: Recipient) -> int | None:
    """One of the three tries, atomically; None when none is left."""
    await identity_of(session, recipient.id)
    taken = await session.scalar(
        update(RecipientIdentity)
        .where(
            RecipientIdentity.recipient_id == recipient.id,
            RecipientIdentity.failures < MAX_FAILURES,
        )
        .values(failures=RecipientIdentity.failures + 1, updated_at=utcnow())
        .returning(RecipientIdentity.failures)
        .execution_options(synchronize_session=False)
    )
    return int(taken) if taken is not None else None


async def _succeeded(
    session: AsyncSession,
    package: Package,
    recipient: Recipient,
    actor: Actor,
    method: str,
    *,
    verified: bool,
) -> None:
    values: dict[str, object] = {"failures": 0, "updated_at": utcnow()}
    if verified:
        values.update(verified_at=utcnow(), verified_by=method)
    await session.execute(
        update(RecipientIdentity)
        .where(RecipientIdentity.recipient_id == recipient.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await record(
        session,
        package.id,
        "IDENTITY_VERIFIED",
        actor,
        {"order": recipient.position, "method": method},
    )


async def _failed(
    session: AsyncSession,
    package: Package,
    recipient: Recipient,
    actor: Actor,
    failures: int,
    reason: str,
) -> KeepsChanges:
    """Record the failed try; the third blocks. Returns the error to raise (it commits)."""
    await record(
        session,
        package.id,
        "IDENTITY_CHECK_FAILED",
        actor,
        {"order": recipient.position, "reason": reason, "failures": failures},
    )
    if failures < MAX_FAILURES:
        return InvalidCredentials()
    await block_recipient(session, package, recipient, actor, reason)
    return RecipientBlocked()


async def block_recipient(
    session: AsyncSession, package: Package, recipient: Recipient, actor: Actor, reason: str
) -> None:
    now = utcnow()
    previous = recipient.process_status
    result = cast(
        CursorResult[object],
        await session.execute(
            update(Recipient)
            .where(Recipient.id == recipient.id, Recipient.process_status == previous)
            .values(process_status=ProcessStatus.BLOCKED.value)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return
    await session.execute(
        update(RecipientIdentity)
        .where(RecipientIdentity.recipient_id == recipient.id)
        .values(blocked_at=now, blocked_reason=reason, status_before_block=previous)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(recipient)
    owner = await session.get(User, package.owner_id)
    owner_told = owner is not None and owner.is_active
    if owner_told:
        email_blocked(session, package, recipient)
    await record(
        session,
        package.id,
        "RECIPIENT_BLOCKED",
        actor,
        {
            "order": recipient.position,
            "reason": reason,
            "process_status_before": previous,
            # What the blocked page may say: "the sender has been told" only when true.
            "owner_told": owner_told,
        },
    )
    await write_package_event(
        session, package, PackageEvent.BLOCKED, recipient=recipient, message=reason
    )


async def _password_matches(recipient: Recipient, password: str) -> bool:
    """argon2 runs off the event loop (the try is already taken and locked)."""
    hashed, legacy_clear = stored_password_hash(recipient)
    if hashed is not None:
        return await verify_password_off_loop(hashed, password)
    if legacy_clear is not None:
        return hmac.compare_digest(legacy_clear.encode(), password.encode())
    await verify_password_off_loop(None, password)  # same cost as a real check
    return False


async def verify_identity(
    session: AsyncSession,
    package: Package,
    recipient: Recipient,
    credentials: Credentials | None,
    actor: Actor,
    *,
    code_purpose: str = OPEN_PURPOSE,
) -> None:
    """Open: check the presented password and/or code, once per request.

    Passes at once when no check is asked for or the identity is already verified.
    `code_purpose` is the caller's opening code (`codes.opening_code_holder`: a group
    member's own).
    """
    now = utcnow()
    if recipient.process_status == ProcessStatus.BLOCKED.value:
        raise Blocked()
    require_access_window(recipient, now)
    methods = opening_methods(recipient)
    if not methods.required:
        return
    identity = await _find_identity(session, recipient.id)
    if identity is not None and identity.verified_at is not None:
        return
    password = credentials.password if credentials else None
    otp = (credentials.otp or "").strip() if credentials else ""
    if methods.password and not password:
        raise _refuse_missing(True)
    if methods.otp_channel and not otp:
        raise _refuse_missing(False)
    if otp and not is_code_shaped(otp):
        raise BadRequest("x-otp must be the 6-digit code")
    assert credentials is not None
    failures = await _take_try(session, recipient)
    if failures is None:
        raise Blocked()
    if methods.password and not await _password_matches(recipient, password or ""):
        raise await _failed(session, package, recipient, actor, failures, PASSWORD_INVALID)
    if methods.otp_channel:
        checked = await check_code(
            session, credentials.settings, recipient.id, code_purpose, otp, now
        )
        await _code_outcome(session, package, recipient, actor, failures, checked)
    method = "+".join(
        name
        for name, used in (("password", methods.password), ("otp", methods.otp_channel))
        if used
    )
    await _succeeded(session, package, recipient, actor, method, verified=True)


async def _code_outcome(
    session: AsyncSession,
    package: Package,
    recipient: Recipient,
    actor: Actor,
    failures: int,
    checked: CodeCheck,
) -> None:
    if checked is CodeCheck.EXPIRED:
        raise Forbidden(CODE_EXPIRED, code="otp_expired")  # rolls back: the try is given back
    if checked is CodeCheck.USED:
        raise Forbidden(CODE_USED, code="otp_used")
    if checked is CodeCheck.WRONG:
        raise await _failed(session, package, recipient, actor, failures, OTP_CODE_INVALID)


async def verify_signing_code(
    session: AsyncSession,
    settings: Settings,
    package: Package,
    recipient: Recipient,
    purpose: str,
    otp: str | None,
    actor: Actor,
) -> None:
    """Sign with x-otp: the signing code of one field, counted like opening checks."""
    if recipient.process_status == ProcessStatus.BLOCKED.value:
        raise Blocked()
    otp = (otp or "").strip()
    if not otp:
        raise Forbidden("A one-time code is required to sign this field", code="otp_required")
    if not is_code_shaped(otp):
        raise BadRequest("x-otp must be the 6-digit code")
    failures = await _take_try(session, recipient)
    if failures is None:
        raise Blocked()
    checked = await check_code(session, settings, recipient.id, purpose, otp, utcnow())
    await _code_outcome(session, package, recipient, actor, failures, checked)
    await _succeeded(session, package, recipient, actor, "signing_otp", verified=False)
