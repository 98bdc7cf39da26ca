"""Single sign-on with OpenID Connect in Chromium, against a real provider started by the
test (the npm package oidc-provider on loopback): an admin sets it up through the API,
then people sign in through the provider's own login page; matched by verified e-mail
within the enterprise, created when the settings say so, refused otherwise.
Screenshots in tests/artifacts/web/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from signflow.db import transaction
from signflow.models import AppSession, User
from tests.factories import bearer, make_tenant
from tests.web.app.oidc import OpenIdProvider, openid_provider
from tests.web.conftest import Web
from tests.web.helpers import TALL_PHONE, WIDE_DESKTOP


@pytest.fixture
async def provider(web: Web) -> AsyncIterator[OpenIdProvider]:
    async with openid_provider(web.live_server.url + "/app/sso/callback") as running:
        yield running


async def set_up_sso(web: Web, provider: OpenIdProvider, auto_create: bool = False) -> str:
    admin = await bearer(web.api, web.tenant, web.tenant.admin_email)
    body = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "auto_create_users": auto_create,
    }
    answer = await web.api.put("/v4/enterprise/settings/sso", json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    assert provider.client_secret not in answer.text
    assert answer.json()["redirect_uri"] == web.live_server.url + "/app/sso/callback"
    signin_url: str = answer.json()["signin_url"]
    return signin_url


async def provider_login(page: Page, login: str) -> None:
    """The provider's development login and consent pages."""
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill("anything")
    await page.locator("button[type=submit]").click()
    await page.locator("button[type=submit]").filter(has_text="Continue").click()


async def test_signing_in_with_sso_on_a_desktop(web: Web, provider: OpenIdProvider) -> None:
    await set_up_sso(web, provider)
    base = web.live_server.url
    page = await web.new_page(WIDE_DESKTOP, locale="en-GB")
    try:
        await page.goto(base + "/app/sessions")
        await page.get_by_role("link", name="Sign in with your organisation").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Single sign-on")
        await web.shot_and_check_axe(page, "app-sso-desktop", "the single sign-on page")
        await page.get_by_label("E-mail address", exact=True).fill(web.tenant.user_email)
        await page.get_by_role("button", name="Continue").click()
        await expect(page.get_by_role("status")).to_contain_text(web.tenant.user_email)
        await web.shot_and_check_axe(page, "app-sso-found-desktop", "the provider found")
        await page.get_by_role("link", name="Continue to your organisation's sign-in").click()
        await expect(page).to_have_url(re.compile("^" + re.escape(provider.issuer)))
        await provider_login(page, web.tenant.user_email)
        await expect(page).to_have_url(base + "/app/sessions")
        await expect(page.locator(".app-session-facts")).to_contain_text("Single sign-on")
        await web.shot_and_check_axe(page, "app-sso-signed-in-desktop", "after single sign-on")
    finally:
        await page.context.close()
    async with transaction(web.live_server.context.sessions) as session:
        user = await session.scalar(select(User).where(User.email == web.tenant.user_email))
        assert user is not None
        methods = await session.scalars(
            select(AppSession.method).where(AppSession.user_id == user.id)
        )
        assert list(methods) == ["sso"]


async def test_a_first_sign_in_creates_the_account_when_allowed(
    web: Web, provider: OpenIdProvider
) -> None:
    signin_url = await set_up_sso(web, provider, auto_create=True)
    newcomer = f"newcomer@{web.tenant.name.lower()}.test"
    page = await web.new_page(TALL_PHONE, is_mobile=True, has_touch=True, locale="es-ES")
    try:
        await page.goto(signin_url)
        await provider_login(page, newcomer)
        await expect(page).to_have_url(web.live_server.url + "/app/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Documentos")
        await web.shot_and_check_axe(page, "app-sso-created-phone-es", "a created account")
    finally:
        await page.context.close()
    async with transaction(web.live_server.context.sessions) as session:
        user = await session.scalar(select(User).where(User.email == newcomer))
        assert user is not None and user.enterprise_id == web.tenant.enterprise_id
        assert user.email_verified_at is not None and user.password_hash is None


async def test_unknown_unverified_and_foreign_addresses_are_refused(
    web: Web, provider: OpenIdProvider
) -> None:
    signin_url = await set_up_sso(web, provider, auto_create=False)
    other = await make_tenant(web.live_server.context, f"Other{web.tenant.name}")
    cases = {
        f"stranger@{web.tenant.name.lower()}.test": "There is no account for your e-mail",
        f"unverified-{web.tenant.user_email}": "has not verified your e-mail address",
        other.user_email: "belongs to an account of another organisation",
    }
    for login, message in cases.items():
        page = await web.new_page(WIDE_DESKTOP, locale="en-GB")
        try:
            await page.goto(signin_url)
            await provider_login(page, login)
            await expect(page.locator(".notice-error")).to_contain_text(message)
            if login.startswith("unverified"):
                await web.shot_and_check_axe(page, "app-sso-refused-desktop", "a refused SSO")
            await page.goto(web.live_server.url + "/app/")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        finally:
            await page.context.close()
    async with transaction(web.live_server.context.sessions) as session:
        stranger = await session.scalar(
            select(User).where(User.email == f"stranger@{web.tenant.name.lower()}.test")
        )
        assert stranger is None
