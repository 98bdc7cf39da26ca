"""The admin's integration applications page over HTTP, on SQLite and PostgreSQL: the
framing origins and callback URL set through the form as the API sets them; the core's
refusals shown as 400 with nothing changed; admins only; another enterprise's admin
gets 404; CSRF on the form."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from signflow.app import create_app
from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.web.app.helpers import browser, form_token, sign_in

PAGE = "/app/admin/applications"
APPLICATION_ID = re.compile(r'id="application-(\d+)"')


async def _api_applications(api: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, object]]:
    headers = await bearer(api, tenant, tenant.admin_email)
    answer = await api.get("/v3/enterprise/applications", headers=headers)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, object]] = answer.json()
    return found


async def _application_id(app: httpx.AsyncClient) -> int:
    page = await app.get(PAGE)
    assert page.status_code == 200, page.text
    [application_id] = APPLICATION_ID.findall(page.text)
    return int(application_id)


async def _set(
    app: httpx.AsyncClient, application_id: int, origins: str, callback: str
) -> httpx.Response:
    token = await form_token(app, PAGE)
    return await app.post(
        f"{PAGE}/{application_id}",
        data={"csrf": token, "origins": origins, "callback_url": callback},
    )


async def test_an_admin_sets_the_origins_and_the_callback(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        application_id = await _application_id(app)
        assert tenant.client_id in (await app.get(PAGE)).text
        saved = await _set(
            app,
            application_id,
            "https://Shop.Example.com\nhttp://localhost:8080, https://shop.example.com:443",
            "https://shop.example.com/signed",
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"{PAGE}?done=saved"
        page = await app.get(saved.headers["location"])
        assert "The application was saved." in page.text
        assert "https://shop.example.com\nhttp://localhost:8080</textarea>" in page.text
    [application] = await _api_applications(client, tenant)
    assert application["allowed_origins"] == ["https://shop.example.com", "http://localhost:8080"]
    assert application["callback_url"] == "https://shop.example.com/signed"

    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        cleared = await _set(app, application_id, "", "")
        assert cleared.status_code == 303
    [application] = await _api_applications(client, tenant)
    assert application["allowed_origins"] == [] and application["callback_url"] is None


@pytest.mark.parametrize(
    ("origins", "callback", "said"),
    [
        ("https://shop.example.com/path", "", "is not an origin"),
        ("http://shop.example.com", "", "must be an https origin"),
        ("https://*.example.com", "", "is not an origin"),
        ("https://shop.example.com", "https://elsewhere.example.org/x", "host of one of"),
        ("https://shop.example.com", "ftp://shop.example.com/x", "must be an https URL"),
        (" ".join(f"https://h{n}.example.com" for n in range(21)), "", "At most 20"),
        ("https://a.example.com " * 2000, "", "A value of the form is not valid."),
    ],
)
async def test_a_refused_embedding_is_said_and_nothing_changes(
    context: AppContext,
    tenant: Tenant,
    client: httpx.AsyncClient,
    origins: str,
    callback: str,
    said: str,
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        application_id = await _application_id(app)
        assert (await _set(app, application_id, "https://ok.example.com", "")).status_code == 303
        refused = await _set(app, application_id, origins, callback)
        assert refused.status_code == 400
        assert said in html.unescape(refused.text)
        assert 'id="apps-error"' in refused.text
        if len(origins) < 100:
            assert f">{html.escape(origins)}</textarea>" in refused.text  # kept as typed
    [application] = await _api_applications(client, tenant)
    assert application["allowed_origins"] == ["https://ok.example.com"]
    assert application["callback_url"] is None


async def test_users_and_other_enterprises_are_refused(
    context: AppContext, tenant: Tenant, other_tenant: Tenant, client: httpx.AsyncClient
) -> None:
    app = create_app(context=context)
    async with browser(app) as admin, browser(app) as user, browser(app) as intruder:
        await sign_in(admin, tenant.admin_email)
        application_id = await _application_id(admin)
        await sign_in(user, tenant.user_email)
        assert (await user.get(PAGE)).status_code == 403
        token = await form_token(user, "/app/")
        answer = await user.post(
            f"{PAGE}/{application_id}",
            data={"csrf": token, "origins": "https://evil.example.com"},
        )
        assert answer.status_code == 403
        assert 'href="/app/admin/applications"' not in (await user.get("/app/")).text

        await sign_in(intruder, other_tenant.admin_email)
        own = await _application_id(intruder)
        assert own != application_id
        assert tenant.client_id not in (await intruder.get(PAGE)).text
        answer = await _set(intruder, application_id, "https://evil.example.com", "")
        assert answer.status_code == 404
    [application] = await _api_applications(client, tenant)
    assert application["allowed_origins"] == [] and application["callback_url"] is None


async def test_the_form_needs_its_csrf_token(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        application_id = await _application_id(app)
        own = await form_token(app, PAGE)
        path = f"{PAGE}/{application_id}"
        data = {"origins": "https://evil.example.com"}
        for body in (data, {**data, "csrf": "forged"}):
            assert (await app.post(path, data=body)).status_code == 403
        cross = await app.post(
            path, data={**data, "csrf": own}, headers={"origin": "https://evil.test"}
        )
        assert cross.status_code == 403
    [application] = await _api_applications(client, tenant)
    assert application["allowed_origins"] == []
