"""Save as template and start from a template over HTTP, on SQLite and PostgreSQL: the
template the API lists after, a new draft with the template's recipients and fields;
CSRF, other enterprises' packages and template ids, bad names."""

from __future__ import annotations

import re
from typing import Any

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.app.documents_helpers import app_signed_in, page_token
from tests.web.app.test_app_documents_http import browser_of, prepared
from tests.workflow.helpers import People


async def templates_of(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    answer = await client.get("/v4/settings/templates/50/1", headers=headers)
    assert answer.status_code == 200, answer.text
    body: list[Any] = answer.json()
    return body


async def package_names(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    listed = await client.get("/v4/packages/ALL/1/50", headers=headers)
    assert listed.status_code == 200, listed.text
    return sorted(p["package_name"] for p in listed.json())


async def test_save_then_start_from_the_template(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, _ = await prepared(client, people)
    token = await page_token(client, f"/app/new/{package_id}")
    empty = await client.get("/app/new")
    assert 'id="templates"' in empty.text
    assert "No templates yet" in empty.text

    saved = await client.post(
        f"/app/new/{package_id}/template", data={"csrf": token, "template_name": " Lease form "}
    )
    assert saved.status_code == 303, saved.text
    listed = await templates_of(client, people.owner)
    assert [t["template_name"] for t in listed] == ["Lease form"]
    template_id = listed[0]["template_id"]
    assert saved.headers["location"] == f"/app/new?saved={template_id}#templates"
    page = await client.get(saved.headers["location"])
    assert "Saved as the template “Lease form”." in page.text
    assert f'action="/app/new/templates/{template_id}"' in page.text

    started = await client.post(
        f"/app/new/templates/{template_id}", data={"csrf": token, "package_name": "Lease Ana"}
    )
    assert started.status_code == 303, started.text
    found = re.fullmatch(r"/app/new/(\d+)", started.headers["location"])
    assert found, started.headers["location"]
    new_id = int(found.group(1))
    assert new_id != package_id
    workflow = (await client.get(f"/v4/packages/{new_id}/workflow", headers=people.owner)).json()
    assert (
        workflow["package_name"] == "Lease Ana"
        or workflow["workflow"]["workflow_status"] == "DRAFT"
    )
    assert [u["user_email"] for u in workflow["users"]] == [
        people.email("ana"),
        people.email("ben"),
    ]
    prepare = await client.get(started.headers["location"])
    assert prepare.status_code == 200
    document = re.search(r'name="document_id"><option value="(\d+)"', prepare.text)
    assert document
    document_id = int(document.group(1))
    fields = (
        await client.get(
            f"/v4/packages/{new_id}/documents/{document_id}/fields", headers=people.owner
        )
    ).json()
    assert [f["order"] for f in fields["digital_signature"]] == [1]
    assert [f["order"] for f in fields["text"]] == [2]
    assert prepare.text.count('class="placed kind-') == 2
    # Without a name: the template's.
    again = await client.post(f"/app/new/templates/{template_id}", data={"csrf": token})
    assert again.status_code == 303, again.text
    assert await package_names(client, people.owner) == ["Lease 2026", "Lease Ana", "Lease form"]


async def test_bad_names_csrf_and_other_enterprises(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, _ = await prepared(client, people)
    token = await page_token(client, f"/app/new/{package_id}")
    for data in ({"template_name": ""}, {"template_name": "x" * 300}):
        answer = await client.post(f"/app/new/{package_id}/template", data={"csrf": token, **data})
        assert answer.status_code == 400, answer.text
    # Sharing with the enterprise takes an admin: the core's refusal.
    shared = await client.post(
        f"/app/new/{package_id}/template",
        data={"csrf": token, "template_name": "Shared", "shared": "true"},
    )
    assert shared.status_code == 403, shared.text
    assert await templates_of(client, people.owner) == []
    saved = await client.post(
        f"/app/new/{package_id}/template", data={"csrf": token, "template_name": "Mine"}
    )
    assert saved.status_code == 303, saved.text
    twice = await client.post(
        f"/app/new/{package_id}/template", data={"csrf": token, "template_name": "Mine"}
    )
    assert twice.status_code == 409, twice.text
    template_id = (await templates_of(client, people.owner))[0]["template_id"]

    forms = [
        (f"/app/new/{package_id}/template", {"template_name": "Forged"}),
        (f"/app/new/templates/{template_id}", {"package_name": "Forged"}),
    ]
    for path, data in forms:
        for forged in (None, "forged"):
            sent = data if forged is None else {**data, "csrf": forged}
            answer = await client.post(path, data=sent)
            assert answer.status_code == 403, (path, forged, answer.text)
    others = await People(client, context, other_tenant).start()
    async with browser_of(client) as outsider:
        await app_signed_in(outsider, other_tenant, others.tenant.user_email)
        theirs = await page_token(outsider, "/app/new")
        listing = await outsider.get("/app/new")
        assert "Mine" not in listing.text
        for path, data in forms:
            answer = await outsider.post(path, data={**data, "csrf": theirs})
            assert answer.status_code == 404, (path, answer.text)
        assert await package_names(client, others.owner) == []
        assert await templates_of(client, others.owner) == []
    # A colleague may not save another's draft; unknown template ids are 404.
    async with browser_of(client) as ana:
        await app_signed_in(ana, tenant, people.email("ana"))
        hers = await page_token(ana, "/app/new")
        answer = await ana.post(
            f"/app/new/{package_id}/template", data={"csrf": hers, "template_name": "Ana's"}
        )
        assert answer.status_code == 404, answer.text
    for bad in ("999999", "x"):
        answer = await client.post(f"/app/new/templates/{bad}", data={"csrf": token})
        assert answer.status_code in (400, 404), answer.text
    assert [t["template_name"] for t in await templates_of(client, people.owner)] == ["Mine"]
    assert await package_names(client, people.owner) == ["Lease 2026"]
