"""The prepare page's recipients over HTTP, on SQLite and PostgreSQL: a contact found by
search (beyond the first page of contacts), a group, a placeholder, the editor role, a
recipient changed in place with an identity check, moved, removed; each read back
through the API. Every form: no or a forged token (403), another enterprise's user or
ids (404), bad values (4xx), and a sent package refused; nothing changed each time."""

from __future__ import annotations

import re

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.app.documents_helpers import app_signed_in, page_token
from tests.web.app.test_app_documents_http import PDF, browser_of, package_id_of, upload
from tests.workflow.helpers import People


async def _draft(client: httpx.AsyncClient) -> tuple[int, str]:
    token = await page_token(client, "/app/new")
    package_id = package_id_of(
        await upload(client, [("a.pdf", PDF, "application/pdf")], token, "Lease")
    )
    return package_id, token


async def _users(client: httpx.AsyncClient, people: People, package_id: int) -> list[dict]:  # type: ignore[type-arg]
    answer = await client.get(f"/v4/packages/{package_id}/workflow/users", headers=people.owner)
    assert answer.status_code == 200, answer.text
    users: list[dict] = answer.json()  # type: ignore[type-arg]
    return users


async def _group(client: httpx.AsyncClient, people: People, name: str) -> int:
    made = await client.post(
        "/v4/settings/groups",
        json={"name": name, "members": ["lea@example.com", "max@example.com"]},
        headers=people.owner,
    )
    assert made.status_code == 200, made.text
    group_id: int = made.json()["Id"]
    return group_id


async def test_contacts_groups_placeholders_edit_move_and_identity(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    # More contacts than a page shows: the one wanted sorts last and is found by search.
    for index in range(30):
        made = await client.post(
            "/v4/settings/contacts",
            json={"user_email": f"c{index:02}@example.com", "user_name": f"Aaron {index:02}"},
            headers=people.owner,
        )
        assert made.status_code == 200, made.text
    zoe = await client.post(
        "/v4/settings/contacts",
        json={"user_email": "zoe@example.com", "user_name": "Zoe Zimmer"},
        headers=people.owner,
    )
    zoe_id = zoe.json()["contact_id"]
    group_id = await _group(client, people, "Legal team")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, token = await _draft(client)

    page = await client.get(f"/app/new/{package_id}")
    assert f'id="contact-{zoe_id}"' not in page.text
    # Without scripts, the search form's GET; with htmx, the results alone.
    page = await client.get(f"/app/new/{package_id}", params={"contact_q": "zimmer"})
    assert f'id="contact-{zoe_id}"' in page.text
    results = await client.get(
        f"/app/new/{package_id}/recipients/contacts", params={"contact_q": "zoe@"}
    )
    assert results.status_code == 200, results.text
    assert f'value="{zoe_id}"' in results.text and "<html" not in results.text
    nothing = await client.get(
        f"/app/new/{package_id}/recipients/contacts", params={"contact_q": "nobody-at-all"}
    )
    assert "nobody-at-all" in nothing.text and "contact_id" not in nothing.text

    posts = [
        ("/recipients", {"contact_id": str(zoe_id), "role": "SIGNER"}),
        ("/recipients", {"name": "Ana", "email": people.email("ana"), "role": "EDITOR"}),
        ("/recipients/group", {"group_id": str(group_id), "role": "REVIEWER"}),
        ("/recipients/placeholder", {"placeholder": "The tenant", "role": "SIGNER"}),
    ]
    for path, data in posts:
        answer = await client.post(f"/app/new/{package_id}{path}", data={"csrf": token, **data})
        assert answer.status_code == 303, (path, answer.text)
    users = await _users(client, people, package_id)
    assert [(u["user_email"], u["role"]) for u in users] == [
        ("zoe@example.com", "SIGNER"),
        (people.email("ana"), "EDITOR"),
        ("", "REVIEWER"),
        ("", "SIGNER"),
    ]
    assert users[2]["group_name"] == "Legal team"
    assert users[2]["group_members"] == ["lea@example.com", "max@example.com"]
    assert users[3]["placeholder"] == "The tenant"
    page = await client.get(f"/app/new/{package_id}")
    assert "Legal team" in page.text and "The tenant" in page.text

    # Ana changed in place: a signer now, with a code by email before she opens it.
    changed = await client.post(
        f"/app/new/{package_id}/recipients/2",
        data={
            "csrf": token,
            "name": "Ana Alves",
            "email": people.email("ana"),
            "role": "SIGNER",
            "signing_order": "2",
            "check": "email_otp",
            "mobile_number": "",
            "password": "",
        },
    )
    assert changed.status_code == 303, changed.text
    ana = (await _users(client, people, package_id))[1]
    assert (ana["user_name"], ana["role"]) == ("Ana Alves", "SIGNER")
    auth = await client.get(
        f"/v4/packages/{package_id}/workflow/2/authentication", headers=people.owner
    )
    assert auth.json()["authentication"]["enabled"] is True
    assert auth.json()["authentication"]["email_otp"]["enabled"] is True
    page = await client.get(f"/app/new/{package_id}")
    assert re.search(r'<option value="email_otp" selected>', page.text)

    # The placeholder renamed and filled; a password check on the group.
    filled = await client.post(
        f"/app/new/{package_id}/recipients/4",
        data={
            "csrf": token,
            "placeholder": "The new tenant",
            "role": "SIGNER",
            "signing_order": "4",
            "check": "none",
        },
    )
    assert filled.status_code == 303, filled.text
    assert (await _users(client, people, package_id))[3]["placeholder"] == "The new tenant"
    locked = await client.post(
        f"/app/new/{package_id}/recipients/3",
        data={"csrf": token, "role": "REVIEWER", "check": "password", "password": "s3cret-pass"},
    )
    assert locked.status_code == 303, locked.text
    auth = await client.get(
        f"/v4/packages/{package_id}/workflow/3/authentication", headers=people.owner
    )
    assert auth.json()["authentication"]["password"]["enabled"] is True
    assert auth.json()["authentication"]["password"]["user_password"] is None

    # Move the group up, then remove Zoe.
    moved = await client.post(
        f"/app/new/{package_id}/recipients/3/move", data={"csrf": token, "to": "2"}
    )
    assert moved.status_code == 303, moved.text
    users = await _users(client, people, package_id)
    assert [u["user_name"] for u in users] == [
        "Zoe Zimmer",
        "Legal team",
        "Ana Alves",
        "The new tenant",
    ]
    removed = await client.post(f"/app/new/{package_id}/recipients/1/delete", data={"csrf": token})
    assert removed.status_code == 303, removed.text
    assert [u["user_name"] for u in await _users(client, people, package_id)] == [
        "Legal team",
        "Ana Alves",
        "The new tenant",
    ]


async def _one_recipient(client: httpx.AsyncClient, people: People) -> tuple[int, str]:
    package_id, token = await _draft(client)
    answer = await client.post(
        f"/app/new/{package_id}/recipients",
        data={"csrf": token, "name": "Ana", "email": people.email("ana"), "role": "SIGNER"},
    )
    assert answer.status_code == 303, answer.text
    return package_id, token


FORMS = (
    ("/recipients", {"name": "Eve", "email": "eve@example.com", "role": "SIGNER"}),
    ("/recipients/group", {"group_id": "GROUP", "role": "SIGNER"}),
    ("/recipients/placeholder", {"placeholder": "Someone", "role": "SIGNER"}),
    ("/recipients/1", {"name": "Eve", "email": "eve@example.com", "check": "email_otp"}),
    ("/recipients/1/move", {"to": "1"}),
    ("/recipients/1/delete", {}),
)


async def _history_size(client: httpx.AsyncClient, people: People, package_id: int) -> int:
    answer = await client.get(f"/v4/packages/{package_id}/log", headers=people.owner)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["actions"])


async def test_every_recipient_form_refuses_no_or_a_forged_token(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    group_id = await _group(client, people, "Team")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, _ = await _one_recipient(client, people)
    before = (
        await _users(client, people, package_id),
        await _history_size(client, people, package_id),
    )
    for path, data in FORMS:
        values = {k: v.replace("GROUP", str(group_id)) for k, v in data.items()}
        for token in (None, "forged-token"):
            sent = values if token is None else {"csrf": token, **values}
            answer = await client.post(f"/app/new/{package_id}{path}", data=sent)
            assert answer.status_code == 403, (path, answer.text)
    after = (
        await _users(client, people, package_id),
        await _history_size(client, people, package_id),
    )
    assert after == before


async def test_other_enterprises_users_and_ids_get_404(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    group_id = await _group(client, people, "Team")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, token = await _one_recipient(client, people)
    before = await _users(client, people, package_id)

    # Another enterprise's user: every form and the search, 404.
    others = await People(client, context, other_tenant).start()
    their_group = await _group(client, others, "Their team")
    their_contact = (
        await client.post(
            "/v4/settings/contacts",
            json={"user_email": "x@example.com", "user_name": "X"},
            headers=others.owner,
        )
    ).json()["contact_id"]
    async with browser_of(client) as stranger:
        await app_signed_in(stranger, other_tenant, other_tenant.user_email)
        their_token = await page_token(stranger, "/app/new")
        for path, data in FORMS:
            values = {k: v.replace("GROUP", str(their_group)) for k, v in data.items()}
            answer = await stranger.post(
                f"/app/new/{package_id}{path}", data={"csrf": their_token, **values}
            )
            assert answer.status_code == 404, (path, answer.text)
        search = await stranger.get(f"/app/new/{package_id}/recipients/contacts")
        assert search.status_code == 404
        # Nor does the owner's group show up on their own draft.
        their_draft, _ = await _draft(stranger)
        page = await stranger.get(f"/app/new/{their_draft}")
        assert f'<option value="{their_group}">Their team (' in page.text
        assert f'<option value="{group_id}">Team (' not in page.text

    # The owner naming another enterprise's group or contact: 404, nothing added.
    for path, data in (
        ("/recipients/group", {"group_id": str(their_group), "role": "SIGNER"}),
        ("/recipients", {"contact_id": str(their_contact), "role": "SIGNER"}),
    ):
        answer = await client.post(f"/app/new/{package_id}{path}", data={"csrf": token, **data})
        assert answer.status_code == 404, (path, answer.text)
    assert await _users(client, people, package_id) == before


async def test_bad_values_are_4xx_and_change_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, token = await _one_recipient(client, people)
    before = await _users(client, people, package_id)
    bad = (
        ("/recipients", {"name": "Eve", "email": "eve@example.com", "role": "OWNER"}),
        ("/recipients", {"name": "Eve", "email": "eve@example.com", "role": "INPERSON_HOST"}),
        ("/recipients", {"name": "Eve", "email": "", "role": "SIGNER"}),
        ("/recipients", {"name": "Eve", "email": "not-an-address", "role": "SIGNER"}),
        ("/recipients", {"email": "eve@example.com", "signing_order": "-1"}),
        ("/recipients/group", {"group_id": "abc", "role": "SIGNER"}),
        ("/recipients/placeholder", {"placeholder": "", "role": "SIGNER"}),
        ("/recipients/1", {"email": "ana@x.test", "role": "NOBODY", "check": "none"}),
        ("/recipients/1", {"email": "ana@x.test", "role": "SIGNER", "check": "retina"}),
        ("/recipients/1", {"email": "ana@x.test", "role": "SIGNER", "check": "password"}),
        ("/recipients/1/move", {"to": "5"}),
        ("/recipients/1/move", {"to": "-2"}),
        ("/recipients/9", {"email": "ana@x.test", "role": "SIGNER", "check": "none"}),
    )
    for path, data in bad:
        answer = await client.post(f"/app/new/{package_id}{path}", data={"csrf": token, **data})
        assert 400 <= answer.status_code < 500, (path, data, answer.status_code)
        assert "<h1>" in answer.text
    assert await _users(client, people, package_id) == before
    # The core's refusal in the reader's language.
    spanish = await client.post(
        f"/app/new/{package_id}/recipients?lang=es",
        data={"csrf": token, "name": "Eve", "email": "", "role": "SIGNER"},
    )
    assert spanish.status_code == 400
    assert "Indica un correo o elige un contacto." in spanish.text


async def test_a_sent_packages_recipient_forms_are_refused(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    group_id = await _group(client, people, "Team")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, token = await _one_recipient(client, people)
    shared = await client.post(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert shared.status_code == 200, shared.text
    before = await _users(client, people, package_id)
    for path, data in FORMS:
        values = {k: v.replace("GROUP", str(group_id)) for k, v in data.items()}
        answer = await client.post(
            f"/app/new/{package_id}{path}", data={"csrf": token, "role": "SIGNER", **values}
        )
        assert 400 <= answer.status_code < 500, (path, answer.text)
    assert await _users(client, people, package_id) == before
