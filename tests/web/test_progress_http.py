"""The owner's progress link and page over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import User
from signflow.sealing import sign_token
from signflow.web.progress import PROGRESS_LINK_PURPOSE
from tests.factories import Tenant, bearer, sign_in
from tests.web.test_web_http import BOX, _assert_locked_down, _links, _path
from tests.workflow.helpers import People, act, add_users, new_package, share, statuses


async def _serial(people: People) -> tuple[int, int]:
    """Ana then Ben sign, in that order (both have accounts, to act through the API)."""
    package_id, (document_id,) = await new_package(people, name="Lease 2026")
    await add_users(people, package_id, [("ana", "SIGNER", 1), ("ben", "SIGNER", 2)])
    for order, name in ((1, "AnaSigns"), (2, "BenSigns")):
        response = await people.client.post(
            f"/v4/packages/{package_id}/documents/{document_id}/fields/digital_signature",
            json={"order": order, "page_no": 1, "field_name": name, "dimensions": BOX},
            headers=people.owner,
        )
        assert response.status_code == 200, response.text
    return package_id, document_id


async def _link(client: httpx.AsyncClient, headers: dict[str, str], package_id: int) -> str:
    response = await client.post(
        "/v4/links/progress", json={"package_id": package_id}, headers=headers
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    assert url.startswith("http://testserver/web/progress/")
    return _path(url)


async def _shared_with_link(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> tuple[People, int, int, str]:
    """The serial package, shared, and its owner's progress link (as a path)."""
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, document_id = await _serial(people)
    await share(people, package_id)
    return people, package_id, document_id, await _link(client, people.owner, package_id)


def _payload(path: str) -> dict[str, Any]:
    """What a link's token says (its first part is plain base64 JSON)."""
    encoded = path.rsplit("/", 1)[1].split(".", 1)[0]
    payload: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
    return payload


def _people(html: str) -> list[tuple[str, str, bool]]:
    """(name, status, is next) of each recipient on the page, in order."""
    found = []
    for item in html.split('<li class="owner-person')[1:]:
        name = re.search(r'<h3 class="person-name">([^<]+)', item)
        state = re.search(r'<dd class="person-state">([^<]+)</dd>', item)
        assert name and state
        found.append((name.group(1).strip(), state.group(1), "badge-next" in item))
    return found


async def test_the_owner_sees_who_signed_and_who_is_next(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    people, package_id, document_id, path = await _shared_with_link(client, context, tenant)
    token = path.rsplit("/", 1)[1]

    with caplog.at_level(logging.INFO, logger="signflow.access"):
        page = await client.get(path)
    assert page.status_code == 200, page.text
    assert any("/web/progress/{token}" in r.getMessage() for r in caplog.records)
    assert not any(token in r.getMessage() for r in caplog.records)
    assert _people(page.text) == [("Ana", "Their turn", True), ("Ben", "Waiting", False)]
    assert "Next to act: Ana" in page.text
    assert "set-cookie" not in page.headers

    # Ana signs and finishes through the API: Ben is next.
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "AnaSigns"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("SHARED", ["SIGNED", "IN_PROGRESS"])

    page = await client.get(path)  # the same link again: not single-use
    assert page.status_code == 200
    html = page.text
    assert _people(html) == [("Ana", "Signed", False), ("Ben", "Their turn", True)]
    assert "Next to act: Ben" in html
    assert "Status: In progress" in html
    assert "<h1>Lease 2026</h1>" in html
    assert "doc1.pdf</span> · Pages: 2" in html
    # The history, newest first: Ana's signature is among the last entries, with who and when.
    history = html.split('id="history"', 1)[1]
    assert history.index("Finished their turn") < history.index(">Signed<")
    assert '<span class="history-who">Ana</span>' in history
    assert re.search(r'<time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>', history)
    # The same headers as the signer pages; read-only: no form, no script of its own.
    _assert_locked_down(page)
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<form" not in html and "<script>" not in html and " style=" not in html

    # Spanish from the browser, or from ?lang=.
    spanish = await client.get(path, headers={"accept-language": "es-ES,es;q=0.9"})
    assert '<html lang="es">' in spanish.text and "Le toca ahora a: Ben" in spanish.text
    assert "Es su turno" in spanish.text and "Firmado" in spanish.text
    english = await client.get(path + "?lang=en", headers={"accept-language": "es"})
    assert '<html lang="en">' in english.text

    # Ben declines: the reason shows, and nobody is next any more.
    declined = await act(people, "ben", package_id, "decline", {"reason": "Wrong rent"})
    assert declined.status_code == 200, declined.text
    html = (await client.get(path)).text
    assert _people(html) == [("Ana", "Signed", False), ("Ben", "Declined", False)]
    assert '<dd class="reason">Wrong rent</dd>' in html
    assert "Status: Declined" in html and "Next to act" not in html


async def test_the_link_is_the_owners_only(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, _ = await _serial(people)
    await share(people, package_id)

    # A recipient (whose turn it is: they may read the package) may not have the link.
    refused = await client.post(
        "/v3/links/progress", json={"package_id": package_id}, headers=people["ana"]
    )
    assert refused.status_code == 403
    assert refused.json() == {"Message": "Document does not belong to user"}
    # Another enterprise's user and admin: the package does not exist for them.
    for email in (other_tenant.user_email, other_tenant.admin_email):
        outsider = await bearer(client, other_tenant, email)
        refused = await client.post(
            "/v4/links/progress", json={"package_id": package_id}, headers=outsider
        )
        assert refused.status_code == 404
        assert refused.json() == {"Message": "Document not found"}
    # The owner's own enterprise admin, unscoped, is not the owner either.
    admin = await bearer(client, tenant, tenant.admin_email)
    refused = await client.post(
        "/v4/links/progress", json={"package_id": package_id}, headers=admin
    )
    assert refused.status_code == 403
    # No token, and a package that does not exist.
    assert (
        await client.post("/v4/links/progress", json={"package_id": package_id})
    ).status_code == 401
    missing = await client.post(
        "/v4/links/progress", json={"package_id": package_id + 1000}, headers=people.owner
    )
    assert missing.status_code == 404

    # The admin scoped as the owner may: the link is the owner's view.
    tokens = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    scoped = {"Authorization": f"Bearer {tokens['access_token']}"}
    path = await _link(client, scoped, package_id)
    assert (await client.get(path)).status_code == 200
    # /v3 answers the same; the link is not a bearer token.
    path = _path(
        (
            await client.post(
                "/v3/links/progress", json={"package_id": package_id}, headers=people.owner
            )
        ).json()["url"]
    )
    token = path.rsplit("/", 1)[1]
    as_bearer = await client.get(
        f"/v3/packages/{package_id}/workflow", headers={"Authorization": f"Bearer {token}"}
    )
    assert as_bearer.status_code == 401


async def test_expired_forged_and_other_links_are_refused(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id, _, path = await _shared_with_link(client, context, tenant)
    secret = context.settings.effective_secret_key
    payload = _payload(path)
    assert payload["p"] == package_id
    owner_id = payload["u"]

    expired = sign_token(secret, PROGRESS_LINK_PURPOSE, {"p": package_id, "u": owner_id}, -60)
    gone = await client.get(f"/web/progress/{expired}", headers={"accept-language": "es"})
    assert gone.status_code == 410
    assert '<html lang="es">' in gone.text and "ha caducado" in gone.text
    assert "Lease 2026" not in gone.text

    # A recipient's email link (another purpose), a forged one, a made-up one: 403.
    links = await _links(context, package_id)
    recipient_token = links["ana"].rsplit("/", 1)[1]
    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    other_purpose = sign_token(secret, "signflow/integration-link/v1", payload, 300)
    for attempt in (
        f"/web/progress/{recipient_token}",
        forged,
        "/web/progress/nothing",
        f"/web/progress/{other_purpose}",
    ):
        refused = await client.get(attempt)
        assert refused.status_code == 403, attempt
        assert "not valid any more" in refused.text and "Lease 2026" not in refused.text

    # A recipient's session cookie grants nothing here.
    landing = await client.get(_path(links["ana"]))
    assert landing.status_code == 303 and client.cookies.get("signflow_signer")
    assert (await client.get("/web/package")).status_code == 200
    for attempt in (f"/web/progress/{recipient_token}", "/web/progress/x"):
        refused = await client.get(attempt)
        assert refused.status_code == 403
        assert "Ana" not in refused.text.split("<main", 1)[1]
    client.cookies.clear()

    # A deleted package: 404.
    draft_id, _ = await new_package(people, name="Draft to delete")
    draft_path = await _link(client, people.owner, draft_id)
    assert (await client.get(draft_path)).status_code == 200
    deleted = await client.delete(f"/v3/packages/{draft_id}", headers=people.owner)
    assert deleted.status_code == 200, deleted.text
    missing = await client.get(draft_path)
    assert missing.status_code == 404
    assert "does not exist any more" in missing.text


async def _set_language(context: AppContext, email: str, language: str | None) -> None:
    async with transaction(context.sessions) as session:
        await session.execute(update(User).where(User.email == email).values(language=language))


async def test_the_page_speaks_the_owners_profile_language(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    *_, path = await _shared_with_link(client, context, tenant)
    spanish_browser = {"accept-language": "es-ES,es;q=0.9"}

    await _set_language(context, tenant.user_email, "de")
    german = await client.get(path, headers=spanish_browser)
    assert '<html lang="de">' in german.text
    assert "Als Nächstes an der Reihe: Ana" in german.text
    # ?lang= still wins, and the switch's links keep the page.
    french = await client.get(path + "?lang=fr", headers=spanish_browser)
    assert '<html lang="fr">' in french.text and "Prochain à agir : Ana" in french.text
    assert f'href="{path}?lang=es"' in french.text
    # Without a language of their own, the browser's.
    await _set_language(context, tenant.user_email, None)
    spanish = await client.get(path, headers=spanish_browser)
    assert '<html lang="es">' in spanish.text
