"""The OAuth grants of /authenticate and the v4 scope switch."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.credentials import secret_matches, verify_password
from signflow.accounts.principal import Principal
from signflow.accounts.throttle import clear_failures, ensure_not_throttled, throttle_keys
from signflow.accounts.tokens import ACCOUNT_DISABLED, IssuedTokens, issue_tokens
from signflow.accounts.tokens import rotate_refresh_token as rotate
from signflow.config import Settings
from signflow.errors import Forbidden, NotFound, OAuthError
from signflow.models import Application, Enterprise, TokenGrant, User

SCOPE_REFUSED = "You are not allowed to perform the requested operation"
ACCOUNT_NOT_ACTIVATED = "Account is not activated"


class CredentialsRejected(Exception):
    """Wrong credentials: the caller must count the failure once the transaction is gone."""

    def __init__(self, error: OAuthError, throttle_keys: list[str]) -> None:
        super().__init__(error.message)
        self.error = error
        self.throttle_keys = throttle_keys


class SignIn:
    def __init__(self, session: AsyncSession, settings: Settings, address: str | None) -> None:
        self.session = session
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
        application = await self._application(form)
        return await handler(application, form)

    async def _application(self, form: Mapping[str, str]) -> Application:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not client_id or not client_secret:
            raise OAuthError("invalid_request", "client_id and client_secret are required")
        keys = throttle_keys(account=f"client:{client_id}", address=self.address)
        await ensure_not_throttled(self.session, self.settings, keys)
        application = await self.session.scalar(
            select(Application).where(Application.name == client_id)
        )
        if application is None or not secret_matches(client_secret, application.secret_hash):
            error = OAuthError("invalid_client", "Client authentication failed", status_code=401)
            raise CredentialsRejected(error, keys)
        enterprise = await self.session.get_one(Enterprise, application.enterprise_id)
        if not (application.is_active and enterprise.is_active):
            raise OAuthError("access_denied", ACCOUNT_DISABLED, status_code=403)
        return application

    async def _password(self, application: Application, form: Mapping[str, str]) -> IssuedTokens:
        username, password = form.get("username", "").strip().lower(), form.get("password", "")
        if not username or not password:
            raise OAuthError("invalid_request", "username and password are required")
        keys = throttle_keys(account=username, address=self.address)
        await ensure_not_throttled(self.session, self.settings, keys)
        # Only the account that proved the address signs in with it (pending ones never),
        # and only through an application of its own enterprise.
        user = await self.session.scalar(
            select(User).where(User.email == username, User.email_verified_at.is_not(None))
        )
        if (
            user is None
            or not verify_password(user.password_hash, password)
            or user.enterprise_id != application.enterprise_id
        ):
            error = OAuthError("invalid_grant", "Invalid username or password")
            raise CredentialsRejected(error, keys)
        await clear_failures(self.session, username)
        await self._ensure_active(user)
        scope = form.get("scope", "").strip()
        if scope:
            target = await scope_target(self.session, actor=user, user_email=scope)
            return await issue_tokens(
                self.session, self.settings, user=target, application=application, actor=user
            )
        return await issue_tokens(self.session, self.settings, user=user, application=application)

    async def _client_credentials(
        self, application: Application, _form: Mapping[str, str]
    ) -> IssuedTokens:
        user = await self.session.get_one(User, application.api_user_id)
        await self._ensure_active(user)
        return await issue_tokens(self.session, self.settings, user=user, application=application)

    async def _refresh_token(
        self, application: Application, form: Mapping[str, str]
    ) -> IssuedTokens:
        token = form.get("refresh_token", "")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required")
        try:
            issued = await rotate(
                self.session, self.settings, refresh_token=token, application=application
            )
        except Forbidden as exc:
            raise OAuthError("access_denied", exc.message, status_code=403) from exc
        if issued is None:
            raise OAuthError("invalid_grant", "The refresh token is invalid, expired or used")
        return issued

    async def _ensure_active(self, user: User) -> None:
        enterprise = await self.session.get_one(Enterprise, user.enterprise_id)
        if not (user.is_active and enterprise.is_active):
            raise OAuthError("access_denied", ACCOUNT_DISABLED, status_code=403)


async def scope_target(session: AsyncSession, *, actor: User, user_email: str) -> User:
    """The user an admin may act as: same enterprise, and the admin holds the privilege."""
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
