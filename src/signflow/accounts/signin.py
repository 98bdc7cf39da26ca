"""The OAuth grants of /authenticate and the v4 scope switch.

Every secret presented pays for its try first (`accounts/throttle.py`). A client
secret is a digest comparison, so it is reserved, checked and settled in one short
transaction. A password is reserved in a transaction that commits before argon2
runs; argon2 then runs in a thread with no transaction open; the tokens are issued
in a second transaction that also gives the try back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.accounts.credentials import secret_matches, verify_password_off_loop
from signflow.accounts.principal import Principal
from signflow.accounts.throttle import (
    Bucket,
    client_buckets,
    reserve,
    settle_success,
    user_buckets,
)
from signflow.accounts.tokens import ACCOUNT_DISABLED, IssuedTokens, issue_tokens
from signflow.accounts.tokens import rotate_refresh_token as rotate
from signflow.config import Settings
from signflow.db import transaction
from signflow.errors import Forbidden, NotFound, OAuthError
from signflow.models import Application, Enterprise, TokenGrant, User

SCOPE_REFUSED = "You are not allowed to perform the requested operation"
INVALID_CREDENTIALS = "Invalid username or password"
ACCOUNT_NOT_ACTIVATED = "Account is not activated"


class _Refused(Exception):
    """A refusal whose transaction still commits: a counted try, a revoked family."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.message)
        self.error = error


@asynccontextmanager
async def _committing_refusals(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    refused: _Refused | None = None
    async with transaction(sessions) as session:
        try:
            yield session
        except _Refused as exc:
            refused = exc  # leaving the block normally commits what was written
    if refused is not None:
        raise refused.error from None


@dataclass(frozen=True)
class _Client:
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class _CheckedPassword:
    """What the password was checked against, carried from the reservation to the issue."""

    application: Application
    user_id: int
    password_hash: str | None
    buckets: tuple[Bucket, ...]


class SignIn:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        address: str | None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.address = address

    async def grant(self, form: Mapping[str, str]) -> IssuedTokens:
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        handlers = {
            "password": self._password,
            "client_credentials": self._client_credentials,
            "refresh_token": self._refresh_token,
        }
        handler = handlers.get(grant_type)
        if handler is None:
            raise OAuthError(
                "unsupported_grant_type",
                f"grant_type '{grant_type}' is not supported; use password, "
                "client_credentials or refresh_token",
            )
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not client_id or not client_secret:
            raise OAuthError("invalid_request", "client_id and client_secret are required")
        return await handler(_Client(client_id, client_secret), form)

    async def _application(self, session: AsyncSession, client: _Client) -> Application:
        """The application whose secret was presented. A wrong secret counts one try for
        this client_id from this address only, and raises `_Refused` (the count commits)."""
        buckets = client_buckets(self.settings, client.client_id, self.address)
        await reserve(session, self.settings, buckets)
        application = await session.scalar(
            select(Application).where(Application.name == client.client_id)
        )
        if application is None or not secret_matches(client.client_secret, application.secret_hash):
            error = OAuthError("invalid_client", "Client authentication failed", status_code=401)
            raise _Refused(error)
        await settle_success(session, buckets)
        enterprise = await session.get_one(Enterprise, application.enterprise_id)
        if not (application.is_active and enterprise.is_active):
            raise OAuthError("access_denied", ACCOUNT_DISABLED, status_code=403)
        return application

    async def _password(self, client: _Client, form: Mapping[str, str]) -> IssuedTokens:
        username, password = form.get("username", "").strip().lower(), form.get("password", "")
        if not username or not password:
            raise OAuthError("invalid_request", "username and password are required")
        buckets = user_buckets(self.settings, username, self.address)
        async with _committing_refusals(self.sessions) as session:
            application = await self._application(session, client)
            await reserve(session, self.settings, buckets)
            account = (
                await session.execute(
                    # Only the account that proved the address signs in with it (pending
                    # ones never), and only through an application of its own enterprise.
                    select(User.id, User.password_hash).where(
                        User.email == username,
                        User.email_verified_at.is_not(None),
                        User.enterprise_id == application.enterprise_id,
                    )
                )
            ).first()
        # The try is paid for and committed: the check holds no transaction open, and
        # runs off the event loop. An unknown account costs the same as a wrong password.
        stored_hash = account.password_hash if account is not None else None
        if account is None or not await verify_password_off_loop(stored_hash, password):
            raise OAuthError("invalid_grant", INVALID_CREDENTIALS)
        checked = _CheckedPassword(application, account.id, stored_hash, buckets)
        return await self._issue_after_password(checked, scope=form.get("scope", "").strip())

    async def _issue_after_password(self, checked: _CheckedPassword, scope: str) -> IssuedTokens:
        password_was_right = False
        try:
            async with transaction(self.sessions) as session:
                user = await session.get(User, checked.user_id)
                if user is None or user.password_hash != checked.password_hash:
                    # Changed while it was being checked: the old password is no key.
                    raise OAuthError("invalid_grant", INVALID_CREDENTIALS)
                password_was_right = True
                await self._ensure_active(session, user)
                target = user
                if scope:
                    target = await scope_target(session, actor=user, user_email=scope)
                await settle_success(session, checked.buckets)
                issued = await issue_tokens(
                    session,
                    self.settings,
                    user=target,
                    application=checked.application,
                    actor=user if target.id != user.id else None,
                    must_change_password=user.must_change_password,
                )
        except OAuthError:
            if password_was_right:  # refused for another reason: the try is given back
                async with transaction(self.sessions) as session:
                    await settle_success(session, checked.buckets)
            raise
        return issued

    async def _client_credentials(self, client: _Client, _form: Mapping[str, str]) -> IssuedTokens:
        async with _committing_refusals(self.sessions) as session:
            application = await self._application(session, client)
            user = await session.get_one(User, application.api_user_id)
            await self._ensure_active(session, user)
            return await issue_tokens(session, self.settings, user=user, application=application)

    async def _refresh_token(self, client: _Client, form: Mapping[str, str]) -> IssuedTokens:
        token = form.get("refresh_token", "")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required")
        async with _committing_refusals(self.sessions) as session:
            application = await self._application(session, client)
            try:
                rotated = await rotate(
                    session, self.settings, refresh_token=token, application=application
                )
            except Forbidden as exc:
                raise OAuthError("access_denied", exc.message, status_code=403) from exc
            if rotated is None:  # commits the revocation of a reused token's family
                error = OAuthError("invalid_grant", "The refresh token is invalid, expired or used")
                raise _Refused(error)
        return rotated

    async def _ensure_active(self, session: AsyncSession, user: User) -> None:
        enterprise = await session.get_one(Enterprise, user.enterprise_id)
        if not (user.is_active and enterprise.is_active):
            raise OAuthError("access_denied", ACCOUNT_DISABLED, status_code=403)


async def scope_target(session: AsyncSession, *, actor: User, user_email: str) -> User:
    """The user an admin may act as: same enterprise, and the admin holds the privilege.
    Scoping to oneself (a client that always sends its configured scope) is a no-op."""
    if user_email.strip().lower() == actor.email.lower():
        return actor
    if not (actor.is_admin and actor.can_integrate):
        raise OAuthError("invalid_scope", SCOPE_REFUSED, status_code=403)
    target = await session.scalar(
        select(User).where(
            func.lower(User.email) == user_email.strip().lower(),
            User.enterprise_id == actor.enterprise_id,
        )
    )
    if target is None:
        raise OAuthError("invalid_scope", f"No user '{user_email}' in your enterprise")
    if not target.is_active:
        raise OAuthError("access_denied", ACCOUNT_DISABLED, status_code=403)
    if target.email_verified_at is None:
        raise OAuthError("access_denied", ACCOUNT_NOT_ACTIVATED, status_code=403)
    return target


async def switch_scope(
    session: AsyncSession, settings: Settings, principal: Principal, user_email: str
) -> IssuedTokens:
    """v4 `authenticate/scope`: a new token acting as another user, for the real admin."""
    actor = principal.actor or principal.user
    try:
        target = await scope_target(session, actor=actor, user_email=user_email)
    except OAuthError as exc:
        if exc.status_code == 403:
            raise Forbidden(exc.message) from exc
        raise NotFound(exc.message) from exc
    grant = await session.get_one(TokenGrant, principal.grant_id)
    application = await session.get_one(Application, grant.application_id)
    if application.enterprise_id != target.enterprise_id:
        raise Forbidden(SCOPE_REFUSED)  # applications act for their own enterprise only
    acting_as_self = target.id == actor.id
    return await issue_tokens(
        session,
        settings,
        user=target,
        application=application,
        actor=None if acting_as_self else actor,
    )
