"""SigningHub's `POST /authenticate/sso`: an integration hands over the ID token its user
got from the enterprise's identity provider, and gets that user's tokens.

The caller authenticates as the integration (a `client_credentials` token); the ID
token must be signed by the keys the enterprise's provider publishes, issued by it, for
the client id set up for the enterprise (`accounts/sso.py`), and still valid. The user
is found (or created) as for the web app's single sign-on.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts import oidc
from signflow.accounts.principal import Principal
from signflow.accounts.sso import (
    ACCOUNT_DISABLED,
    EMAIL_NOT_VERIFIED,
    NO_ACCOUNT,
    OTHER_ENTERPRISE,
    account_for,
    sso_of,
)
from signflow.accounts.tokens import IssuedTokens, issue_tokens
from signflow.config import Settings
from signflow.errors import BadRequest, Forbidden
from signflow.models import Application, TokenGrant

# The guide's methods: both are the Microsoft identity platform, an OpenID provider.
METHODS = ("Office_365", "Azure_Active_Directory", "OpenID_Connect")
METHOD_UNSUPPORTED = "SSO method '{method}' is not supported; use one of: " + ", ".join(METHODS)
TOKEN_INVALID = "Invalid or expired SSO token"  # noqa: S105  (a message)
NOT_SET_UP = "Single sign-on is not set up for this enterprise"
# The refusals of account_for, as the API says them.
REFUSALS = {
    EMAIL_NOT_VERIFIED: "The identity provider has not verified the user's email address",
    NO_ACCOUNT: "No user with this email address in the enterprise",
    OTHER_ENTERPRISE: "The email address belongs to a user of another enterprise",
    ACCOUNT_DISABLED: "Account is disabled",
}


async def authenticate_sso(
    session: AsyncSession, settings: Settings, principal: Principal, token: str, method: str
) -> IssuedTokens:
    if method.strip().lower() not in {m.lower() for m in METHODS}:
        raise BadRequest(METHOD_UNSUPPORTED.format(method=method))
    if not token.strip() or len(token) > 20_000:
        raise BadRequest(TOKEN_INVALID)
    row = await sso_of(session, principal.enterprise_id)
    if row is None:
        raise BadRequest(NOT_SET_UP)
    provider = await oidc.discover(row.issuer)
    keys = await oidc.provider_keys(provider)
    try:
        identity = oidc.verify_id_token(token.strip(), keys, row.issuer, row.client_id, None)
    except oidc.ProviderError as exc:
        raise BadRequest(TOKEN_INVALID) from exc
    try:
        user = await account_for(session, row, identity)
    except Forbidden as exc:
        raise Forbidden(REFUSALS.get(exc.message, exc.message)) from exc
    grant = await session.get_one(TokenGrant, principal.grant_id)
    application = await session.get_one(Application, grant.application_id)
    return await issue_tokens(session, settings, user=user, application=application)
