"""One-time codes: 6 digits, valid 5 minutes, single use, resend limited.

Codes are stored as HMAC-SHA256 under a key derived from SECRET_KEY, bound to
the recipient and the purpose. Why not argon2id as for passwords: a 6-digit code
has a million values, so no slow hash protects a stolen table (a million argon2
tries is hours on one core); what protects it is a key that is not in the
database. The HMAC keeps a database dump useless without SECRET_KEY, costs
nothing per check, and online guessing is stopped by the three-try block.

The worker needs the code itself to send it, so the code is also sealed
(AES-256-GCM, purpose-bound key) on its row until delivery, then erased.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.history import Actor, record
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import BadRequest, TooManyRequests
from signflow.models import OneTimeCode, Package, Recipient, RecipientMember
from signflow.outbox.enqueue import enqueue
from signflow.sealing import derive_key, seal

CODE_TTL = dt.timedelta(minutes=5)
VALID_MINUTES = 5
RESEND_INTERVAL = dt.timedelta(minutes=1)
HOURLY_LIMIT = 5
HASH_PURPOSE = "signflow/one-time-code/v1"
DELIVERY_PURPOSE = "signflow/one-time-code-delivery/v1"
EMAIL_CODE_JOB = "email.one_time_code"
SMS_CODE_JOB = "sms.one_time_code"
OPEN_PURPOSE = "open"
# A group member's own code: the purpose, then this and the member's id.
MEMBER_MARK = "|member:"
_CODE = re.compile(r"\d{6}")


def signing_purpose(field_id: int) -> str:
    return f"sign:{field_id}"


def is_opening_purpose(purpose: str) -> bool:
    return purpose.partition(MEMBER_MARK)[0] == OPEN_PURPOSE


def member_of_purpose(purpose: str) -> int | None:
    """The group member a code belongs to, when it is a member's own."""
    _, mark, member_id = purpose.partition(MEMBER_MARK)
    return int(member_id) if mark and member_id.isdigit() else None


@dataclass(frozen=True)
class CodeHolder:
    """Whose code it is: its purpose (bound into the code's hash), and where an
    e-mailed code goes."""

    purpose: str
    email: str
    name: str


async def code_holder(
    session: AsyncSession, recipient: Recipient, email: str | None, purpose: str = OPEN_PURPOSE
) -> CodeHolder | None:
    """The recipient's own code of `purpose`; for a group no member acted for yet, that
    of the live member `email` (each member opens and signs through their own link or
    token, so the code goes to them and is of no use to another member). None: `email`
    is no live member of the group."""
    if not recipient.is_untaken_group:
        return CodeHolder(purpose, recipient.email, recipient.name)
    if not email:
        return None
    member = await session.scalar(
        select(RecipientMember).where(
            RecipientMember.recipient_id == recipient.id,
            RecipientMember.email == email,
            RecipientMember.withdrawn_at.is_(None),
        )
    )
    if member is None:
        return None
    return CodeHolder(f"{purpose}{MEMBER_MARK}{member.id}", member.email, member.name)


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"


def hash_code(settings: Settings, recipient_id: int, purpose: str, code: str) -> str:
    key = derive_key(settings.effective_secret_key, HASH_PURPOSE)
    message = f"{recipient_id}:{purpose}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def is_code_shaped(value: str) -> bool:
    return bool(_CODE.fullmatch(value))


def mask(destination: str) -> str:
    """Enough of a number or address to recognise it, not to use it."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"***{destination[-2:]}" if len(destination) > 2 else "***"


async def _check_resend_limits(
    session: AsyncSession, recipient_id: int, purpose: str, now: dt.datetime
) -> None:
    hour_ago = now - dt.timedelta(hours=1)
    row = (
        await session.execute(
            select(
                func.count(), func.min(OneTimeCode.created_at), func.max(OneTimeCode.created_at)
            ).where(
                OneTimeCode.recipient_id == recipient_id,
                OneTimeCode.purpose == purpose,
                OneTimeCode.created_at > hour_ago,
            )
        )
    ).one()
    count, oldest, newest = int(row[0] or 0), row[1], row[2]
    if newest is not None:
        newest = _aware(newest)
        if now - newest < RESEND_INTERVAL:
            wait = (newest + RESEND_INTERVAL - now).total_seconds()
            raise TooManyRequests(
                "A code was sent less than a minute ago; wait before asking again",
                retry_after=int(wait) + 1,
            )
    if count >= HOURLY_LIMIT and oldest is not None:
        wait = (_aware(oldest) + dt.timedelta(hours=1) - now).total_seconds()
        raise TooManyRequests(
            f"At most {HOURLY_LIMIT} codes an hour may be sent", retry_after=int(wait) + 1
        )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def issue_code(
    session: AsyncSession,
    settings: Settings,
    package: Package,
    recipient: Recipient,
    *,
    purpose: str,
    channel: str,
    mobile_number: str | None,
    actor: Actor,
    email: str | None = None,
) -> OneTimeCode:
    """Create a code for the recipient and queue its delivery; the history names the channel.

    `channel` is "email" or "sms"; an SMS goes through the configured SMS channel. An
    e-mailed code goes to `email` (a group member's address), else the recipient's.
    """
    now = utcnow()
    if channel == "sms":
        if not mobile_number:
            raise BadRequest("The user has no mobile number for SMS codes")
        destination, recorded, job = mobile_number, f"sms:{settings.sms_channel}", SMS_CODE_JOB
    else:
        destination, recorded, job = email or recipient.email, "email", EMAIL_CODE_JOB
        if not destination:  # an untaken group: its codes go to a member, never to ""
            raise BadRequest("The code has no address to go to")
    await _check_resend_limits(session, recipient.id, purpose, now)
    code = new_code()
    row = OneTimeCode(
        recipient_id=recipient.id,
        purpose=purpose,
        channel=recorded,
        code_hash=hash_code(settings, recipient.id, purpose, code),
        pending_delivery=seal(code.encode(), settings.effective_secret_key, DELIVERY_PURPOSE),
        destination=destination,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    session.add(row)
    await session.flush()
    enqueue(session, job, {"code_id": row.id}, enterprise_id=package.enterprise_id)
    await record(
        session,
        package.id,
        "OTP_SENT",
        actor,
        {
            "order": recipient.position,
            "purpose": "open" if is_opening_purpose(purpose) else "sign",
            "channel": recorded,
            "destination": mask(destination),
        },
    )
    return row


async def check_code(
    session: AsyncSession,
    settings: Settings,
    recipient_id: int,
    purpose: str,
    code: str,
    now: dt.datetime,
) -> CodeCheck:
    """Compare with the newest code of this purpose, and use it up when it matches."""
    latest = await session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.recipient_id == recipient_id, OneTimeCode.purpose == purpose)
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )
    if latest is None or not hmac.compare_digest(
        hash_code(settings, recipient_id, purpose, code), latest.code_hash
    ):
        return CodeCheck.WRONG
    if latest.used_at is not None:
        return CodeCheck.USED
    if latest.expires_at <= now:
        return CodeCheck.EXPIRED
    result = await session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == latest.id, OneTimeCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return CodeCheck.OK if result.rowcount == 1 else CodeCheck.USED
