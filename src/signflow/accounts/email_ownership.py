"""Which account owns an e-mail address: the one that proved it receives mail there.

An address may be registered in several enterprises (each admin's invitation is a
pending account of theirs), but only one account may prove it. Proving it is what
lets the account sign in and act on packages that name the address as a recipient.

Proofs today: the activation link mailed to the address (`accounts/activation.py`),
and the operator's word for the admin `signflow bootstrap` creates. Single sign-on,
when it comes, calls `mark_email_verified` for the address its provider asserts.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.db import utcnow
from signflow.errors import Conflict
from signflow.models import User

ADDRESS_TAKEN = "This e-mail address already has an account"


class AddressTaken(Conflict):
    default_message = ADDRESS_TAKEN


async def owning_account(session: AsyncSession, email: str) -> User | None:
    """The account that proved `email`, if any (at most one: a partial unique index)."""
    return await session.scalar(
        select(User).where(User.email == email, User.email_verified_at.is_not(None))
    )


async def mark_email_verified(session: AsyncSession, user: User) -> None:
    """Record that `user` proved their address: the hook every proof goes through.

    Raises AddressTaken when another account owns the address already; two proofs
    racing for one address are settled by the unique index, and the loser gets the
    same error. Any pending activation link of `user` stops working.
    """
    if user.email_verified_at is not None:
        return
    owner = await owning_account(session, user.email)
    if owner is not None and owner.id != user.id:
        raise AddressTaken()
    user.email_verified_at = utcnow()
    user.activation_token_hash = None
    user.activation_expires_at = None
    try:
        await session.flush()
    except IntegrityError as exc:
        raise AddressTaken() from exc
