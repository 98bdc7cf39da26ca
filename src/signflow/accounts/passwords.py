"""Changing passwords, and what a change does to the tokens issued before it.

A user changes their own password by giving the current one (`change_own_password`);
a wrong current password is a sign-in try like any other (`accounts/throttle.py`). An
administrator may set another user's password (`reset_by_admin`): the administrator
then knows it, so the user's next sign-in gets a token that can only choose a new one.
Either way every other token of the user, and every refresh-token family, is revoked.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.accounts.activation import check_new_password
from signflow.accounts.credentials import hash_password_off_loop, verify_password_off_loop
from signflow.accounts.principal import Principal
from signflow.accounts.throttle import reserve, settle_success, user_buckets
from signflow.accounts.tokens import revoke_user_grants
from signflow.config import Settings
from signflow.db import transaction
from signflow.errors import BadRequest, Conflict, Forbidden
from signflow.models import TokenGrant, User

WRONG_CURRENT_PASSWORD = "The current password is not correct"  # noqa: S105
SAME_PASSWORD = "The new password must differ from the current one"  # noqa: S105
SCOPED_CHANGE = "A token acting for another user cannot change their password"
OWN_PASSWORD_BY_ADMIN = (
    "Change your own password with PUT settings/profile/password, giving the current one"  # noqa: S105
)
CHANGED_MEANWHILE = "The password was changed meanwhile; sign in again"


async def change_own_password(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession] | None,
    settings: Settings,
    principal: Principal,
    *,
    address: str | None,
    current: str,
    new: str,
    keep_app_session_id: int | None = None,
) -> None:
    """The caller's own password, in the request's `session`. The try at the current
    password is reserved in a transaction of its own first (`sessions`), so a wrong one
    stays counted when the request rolls back; argon2 runs off the event loop.

    `sessions` None: the try is reserved in `session` itself, for a caller whose
    transaction already holds SQLite's one write lock (a transaction of its own would
    wait for it) and that commits when it answers a refusal (the web app's page does).
    `keep_app_session_id`: the web app's session that asked, which goes on."""
    if principal.is_scoped:
        raise Forbidden(SCOPED_CHANGE)
    if new == current:
        raise BadRequest(SAME_PASSWORD)
    check_new_password(new)
    user = principal.user
    buckets = user_buckets(settings, user.email, address)
    if sessions is None:
        await reserve(session, settings, buckets)
    else:
        async with transaction(sessions) as counting:
            await reserve(counting, settings, buckets)
    if not await verify_password_off_loop(user.password_hash, current):
        raise BadRequest(WRONG_CURRENT_PASSWORD)
    new_hash = await hash_password_off_loop(new)
    # Conditional on the hash just checked: a parallel change wins, this one is refused.
    changed = cast(
        CursorResult[object],
        await session.execute(
            update(User)
            .where(User.id == user.id, User.password_hash == user.password_hash)
            .values(password_hash=new_hash, must_change_password=False)
            .execution_options(synchronize_session=False)
        ),
    )
    if changed.rowcount != 1:
        raise Conflict(CHANGED_MEANWHILE)
    await settle_success(session, buckets)
    await revoke_user_grants(
        session,
        user.id,
        keep_grant_id=principal.grant_id,
        keep_app_session_id=keep_app_session_id,
    )
    await session.execute(
        update(TokenGrant)
        .where(TokenGrant.id == principal.grant_id)
        .values(must_change_password=False)
        .execution_options(synchronize_session=False)
    )


async def reset_by_admin(
    session: AsyncSession, principal: Principal, user: User, new_password: str
) -> None:
    """An administrator sets another user's password: the user must replace it at their
    next sign-in, and every token they hold stops working now."""
    own = {principal.user.id} | ({principal.actor.id} if principal.actor else set())
    if user.id in own:
        raise BadRequest(OWN_PASSWORD_BY_ADMIN)
    user.password_hash = await hash_password_off_loop(new_password)
    user.must_change_password = True
    await revoke_user_grants(session, user.id)
