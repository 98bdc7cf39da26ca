"""Who a signer is, as Signflow verified it: what identity fields show and stamps name.

An account holder is their account (name, email, and their enterprise as company);
a recipient who acts through a link is the recipient the owner named. Nothing a
client sends at signing time (a display name, a typed name) changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.models import Enterprise, Recipient, User
from signflow.workflow.recipient_session import TRANSIENT_USER_ID


@dataclass(frozen=True)
class SignerIdentity:
    name: str
    email: str
    company: str | None = None
    job_title: str | None = None  # Signflow keeps no job titles: the signer types theirs


def is_account(user: User | None) -> bool:
    """A user row, not the stand-in a link recipient acts through."""
    return user is not None and user.id is not None and user.id != TRANSIENT_USER_ID


async def signer_identity(
    session: AsyncSession, recipient: Recipient, user: User | None
) -> SignerIdentity:
    """The identity of `recipient`, acting as `user` (None or a link stand-in: the recipient)."""
    if user is not None and is_account(user):
        enterprise = await session.get(Enterprise, user.enterprise_id)
        return SignerIdentity(
            name=user.name or recipient.name or user.email,
            email=user.email,
            company=enterprise.name if enterprise is not None else None,
        )
    return SignerIdentity(name=recipient.name or recipient.email, email=recipient.email)
