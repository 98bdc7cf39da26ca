"""Issuing, resolving, refreshing and revoking bearer tokens.

A sign-in is one `TokenGrant`: its refresh-token family. Refreshing rotates the grant's
access and refresh tokens and records the used refresh token as spent. A spent refresh
token presented again means that two parties hold the family (the client and someone
who copied a token): the whole grant is revoked, so the newest refresh token and its
access token stop working too (OAuth 2.0 Security Best Current Practice, refresh token
rotation). A client that refreshes twice in parallel with one token loses its family
the same way, and must sign in again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from signflow.accounts.credentials import hash_secret, new_secret
from signflow.accounts.principal import Principal
from signflow.accounts.principal_cache import (
    PRINCIPAL_CACHE_INFO,
    PrincipalCache,
    principal_cache_of,
)
from signflow.accounts.principal_watch import BEGIN_WORD
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import Forbidden, Unauthorized
from signflow.models import Application, AppSession, Enterprise, SpentRefreshToken, TokenGrant, User

logger = logging.getLogger("signflow.tokens")

ACCOUNT_DISABLED = "Account is disabled"
AUTHORIZATION_DENIED = "Request authorization denied"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_body(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


async def issue_tokens(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    application: Application,
    actor: User | None = None,
    must_change_password: bool = False,
) -> IssuedTokens:
    access, refresh = new_secret("sfa_"), new_secret("sfr_")
    now = utcnow()
    session.add(
        TokenGrant(
            access_hash=hash_secret(access),
            refresh_hash=hash_secret(refresh),
            user_id=user.id,
            actor_user_id=actor.id if actor else None,
            application_id=application.id,
            access_expires_at=now + dt.timedelta(seconds=settings.access_token_ttl_seconds),
            refresh_expires_at=now + dt.timedelta(seconds=settings.refresh_token_ttl_seconds),
            must_change_password=must_change_password,
        )
    )
    await session.flush()
    return IssuedTokens(access, refresh, settings.access_token_ttl_seconds)


async def rotate_refresh_token(
    session: AsyncSession, settings: Settings, *, refresh_token: str, application: Application
) -> IssuedTokens | None:
    """Swap a live refresh token for new tokens; the old pair stops working at once.

    The update is conditional on the old hash, so two racing refreshes cannot both win.
    None when the token is unknown, expired, revoked or another application's; when it
    was already used, its grant is also revoked, and the caller must commit that.
    """
    now = utcnow()
    presented = hash_secret(refresh_token)
    access, refresh = new_secret("sfa_"), new_secret("sfr_")
    result = await session.execute(
        update(TokenGrant)
        .where(
            TokenGrant.refresh_hash == presented,
            TokenGrant.application_id == application.id,
            TokenGrant.revoked_at.is_(None),
            TokenGrant.refresh_expires_at > now,
        )
        .values(
            access_hash=hash_secret(access),
            refresh_hash=hash_secret(refresh),
            access_expires_at=now + dt.timedelta(seconds=settings.access_token_ttl_seconds),
            refresh_expires_at=now + dt.timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
        .returning(TokenGrant.id, TokenGrant.user_id, TokenGrant.actor_user_id)
    )
    row = result.first()
    if row is None:
        await _revoke_family_of_spent(session, presented)
        return None
    session.add(SpentRefreshToken(refresh_hash=presented, grant_id=row.id, spent_at=now))
    await session.flush()
    await ensure_active(session, user_id=row.user_id, actor_user_id=row.actor_user_id)
    return IssuedTokens(access, refresh, settings.access_token_ttl_seconds)


async def _revoke_family_of_spent(session: AsyncSession, refresh_hash: str) -> None:
    grant_id = await session.scalar(
        select(SpentRefreshToken.grant_id).where(SpentRefreshToken.refresh_hash == refresh_hash)
    )
    if grant_id is None:
        return
    logger.warning("a used refresh token was presented again: grant %s is revoked", grant_id)
    await revoke_grant(session, grant_id)


# One round trip for the grant, its user and enterprise: this runs on every request. Built
# once, so a request pays neither the statement's construction nor its cache key.
_GRANT_WITH_PEOPLE = (
    select(TokenGrant, User, Enterprise)
    .join(User, User.id == TokenGrant.user_id)
    .join(Enterprise, Enterprise.id == User.enterprise_id)
    .where(TokenGrant.access_hash == bindparam("access_hash"))
)


def cached_principal(sessions: async_sessionmaker[AsyncSession], token: str) -> Principal | None:
    """The token's principal from the process's cache, without a transaction (None when
    it is not there): for the paths that would open one only to read the token. Its rows
    are detached, as those of a transaction that has ended."""
    cache: PrincipalCache | None = sessions.kw["info"].get(PRINCIPAL_CACHE_INFO)
    if cache is None:
        return None
    with Session() as scratch:
        return cache.get(hash_secret(token), scratch)


async def resolve_access_token(session: AsyncSession, token: str) -> Principal:
    access_hash = hash_secret(token)
    cache = principal_cache_of(session)
    if cache is not None:
        cached = cache.get(access_hash, session.sync_session)
        if cached is not None:
            return cached
    row = (await session.execute(_GRANT_WITH_PEOPLE, {"access_hash": access_hash})).first()
    if row is None:
        raise Unauthorized(AUTHORIZATION_DENIED)
    grant, user, enterprise = row
    if grant.revoked_at is not None or grant.access_expires_at <= utcnow():
        raise Unauthorized(AUTHORIZATION_DENIED)
    actor = await session.get_one(User, grant.actor_user_id) if grant.actor_user_id else None
    if not (user.is_active and enterprise.is_active and (actor is None or actor.is_active)):
        raise Forbidden(ACCOUNT_DISABLED)
    principal = Principal(
        user=user,
        enterprise=enterprise,
        grant_id=grant.id,
        actor=actor,
        must_change_password=grant.must_change_password,
    )
    if cache is not None:
        # The clock as it was when this transaction began, before any of its statements.
        began_at = session.sync_session.connection().info.get(BEGIN_WORD)
        if began_at is not None:
            cache.put(access_hash, began_at, principal, grant.access_expires_at.timestamp())
    return principal


async def ensure_active(
    session: AsyncSession, *, user_id: int, actor_user_id: int | None
) -> tuple[User, Enterprise, User | None]:
    """Load the token's people; 403 `Account is disabled` if any of them or the enterprise is."""
    user = await session.get_one(User, user_id)
    enterprise = await session.get_one(Enterprise, user.enterprise_id)
    actor = await session.get_one(User, actor_user_id) if actor_user_id else None
    if not (user.is_active and enterprise.is_active and (actor is None or actor.is_active)):
        raise Forbidden(ACCOUNT_DISABLED)
    return user, enterprise, actor


async def revoke_grant(session: AsyncSession, grant_id: int) -> None:
    await session.execute(
        update(TokenGrant)
        .where(TokenGrant.id == grant_id, TokenGrant.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_user_grants(
    session: AsyncSession,
    user_id: int,
    *,
    keep_grant_id: int | None = None,
    keep_app_session_id: int | None = None,
) -> None:
    """Revoke every grant of the user, and every grant where they act through `scope`,
    except `keep_grant_id` (the caller's own): after a password change. The user's web
    app sessions end too, except `keep_app_session_id` (the app's page that changed it)."""
    conditions = [
        or_(TokenGrant.user_id == user_id, TokenGrant.actor_user_id == user_id),
        TokenGrant.revoked_at.is_(None),
    ]
    if keep_grant_id is not None:
        conditions.append(TokenGrant.id != keep_grant_id)
    await session.execute(
        update(TokenGrant)
        .where(*conditions)
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    app_conditions = [AppSession.user_id == user_id, AppSession.revoked_at.is_(None)]
    if keep_app_session_id is not None:
        app_conditions.append(AppSession.id != keep_app_session_id)
    await session.execute(
        update(AppSession)
        .where(*app_conditions)
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
