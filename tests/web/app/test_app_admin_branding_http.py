"""The admin's branding page over HTTP, on SQLite and PostgreSQL: name, colour and logo
saved as the API saves them and shown on the signer pages' files; refused colours and
logos (a 4xx with the core's message) change nothing; the default language; CSRF on
every form; users refused; another enterprise's admin changes only their own."""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
from PIL import Image

from signflow.app import create_app
from signflow.context import AppContext
from signflow.models import Enterprise
from tests.branding.test_checks import bomb
from tests.factories import Tenant
from tests.web.app.helpers import browser, form_token, sign_in

PAGE = "/app/admin/branding"
LANGUAGE = PAGE + "/language"


def png(width: int = 120, height: int = 40, colour: str = "#7a1f5c") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Saved:
    display_name: str | None
    accent_color: str | None
    logo_sha256: str | None
    default_language: str | None


async def saved(context: AppContext, tenant: Tenant) -> Saved:
    async with context.sessions() as session:
        row = await session.get_one(Enterprise, tenant.enterprise_id)
        return Saved(row.display_name, row.accent_color, row.logo_sha256, row.default_language)


async def _post_branding(
    client: httpx.AsyncClient, token: str | None, logo: bytes | None = None, **values: str
) -> httpx.Response:
    data = {"display_name": "Acme Legal", "accent_color": "#7a1f5c", **values}
    if token is not None:
        data["csrf"] = token
    files = {"logo": ("logo.png", logo, "image/png")} if logo is not None else None
    return await client.post(PAGE, data=data, files=files)


async def test_an_admin_saves_the_branding_and_the_signer_pages_use_it(
    context: AppContext, tenant: Tenant
) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        token = await form_token(client, PAGE)
        answer = await _post_branding(client, token, png())
        assert answer.status_code == 303 and answer.headers["location"] == PAGE + "?done=saved"
        after = await saved(context, tenant)
        assert after.display_name == "Acme Legal" and after.accent_color == "#7a1f5c"
        assert after.logo_sha256 is not None
        page = await client.get(answer.headers["location"])
        assert "The branding was saved." in page.text
        assert f'href="{PAGE}/preview/7a1f5c.css"' in page.text
        assert f'src="/web/brand/logo/{after.logo_sha256}"' in page.text
        css = await client.get(f"{PAGE}/preview/7a1f5c.css")
        assert css.status_code == 200 and "--brand: #7a1f5c" in css.text
        logo = await client.get(f"/web/brand/logo/{after.logo_sha256}")
        assert logo.status_code == 200 and logo.content == png()

        # Without a new file the logo stays; "remove" clears it.
        kept = await _post_branding(client, token, accent_color="#116329")
        assert kept.status_code == 303
        assert (await saved(context, tenant)).logo_sha256 == after.logo_sha256
        assert (await saved(context, tenant)).accent_color == "#116329"
        removed = await _post_branding(client, token, remove_logo="1")
        assert removed.status_code == 303
        assert (await saved(context, tenant)).logo_sha256 is None


async def test_refused_colours_and_logos_change_nothing(
    context: AppContext, tenant: Tenant
) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    truncated = png()[:60]
    too_big = b"\x89PNG\r\n\x1a\n" + b"\0" * (300 * 1024)
    cases: list[tuple[dict[str, str], bytes | None, str]] = [
        ({"accent_color": "#ffff00"}, None, "contrast of"),
        ({"accent_color": "red"}, None, "hex colour"),
        ({}, svg, "PNG or JPEG"),
        ({}, b"just some text, not an image", "PNG or JPEG"),
        ({}, truncated, "not a readable PNG or JPEG"),
        ({}, too_big, "larger than 256 KB"),
        ({}, png(2500, 10), "2000x2000 pixels"),
        ({}, bomb(), "not a readable PNG or JPEG"),
    ]
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        token = await form_token(client, PAGE)
        assert (await _post_branding(client, token, png())).status_code == 303
        before = await saved(context, tenant)
        for values, logo, message in cases:
            answer = await _post_branding(client, token, logo, display_name="Changed", **values)
            assert answer.status_code == 400, (values, answer.text)
            assert message in answer.text and 'role="alert"' in answer.text
            assert await saved(context, tenant) == before
        bad_css = await client.get(f"{PAGE}/preview/ffff00.css")
        assert bad_css.status_code == 404


async def test_the_default_language(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        token = await form_token(client, PAGE)
        answer = await client.post(LANGUAGE, data={"csrf": token, "default_language": "es"})
        assert answer.status_code == 303
        assert (await saved(context, tenant)).default_language == "es"
        assert '<option value="es" lang="es" selected>' in (await client.get(PAGE)).text
        bad = await client.post(LANGUAGE, data={"csrf": token, "default_language": "xx"})
        assert bad.status_code == 400 and "is not supported" in bad.text
        assert (await saved(context, tenant)).default_language == "es"
        cleared = await client.post(LANGUAGE, data={"csrf": token, "default_language": ""})
        assert cleared.status_code == 303
        assert (await saved(context, tenant)).default_language is None


async def test_every_form_needs_its_csrf_token(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        own = await form_token(client, PAGE)
        before = await saved(context, tenant)
        for token in (None, "forged"):
            assert (await _post_branding(client, token, png())).status_code == 403
            assert (await _post_branding(client, token)).status_code == 403
            data = {"default_language": "de"} | ({"csrf": token} if token else {})
            assert (await client.post(LANGUAGE, data=data)).status_code == 403
        cross = await client.post(
            PAGE,
            data={"csrf": own, "display_name": "Evil", "accent_color": "#000000"},
            headers={"origin": "https://evil.test"},
        )
        assert cross.status_code == 403
        assert await saved(context, tenant) == before


async def test_users_are_refused_and_other_enterprises_change_only_their_own(
    context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    app = create_app(context=context)
    before = await saved(context, tenant)
    async with browser(app) as user:
        await sign_in(user, tenant.user_email)
        assert (await user.get(PAGE)).status_code == 403
        token = await form_token(user, "/app/")
        assert (await _post_branding(user, token, png())).status_code == 403
        refused = await user.post(LANGUAGE, data={"csrf": token, "default_language": "de"})
        assert refused.status_code == 403
        assert "/app/admin/branding" not in (await user.get("/app/")).text
    async with browser(app) as intruder:
        await sign_in(intruder, other_tenant.admin_email)
        token = await form_token(intruder, PAGE)
        assert (
            await _post_branding(intruder, token, png(), display_name="Globex")
        ).status_code == 303
        answer = await intruder.post(LANGUAGE, data={"csrf": token, "default_language": "fr"})
        assert answer.status_code == 303
    assert await saved(context, tenant) == before
    theirs = await saved(context, other_tenant)
    assert theirs.display_name == "Globex" and theirs.default_language == "fr"
