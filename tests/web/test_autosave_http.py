"""The package page's autosave (`POST /web/package/field`) and a signature that carries the
page's entries, over HTTP on SQLite and PostgreSQL: one value kept at a time with the
core's checks, refusals with their reason and nothing kept."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.test_fields_http import _stored, at, typed_signature
from tests.web.test_web_http import _csrf, _links, _path
from tests.workflow.helpers import People, add_users, new_package, share

JSON = {"Accept": "application/json"}


async def _package(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, people: People
) -> tuple[int, int]:
    """Ana (1) and Ben (2), each with fields of their own."""
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    base = f"/v4/packages/{package_id}/documents/{document_id}/fields"
    fields = [
        ("digital_signature", 1, {"field_name": "AnaSigns", "dimensions": at(72, 80, 200, 60)}),
        ("text", 1, {"field_name": "Phone", "dimensions": at(72, 600)}),
        (
            "text",
            1,
            {
                "field_name": "Start",
                "type": "DATE",
                "format": "dd/mm/yyyy",
                "default_to_signing_date": False,
                "dimensions": at(72, 570),
            },
        ),
        ("checkbox", 1, {"field_name": "Agree", "dimensions": at(72, 500, None, None)}),
        ("text", 2, {"field_name": "BenPhone", "dimensions": at(300, 600)}),
        ("digital_signature", 2, {"field_name": "BenSigns", "dimensions": at(300, 80, 200, 60)}),
    ]
    for kind, order, body in fields:
        response = await client.post(
            f"{base}/{kind}", json={"order": order, "page_no": 1, **body}, headers=people.owner
        )
        assert response.status_code == 200, response.text
    await share(people, package_id)
    return package_id, document_id


async def _open_as_ana(client: httpx.AsyncClient, context: AppContext, package_id: int) -> str:
    links = await _links(context, package_id)
    await client.get(_path(links["ana"]))
    html = (await client.get("/web/package")).text
    return _csrf(html, "/web/package/fill")


async def test_each_entry_is_kept_alone_and_a_bad_one_is_refused_with_its_reason(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start()
    package_id, document_id = await _package(client, context, tenant, people)
    other_package, other_document = await _package(client, context, tenant, people)
    csrf = await _open_as_ana(client, context, package_id)

    def entry(name: str, value: str, document: int = document_id) -> dict[str, str]:
        return {"csrf": csrf, "document_id": str(document), "name": name, "value": value}

    saved = await client.post("/web/package/field", data=entry("Phone", "+34 600"), headers=JSON)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["saved"] is True and body["message"] == "Saved"
    assert (body["left"], body["total"]) == (3, 4)  # the signature, Start, Agree
    assert body["todo"] == "Complete the highlighted fields: 3 of 4 left."
    assert body["can_finish"] is False and body["missing"] == ["AnaSigns", "Start", "Agree"]
    assert body["finish_hint"] == "Still to do before Finish: AnaSigns, Start, Agree"
    assert saved.headers["cache-control"] == "no-store"
    assert (await _stored(context, document_id))["Phone"] == "+34 600"

    ticked = await client.post("/web/package/field", data=entry("Agree", "true"), headers=JSON)
    assert ticked.status_code == 200 and ticked.json()["left"] == 2
    assert (await _stored(context, document_id))["Agree"] == "true"

    before = await _stored(context, document_id)
    refusals = [
        (entry("Start", "2026-02-30"), 400, "real date"),  # the core's check
        (entry("Agree", "maybe"), 400, "ticked or not"),
        (entry("Phone", "9" * 2001), 413, "too long"),
        (entry("BenPhone", "+1"), 404, "not one of yours"),  # another recipient's field
        (entry("Phone", "+1", other_document), 404, "not one of yours"),  # another package's
        (entry("Nothing", "x"), 404, "not one of yours"),
    ]
    for form, status, reason in refusals:
        refused = await client.post("/web/package/field", data=form, headers=JSON)
        assert refused.status_code == status, (form, refused.text)
        assert reason in refused.json()["message"], refused.text
    forged = await client.post(
        "/web/package/field", data={**entry("Phone", "+1"), "csrf": "forged"}, headers=JSON
    )
    assert forged.status_code == 403
    cross = await client.post(
        "/web/package/field",
        data=entry("Phone", "+1"),
        headers={**JSON, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert await _stored(context, document_id) == before  # nothing of any refusal kept
    assert other_package != package_id

    # Signed: her values are under the signature and can no longer change.
    dated = await client.post("/web/package/field", data=entry("Start", "2026-04-01"), headers=JSON)
    assert dated.status_code == 200 and dated.json()["missing"] == ["AnaSigns"]
    signed = await client.post(
        "/web/package/sign", data=typed_signature(csrf, document_id, "AnaSigns", "Ana")
    )
    assert signed.headers["location"] == "/web/package"
    late = await client.post("/web/package/field", data=entry("Start", "2026-04-02"), headers=JSON)
    assert late.status_code == 409, late.text
    assert "you signed its document" in late.json()["message"]
    assert (await _stored(context, document_id))["Start"] == "2026-04-01"


async def test_a_signature_keeps_the_entries_it_carries_first(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start()
    package_id, document_id = await _package(client, context, tenant, people)
    csrf = await _open_as_ana(client, context, package_id)
    sign = typed_signature(csrf, document_id, "AnaSigns", "Ana") | {
        "with_fields": "1",
        f"{document_id}:Phone": "+34 611",
        f"{document_id}:Start": "2026-05-02",
        f"{document_id}:Agree": "true",
    }
    # A bad entry refuses the whole step: nothing kept, nothing signed.
    refused = await client.post(
        "/web/package/sign", data={**sign, f"{document_id}:Start": "2026-13-01"}
    )
    assert refused.headers["location"] == "/web/package"
    stored = await _stored(context, document_id)
    assert (stored["Phone"], stored["Start"]) == (None, None)
    assert "real date" in (await client.get("/web/package")).text

    signed = await client.post("/web/package/sign", data=sign)
    assert signed.headers["location"] == "/web/package"
    stored = await _stored(context, document_id)
    assert (stored["Phone"], stored["Start"], stored["Agree"]) == ("+34 611", "2026-05-02", "true")
    html = (await client.get("/web/package")).text
    assert "All your fields are complete" in html
    assert 'id="finish" aria-describedby="guide-hint">' in html  # enabled now
