"""An enterprise's OpenID Connect single sign-on: its settings, and the account a
verified identity from its provider signs in as.

An enterprise admin sets the provider's issuer, the client id and secret Signflow has
there, and whether a first sign-in creates the account. The client secret is sealed
with the installation's key (`sealing.seal`) and never answered. A person is matched by
the e-mail address their provider says it verified (`email_verified`), within that
enterprise only: an address proven by an account of another enterprise is refused, as
is an unverified one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.email_ownership import mark_email_verified
from signflow.accounts.principal import Principal
from signflow.accounts.users import NewUser, create_user, require_admin
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import BadRequest, Forbidden, NotFound
from signflow.models import Enterprise, EnterpriseSso, User
from signflow.sealing import seal, unseal

SECRET_PURPOSE = "signflow/sso-client-secret/v1"  # noqa: S105  (a sealing purpose)
NOT_CONFIGURED = "Single sign-on is not set up for this enterprise"
ISSUER_INVALID = "issuer must be an https URL (http only on loopback)"
SECRET_REQUIRED = "client_secret is required when single sign-on is first set up"  # noqa: S105
EMAIL_NOT_VERIFIED = "sso.unverified"
NO_ACCOUNT = "sso.no_account"
OTHER_ENTERPRISE = "sso.other_enterprise"
ACCOUNT_DISABLED = "app.signin.disabled"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Where the provider sends people back to (the web app's callback).
CALLBACK_PATH = "/app/sso/callback"


@dataclass(frozen=True)
class SsoChange:
    issuer: str
    client_id: str
    client_secret: str | None  # None: keep the stored one
    auto_create_users: bool


def redirect_uri(settings: Settings) -> str:
    """The redirect URI an admin registers at the provider."""
    return settings.base_url.rstrip("/") + CALLBACK_PATH


def signin_url(settings: Settings, row: EnterpriseSso) -> str:
    """The enterprise's own single sign-on address, to hand out or link to."""
    return f"{settings.base_url.rstrip('/')}/app/sso/{row.signin_key}"


def check_issuer(issuer: str) -> str:
    issuer = issuer.strip().rstrip("/")
    parts = urlsplit(issuer)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and (parts.hostname or "") in LOOPBACK
    )
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise BadRequest(ISSUER_INVALID)
    return issuer


async def sso_of(session: AsyncSession, enterprise_id: int) -> EnterpriseSso | None:
    return await session.get(EnterpriseSso, enterprise_id)


async def sso_settings(session: AsyncSession, principal: Principal) -> EnterpriseSso:
    require_admin(principal)
    row = await sso_of(session, principal.enterprise_id)
    if row is None:
        raise NotFound(NOT_CONFIGURED)
    return row


async def set_sso(
    session: AsyncSession, settings: Settings, principal: Principal, change: SsoChange
) -> EnterpriseSso:
    require_admin(principal)
    return await apply_sso(session, settings, principal.enterprise_id, change)


async def apply_sso(
    session: AsyncSession, settings: Settings, enterprise_id: int, change: SsoChange
) -> EnterpriseSso:
    """The enterprise's settings (set_sso for an admin; the operator's CLI directly)."""
    issuer = check_issuer(change.issuer)
    client_id = change.client_id.strip()
    if not client_id:
        raise BadRequest("client_id is required")
    row = await sso_of(session, enterprise_id)
    if row is None and not change.client_secret:
        raise BadRequest(SECRET_REQUIRED)
    if row is None:
        row = EnterpriseSso(enterprise_id=enterprise_id, signin_key=secrets.token_urlsafe(16))
        session.add(row)
    row.issuer, row.client_id = issuer, client_id
    row.auto_create_users = change.auto_create_users
    if change.client_secret:
        secret = change.client_secret.encode()
        row.client_secret_sealed = seal(secret, settings.effective_secret_key, SECRET_PURPOSE)
    row.updated_at = utcnow()
    await session.flush()
    return row


async def clear_sso(session: AsyncSession, principal: Principal) -> None:
    row = await sso_settings(session, principal)
    await session.delete(row)
    await session.flush()


def client_secret(settings: Settings, row: EnterpriseSso) -> str:
    secret = unseal(row.client_secret_sealed, settings.effective_secret_key, SECRET_PURPOSE)
    return secret.decode()


async def sso_by_signin_key(session: AsyncSession, key: str) -> EnterpriseSso | None:
    if not key or len(key) > 64:
        return None
    return await session.scalar(select(EnterpriseSso).where(EnterpriseSso.signin_key == key))


@dataclass(frozen=True)
class Identity:
    """What the provider's verified ID token says about the person."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None


async def proven_account(session: AsyncSession, email: str) -> User | None:
    """The account that proved `email`, in whichever enterprise (an address is proven once)."""
    return await session.scalar(
        select(User).where(User.email == email, User.email_verified_at.is_not(None))
    )


async def sso_for_address(session: AsyncSession, email: str) -> EnterpriseSso | None:
    """The single sign-on of the enterprise whose account proved `email`, if it has one."""
    user = await proven_account(session, email)
    return await sso_of(session, user.enterprise_id) if user is not None else None


async def account_for(session: AsyncSession, row: EnterpriseSso, identity: Identity) -> User:
    """The enterprise's account the identity signs in as, created when the settings say so;
    Forbidden (with a page text key) otherwise."""
    email = (identity.email or "").strip().lower()
    if not email or not identity.email_verified:
        raise Forbidden(EMAIL_NOT_VERIFIED)
    enterprise = await session.get_one(Enterprise, row.enterprise_id)
    proven = await proven_account(session, email)
    if proven is not None and proven.enterprise_id != enterprise.id:
        raise Forbidden(OTHER_ENTERPRISE)
    user = proven or await session.scalar(
        select(User).where(User.email == email, User.enterprise_id == enterprise.id)
    )
    if user is None:
        if not row.auto_create_users:
            raise Forbidden(NO_ACCOUNT)
        user = await create_user(
            session,
            enterprise.id,
            NewUser(email=email, name=(identity.name or "").strip() or email),
        )
    if user.email_verified_at is None:
        # The provider verified the address for this enterprise's own account.
        await mark_email_verified(session, user)
    if not (user.is_active and enterprise.is_active):
        raise Forbidden(ACCOUNT_DISABLED)
    return user
