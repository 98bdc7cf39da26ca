"""The language switch on the blocked and the closed-request pages, and a recipient's
language choosing the first page, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx

from signflow.context import AppContext
from tests.factories import Tenant, bearer
from tests.web.test_identity_http import _protected, _signature_request
from tests.web.test_web_http import _csrf, _links, _path, _shared
from tests.workflow.helpers import share

SWITCH = re.compile(r'<nav class="languages"[^>]*>.*?</nav>', re.S)


def switch_links(html: str) -> list[str]:
    match = SWITCH.search(html)
    assert match, "no language switch on the page"
    return re.findall(r'href="([^"]+)"', match.group(0))


async def test_the_blocked_page_has_the_switch(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    await _protected(
        client, context, tenant, password={"enabled": True, "user_password": "s3cret-pass"}
    )
    csrf = _csrf((await client.get("/web/identity")).text, "/web/identity")
    for _ in range(3):
        await client.post("/web/identity", data={"password": "wrong", "csrf": csrf})
    blocked = await client.get("/web/identity")
    assert blocked.status_code == 403 and "three wrong tries" in blocked.text
    links = switch_links(blocked.text)
    assert "/web/identity?lang=de" in links and "/web/identity?lang=pt" in links
    german = await client.get("/web/identity?lang=de")
    assert german.status_code == 403 and '<html lang="de">' in german.text
    assert "Es gab drei falsche Versuche" in german.text
    assert "Gesperrt" in german.text and "BLOCKED" not in german.text


async def test_the_closed_request_page_has_the_switch(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await _signature_request(client, tenant)
    request_id = str(created["result"])
    opened = await client.get(f"/openDocument/{request_id}?lang=fr")
    assert opened.headers["location"] == "/web/package"
    page = await client.get("/web/package")
    csrf = _csrf(page.text, "/web/request/cancel")
    assert (await client.post("/web/request/cancel", data={"csrf": csrf})).status_code == 303
    closed = await client.get(f"/openDocument/{request_id}")
    assert closed.status_code == 410 and '<html lang="fr">' in closed.text
    assert "La signature de ce document a été annulée" in closed.text
    assert f"/openDocument/{request_id}?lang=nl" in switch_links(closed.text)
    dutch = await client.get(f"/openDocument/{request_id}?lang=nl")
    assert "Het ondertekenen van dit document is geannuleerd" in dutch.text


async def test_the_first_page_follows_the_recipient_then_the_enterprise(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id = await _shared(client, context, tenant)
    changed = await client.put(
        f"/v4/packages/{package_id}/workflow/1/user", json={"language": "nl"}, headers=people.owner
    )
    assert changed.status_code == 200, changed.text
    await share(people, package_id)
    links = await _links(context, package_id)
    # Her own language beats the browser's; the link's ?lang= beats hers.
    landing = await client.get(_path(links["ana"]), headers={"accept-language": "es"})
    assert landing.headers["location"] == "/web/package"
    page = await client.get("/web/package", headers={"accept-language": "es"})
    assert '<html lang="nl">' in page.text and "Wie ondertekent" in page.text
    await client.get(_path(links["ana"]) + "?lang=pt")
    assert '<html lang="pt">' in (await client.get("/web/package")).text
    # Ben has no language: the enterprise's default, once its admin sets one.
    admin = await bearer(client, tenant, tenant.admin_email)
    default = await client.put(
        "/v4/enterprise/settings/language", json={"default_language": "fr"}, headers=admin
    )
    assert default.status_code == 200, default.text
    await client.get(_path(links["ben"]), headers={"accept-language": "es"})
    ben = await client.get("/web/package", headers={"accept-language": "es"})
    assert '<html lang="fr">' in ben.text  # not his turn yet: said in French
