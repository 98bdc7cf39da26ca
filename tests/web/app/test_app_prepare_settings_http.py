"""The prepare page's settings over HTTP, on SQLite and PostgreSQL: the workflow type,
continuing on a decline, the expiry (a date or a number of days) and the reminders reach
the core (read back through the API's `GET packages/{id}/workflow` and reminders); no or
a forged token, another enterprise's user, bad values and a sent package: refused,
nothing changed."""

from __future__ import annotations

import datetime as dt

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.web.app.documents_helpers import app_signed_in, page_token
from tests.web.app.test_app_documents_http import PDF, browser_of
from tests.web.app.test_app_prepare_recipients_http import _one_recipient
from tests.workflow.helpers import People

GOOD = {
    "workflow_type": "PARALLEL",
    "continue_on_decline": "true",
    "expires_on": "",
    "expires_in_days": "10",
    "remind_after": "2",
    "remind_every": "3",
    "total_reminders": "4",
}


async def _state(client: httpx.AsyncClient, people: People, package_id: int) -> tuple[dict, dict]:  # type: ignore[type-arg]
    workflow = await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert workflow.status_code == 200, workflow.text
    reminders = await client.get(
        f"/v4/packages/{package_id}/workflow/1/reminders", headers=people.owner
    )
    assert reminders.status_code == 200, reminders.text
    return workflow.json()["workflow"], reminders.json()


async def test_the_settings_reach_the_core(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, token = await _one_recipient(client, people)
    saved = await client.post(f"/app/new/{package_id}/settings", data={"csrf": token, **GOOD})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/app/new/{package_id}#settings"
    workflow, reminders = await _state(client, people, package_id)
    assert workflow["workflow_type"] == "PARALLEL"
    assert workflow["continue_on_decline"] is True
    expires = dt.datetime.fromisoformat(workflow["expires_on"])
    in_ten = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    assert abs((expires - in_ten).total_seconds()) < 600
    assert reminders["enabled"] is True and reminders["remind_after"] == 2
    assert reminders["repeat"] == {"enabled": True, "keep_reminding_after": 3, "total_reminders": 4}
    page = await client.get(f"/app/new/{package_id}")
    assert '<option value="PARALLEL" selected>' in page.text
    assert 'id="remind-after" name="remind_after"' in page.text and 'value="2"' in page.text

    # A date: the end of that day; no reminders; serial, stop on a decline.
    day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    saved = await client.post(
        f"/app/new/{package_id}/settings",
        data={"csrf": token, "workflow_type": "SERIAL", "expires_on": day},
    )
    assert saved.status_code == 303, saved.text
    workflow, reminders = await _state(client, people, package_id)
    assert workflow["workflow_type"] == "SERIAL" and workflow["continue_on_decline"] is False
    assert workflow["expires_on"].startswith(f"{day}T23:59:59")
    assert reminders["enabled"] is False
    # Neither a date nor days: no expiry.
    saved = await client.post(
        f"/app/new/{package_id}/settings", data={"csrf": token, "workflow_type": "SERIAL"}
    )
    assert saved.status_code == 303, saved.text
    workflow, _ = await _state(client, people, package_id)
    assert workflow["expires_on"] is None


async def test_bad_settings_are_4xx_and_change_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, token = await _one_recipient(client, people)
    before = await _state(client, people, package_id)
    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    bad = (
        {"workflow_type": "SIDEWAYS"},
        {"workflow_type": ""},
        {"expires_on": "2026-13-45"},
        {"expires_on": "tomorrow"},
        {"expires_on": yesterday},
        {"expires_in_days": "-3"},
        {"expires_in_days": "0"},
        {"remind_after": "-1"},
        {"remind_after": "2", "remind_every": "-5"},
        {"remind_after": "2", "remind_every": "1", "total_reminders": "500"},
        {"remind_after": "two"},
    )
    for change in bad:
        # A date counts only without a number of days.
        data = {**GOOD, "expires_in_days": "" if "expires_on" in change else "10", **change}
        answer = await client.post(f"/app/new/{package_id}/settings", data={"csrf": token, **data})
        assert 400 <= answer.status_code < 500, (change, answer.status_code)
        assert "<h1>" in answer.text
    assert await _state(client, people, package_id) == before
    # The core's refusal of a past expiry, in the reader's language.
    spanish = await client.post(
        f"/app/new/{package_id}/settings?lang=es",
        data={"csrf": token, "workflow_type": "SERIAL", "expires_on": yesterday},
    )
    assert spanish.status_code == 400
    assert "La caducidad debe ser futura." in spanish.text
    # Reminders need someone to remind: a draft without recipients.
    fresh = await client.post(
        "/app/new",
        data={"csrf": token, "package_name": "Empty"},
        files=[("files", ("a.pdf", PDF, "application/pdf"))],
    )
    empty_id = int(fresh.headers["location"].rsplit("/", 1)[1])
    answer = await client.post(
        f"/app/new/{empty_id}/settings?lang=en", data={"csrf": token, **GOOD}
    )
    assert answer.status_code == 400
    assert "Add a recipient before setting reminders." in answer.text
    workflow = await client.get(f"/v4/packages/{empty_id}/workflow", headers=people.owner)
    assert workflow.json()["workflow"]["workflow_type"] != "PARALLEL"


async def test_settings_refuse_tokens_other_enterprises_and_sent_packages(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, token = await _one_recipient(client, people)
    before = await _state(client, people, package_id)
    for sent in (GOOD, {"csrf": "forged", **GOOD}):
        answer = await client.post(f"/app/new/{package_id}/settings", data=sent)
        assert answer.status_code == 403, answer.text
    await People(client, context, other_tenant).start()
    async with browser_of(client) as stranger:
        await app_signed_in(stranger, other_tenant, other_tenant.user_email)
        their_token = await page_token(stranger, "/app/new")
        answer = await stranger.post(
            f"/app/new/{package_id}/settings", data={"csrf": their_token, **GOOD}
        )
        assert answer.status_code == 404, answer.text
    assert await _state(client, people, package_id) == before
    shared = await client.post(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert shared.status_code == 200, shared.text
    sent_before = await _state(client, people, package_id)
    answer = await client.post(f"/app/new/{package_id}/settings", data={"csrf": token, **GOOD})
    assert 400 <= answer.status_code < 500, answer.text
    assert await _state(client, people, package_id) == sent_before
