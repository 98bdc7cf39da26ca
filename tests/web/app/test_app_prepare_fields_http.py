"""The prepare page's fields over HTTP, on SQLite and PostgreSQL: every kind the API
places, each kind's options set in the inspector's form (as the API lists them after),
bad values refused with nothing changed, CSRF, other enterprises, a sent package."""

from __future__ import annotations

from typing import Any

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.app.documents_helpers import app_signed_in, page_token
from tests.web.app.test_app_documents_http import browser_of, prepared
from tests.workflow.helpers import People

PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89


async def listed(
    client: httpx.AsyncClient, people: People, package_id: int, document_id: int
) -> Any:
    answer = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/fields", headers=people.owner
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def all_names(fields: dict[str, list[dict[str, Any]]]) -> list[str]:
    return sorted(f["field_name"] for group in fields.values() for f in group)


async def add(
    client: httpx.AsyncClient, package_id: int, document: int, token: str, **values: str
) -> httpx.Response:
    data = {
        "csrf": token,
        "document_id": str(document),
        "page_no": "1",
        "order": "1",
        "x": "100",
        "y": "300",
        "width": "150",
        "height": "24",
        "required": "true",
        **values,
    }
    return await client.post(f"/app/new/{package_id}/fields", data=data)


async def started(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> tuple[People, int, int, str]:
    people = await People(client, context, tenant).start("ana", "ben")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, document_id = await prepared(client, people)
    token = await page_token(client, f"/app/new/{package_id}")
    return people, package_id, document_id, token


async def test_every_kind_and_its_options(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id, document_id, token = await started(client, context, tenant)
    page = await client.get(f"/app/new/{package_id}")
    for kind in (
        "signature",
        "electronic_signature",
        "in_person_signature",
        "company",
        "jobtitle",
        "radio",
        "dropdown",
        "listbox",
    ):
        assert f'id="chip-{kind}"' in page.text, kind

    # A dropdown with its choices, two radio buttons of one group, a date, a list box.
    answer = await add(
        client, package_id, document_id, token, kind="dropdown", choices="Red\n\n Green \nBlue"
    )
    assert answer.status_code == 303, answer.text
    for y in ("200", "170"):
        answer = await add(
            client, package_id, document_id, token, kind="radio", radio_group_name="Plan", y=y
        )
        assert answer.status_code == 303, answer.text
    for kind in ("date", "company", "electronic_signature"):
        answer = await add(client, package_id, document_id, token, kind=kind, y="100")
        assert answer.status_code == 303, answer.text
    fields = await listed(client, people, package_id, document_id)
    assert fields["dropdown"][0]["choices"] == ["Red", "Green", "Blue"]
    assert [(f["radio_group_name"], f["order"]) for f in fields["radio"]] == [
        ("Plan", 1),
        ("Plan", 1),
    ]
    dropdown = fields["dropdown"][0]["field_name"]
    date = next(f for f in fields["text"] if f["type"] == "DATE")["field_name"]
    company = next(f for f in fields["text"] if f["type"] == "COMPANY")["field_name"]
    text = next(f for f in fields["text"] if f["type"] == "TEXT")["field_name"]
    signature = fields["electronic_signature"][0]["field_name"]

    # The inspector: each kind's options, as `PUT fields/{kind}` takes them.
    page = await client.get(f"/app/new/{package_id}")
    assert f'id="choices-{document_id}-{dropdown}"' in page.text
    assert f'id="format-{document_id}-{date}"' in page.text
    assert f'id="max-length-{document_id}-{text}"' in page.text
    box = {"x": "100", "y": "300", "width": "150", "height": "24"}
    changes: list[tuple[str, dict[str, str]]] = [
        (
            text,
            {
                "kind": "text",
                "order": "2",
                "placeholder": "Your city",
                "max_length": "40",
                "multiline": "true",
                "value": "Lisbon",
                "renamed_as": "City",
            },
        ),
        (dropdown, {"kind": "dropdown", "choices": "Red\nGreen\nBlue\nBlack", "value": "Black"}),
        (date, {"kind": "date", "format": "dd/mm/yyyy"}),
        (company, {"kind": "company", "placeholder": "ACME"}),
        (
            signature,
            {"kind": "electronic_signature", "level_ADVANCED_ELECTRONIC_SIGNATURE": "true"},
        ),
    ]
    for name, values in changes:
        answer = await client.post(
            f"/app/new/{package_id}/fields/{document_id}/{name}",
            data={"csrf": token, **box, "required": "true", **values},
        )
        assert answer.status_code == 303, (name, answer.text)
    fields = await listed(client, people, package_id, document_id)
    city = next(f for f in fields["text"] if f["field_name"] == "City")
    assert city["placeholder"] == "Your city"
    assert city["max_length"] == 40
    assert city["multiline"] is True
    assert city["value"] == "Lisbon"
    assert city["order"] == 2
    assert fields["dropdown"][0]["choices"] == ["Red", "Green", "Blue", "Black"]
    assert fields["dropdown"][0]["value"] == "Black"
    assert next(f for f in fields["text"] if f["type"] == "DATE")["format"] == "dd/mm/yyyy"
    assert next(f for f in fields["text"] if f["type"] == "COMPANY")["placeholder"] == "ACME"
    assert fields["electronic_signature"][0]["level_of_assurance"] == [
        "ADVANCED_ELECTRONIC_SIGNATURE"
    ]
    # The radio group renamed in one button's inspector: that button moves to the group.
    first = fields["radio"][0]["field_name"]
    answer = await client.post(
        f"/app/new/{package_id}/fields/{document_id}/{first}",
        data={"csrf": token, "kind": "radio", **box, "radio_group_name": "Other"},
    )
    assert answer.status_code == 303, answer.text
    groups = [
        f["radio_group_name"]
        for f in (await listed(client, people, package_id, document_id))["radio"]
    ]
    assert sorted(groups) == ["Other", "Plan"]


async def test_bad_values_are_refused_and_nothing_changes(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id, document_id, token = await started(client, context, tenant)
    before = await listed(client, people, package_id, document_id)
    refused_adds: list[dict[str, str]] = [
        {"kind": "dropdown", "choices": ""},
        {"kind": "listbox", "choices": "\n \n"},
        {"kind": "dropdown", "choices": "Same\nSame"},
        {"kind": "teleport"},
        {"kind": ""},
        {"kind": "text", "x": str(PAGE_WIDTH - 10)},
        {"kind": "text", "y": str(PAGE_HEIGHT)},
        {"kind": "text", "width": "0"},
        {"kind": "text", "page_no": "3"},
        {"kind": "text", "document_id": "999999"},
    ]
    for values in refused_adds:
        answer = await add(client, package_id, document_id, token, **values)
        assert 400 <= answer.status_code < 500, (values, answer.status_code, answer.text)
        assert answer.status_code != 403
    text = before["text"][0]["field_name"]
    box = {"x": "72", "y": "400", "width": "180", "height": "50"}
    refused_changes: list[dict[str, str]] = [
        {"kind": "text", "max_length": "0"},
        {"kind": "text", "max_length": "many"},
        {"kind": "text", "max_length": "1000000"},
        {"kind": "text", "placeholder": "x" * 300},
        {"kind": "text", "x": "590"},
        {"kind": "text", "height": "900"},
        {"kind": "nothing"},
    ]
    for values in refused_changes:
        answer = await client.post(
            f"/app/new/{package_id}/fields/{document_id}/{text}",
            data={"csrf": token, **box, **values},
        )
        assert 400 <= answer.status_code < 500, (values, answer.status_code, answer.text)
    # A dropdown's choices emptied, or a date given a format the core does not know.
    await add(client, package_id, document_id, token, kind="dropdown", choices="A\nB")
    await add(client, package_id, document_id, token, kind="date", y="100")
    placed = await listed(client, people, package_id, document_id)
    dropdown = placed["dropdown"][0]["field_name"]
    date = next(f for f in placed["text"] if f["type"] == "DATE")["field_name"]
    for name, values in (
        (dropdown, {"kind": "dropdown", "choices": ""}),
        (date, {"kind": "date", "format": "yyyy/dd/mm/"}),
        (dropdown, {"kind": "dropdown", "choices": "A\nB", "value": "C"}),
    ):
        answer = await client.post(
            f"/app/new/{package_id}/fields/{document_id}/{name}",
            data={"csrf": token, **box, **values},
        )
        assert 400 <= answer.status_code < 500, (values, answer.status_code, answer.text)
    after = await listed(client, people, package_id, document_id)
    assert after["text"][0] == before["text"][0]
    assert after["dropdown"] == placed["dropdown"]
    assert after["text"] == placed["text"]


async def test_csrf_other_enterprises_and_a_sent_package(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people, package_id, document_id, token = await started(client, context, tenant)
    before = await listed(client, people, package_id, document_id)
    text = before["text"][0]["field_name"]
    box = {"x": "72", "y": "400", "width": "180", "height": "50"}
    forms: list[tuple[str, dict[str, str]]] = [
        (
            f"/app/new/{package_id}/fields",
            {
                "kind": "dropdown",
                "choices": "A\nB",
                "document_id": str(document_id),
                "page_no": "1",
            },
        ),
        (
            f"/app/new/{package_id}/fields/{document_id}/{text}",
            {"kind": "text", **box, "placeholder": "Forged", "max_length": "3"},
        ),
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
        for path, data in forms:
            answer = await outsider.post(path, data={**data, "csrf": theirs})
            assert answer.status_code == 404, (path, answer.text)
    assert await listed(client, people, package_id, document_id) == before

    sent = await client.post(f"/app/new/{package_id}/send", data={"csrf": token})
    assert sent.status_code == 303, sent.text
    for path, data in forms:
        answer = await client.post(path, data={**data, "csrf": token})
        assert 400 <= answer.status_code < 500, answer.text
    assert await listed(client, people, package_id, document_id) == before
