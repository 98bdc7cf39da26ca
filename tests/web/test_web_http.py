"""The signer pages over HTTP, on SQLite and PostgreSQL: session, headers, CSRF, refusals."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Recipient
from signflow.packages.links import recipient_link
from signflow.web.i18n import from_accept_language
from tests.factories import Tenant
from tests.workflow.helpers import People, add_users, new_package, share, statuses

BOX = {"x": 72, "y": 72, "width": 150, "height": 50}


async def _links(context: AppContext, package_id: int) -> dict[str, str]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(Recipient).where(Recipient.package_id == package_id).order_by(Recipient.position)
        )
        return {r.email.partition("@")[0]: recipient_link(context.settings, r) for r in rows}


async def _shared(client: httpx.AsyncClient, context: AppContext, tenant: Tenant) -> tuple:
    people = await People(client, context, tenant).start()  # the recipients have no account
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "REVIEWER")])
    response = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={"order": 1, "page_no": 1, "field_name": "AnaSigns", "dimensions": BOX},
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    return people, package_id


def _path(link: str) -> str:
    return link.removeprefix("http://testserver")


def _assert_locked_down(page: httpx.Response) -> None:
    """The headers of every page: its own scripts only, never framed, never stored."""
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def _csrf(html: str, form_action: str) -> str:
    start = html.index(f'action="{form_action}"')
    marker = 'name="csrf" value="'
    at = html.index(marker, start) + len(marker)
    return html[at : html.index('"', at)]


async def test_the_email_link_starts_a_session_without_the_token_in_later_urls(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id = await _shared(client, context, tenant)
    await share(people, package_id)
    links = await _links(context, package_id)
    token = links["ana"].rsplit("/", 1)[1]

    landing = await client.get(_path(links["ana"]))
    assert landing.status_code == 303
    assert landing.headers["location"] == "/web/package"
    assert token not in landing.headers["location"]
    cookie = landing.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert landing.headers["referrer-policy"] == "no-referrer"

    page = await client.get("/web/package")
    assert page.status_code == 200
    assert token not in page.text
    _assert_locked_down(page)
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="en">' in page.text
    assert "<script>" not in page.text and " style=" not in page.text
    image = await client.get(page.text.split('<img src="', 1)[1].split('"', 1)[0])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")

    # Without the cookie there is no page; a forged link opens nothing.
    client.cookies.clear()
    assert (await client.get("/web/package")).status_code == 401
    forged = await client.get(_path(links["ana"])[:-3] + "abc")
    assert forged.status_code == 404
    assert "not valid any more" in forged.text


async def test_actions_need_the_session_csrf_token_and_a_same_origin(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id = await _shared(client, context, tenant)
    await share(people, package_id)
    links = await _links(context, package_id)
    await client.get(_path(links["ana"]))
    html = (await client.get("/web/package")).text
    csrf = _csrf(html, "/web/package/decline")

    refused = await client.post("/web/package/decline", data={"reason": "No"})
    assert refused.status_code == 303 and refused.headers["location"] == "/web/package"
    assert "form has expired" in (await client.get("/web/package")).text
    cross_site = await client.post(
        "/web/package/decline",
        data={"reason": "No", "csrf": csrf},
        headers={"origin": "https://evil.test"},
    )
    assert cross_site.status_code == 303
    assert await statuses(people, package_id) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])

    # Finishing before signing is refused by the core, and the page says why.
    await client.post("/web/package/finish", data={"csrf": csrf})
    assert "Complete these fields first: AnaSigns." in (await client.get("/web/package")).text

    declined = await client.post(
        "/web/package/decline",
        data={"reason": "Not mine", "csrf": csrf},
        headers={"origin": "http://testserver"},
    )
    assert (declined.status_code, declined.headers["location"]) == (303, "/web/done")
    assert await statuses(people, package_id) == ("DECLINED", ["DECLINED", "UN_PROCESSED"])


async def test_a_reviewer_approves_and_the_language_comes_from_the_browser(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id = await _shared(client, context, tenant)
    await client.put(
        f"/v3/packages/{package_id}/workflow/1/user",
        json={"user_email": people.email("ana"), "user_name": "Ana", "role": "REVIEWER"},
        headers=people.owner,
    )
    await share(people, package_id)
    links = await _links(context, package_id)
    await client.get(_path(links["ana"]), headers={"accept-language": "es-CO,es;q=0.9,en;q=0.5"})
    html = (await client.get("/web/package")).text
    assert '<html lang="es">' in html and "Aprobar y terminar" in html
    approved = await client.post(
        "/web/package/approve",
        data={"reason": "Bien", "csrf": _csrf(html, "/web/package/approve")},
    )
    assert approved.headers["location"] == "/web/done"
    assert await statuses(people, package_id) == ("SHARED", ["REVIEWED", "IN_PROGRESS"])
    # The language can be switched on the page.
    assert "Approve" not in (await client.get("/web/done")).text
    english = await client.get("/web/package?lang=en")
    assert '<html lang="en">' in english.text


def test_the_browser_language_picks_one_we_have() -> None:
    # Every catalog has every text: tests/i18n/test_catalogs.py.
    assert from_accept_language("fr-FR,es;q=0.8,en;q=0.9") == "fr"
    assert from_accept_language("ja, es-MX;q=0.5") == "es"
    assert from_accept_language("nl-BE;q=0.4, pt-BR;q=0.6") == "pt"
    assert from_accept_language("ja") is None
