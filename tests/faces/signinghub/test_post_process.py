"""PUT packages/{pid}/workflow/post_process: who gets a copy of the completed documents,
set on a draft, shown in the workflow details, and sent when the workflow completes."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import httpx
import pytest

from signflow.context import AppContext
from signflow.outbox.worker import Worker
from tests.factories import Tenant, bearer
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.workflow.helpers import People, act, add_users, history_actions, new_package, share

LOCKED = {"Message": "You are not allowed to perform this action on locked workflow"}
SETTINGS = {
    "enabled": True,
    "recipients": [
        {"name": "John Miller", "email": "JohnMiller@Archive.example"},
        {"name": "Sam", "email": "sam@archive.example"},
    ],
    "message": "Filed by the archive robot.",
    "workflow_recipients": True,
    "google_drive": False,
    "dropbox": False,
}


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:  # noqa: F811
    return {"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}


def delivered(server: SmtpServer) -> dict[str, EmailMessage]:
    """The messages received, by their one addressee."""
    out: dict[str, EmailMessage] = {}
    for item in server.sink.messages:
        message = email.message_from_bytes(item.data, policy=default)
        assert isinstance(message, EmailMessage)
        [to] = item.rcpt_tos
        out[to] = message
    return out


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_post_processing_sends_copies_with_the_message(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start("ana")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "REVIEWER")])
    path = f"/v4/packages/{package_id}/workflow/post_process"

    bad = {
        "cloud storage": (SETTINGS | {"dropbox": True}, "Dropbox"),
        "bad address": (SETTINGS | {"recipients": [{"name": "x", "email": "nobody"}]}, "valid"),
        "nobody to send to": ({"enabled": True, "workflow_recipients": False}, "recipients"),
        "no recipients list item email": (SETTINGS | {"recipients": [{"name": "x"}]}, "email"),
    }
    for case, (body, word) in bad.items():
        refused = await client.put(path, json=body, headers=people.owner)
        assert refused.status_code == 400, (case, refused.text)
        assert word in refused.json()["Message"], case
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    hidden = await client.put(path, json=SETTINGS, headers=stranger)
    assert (hidden.status_code, hidden.json()) == (404, {"Message": "Document not found"})
    not_owner = await client.put(path, json=SETTINGS, headers=people["ana"])
    assert not_owner.status_code == 403
    unknown = await client.put(
        "/v4/packages/999999/workflow/post_process", json=SETTINGS, headers=people.owner
    )
    assert unknown.status_code == 404
    details = await client.get(f"/v4/packages/{package_id}/workflow", headers=people.owner)
    assert details.json()["workflow"]["post_process"]["enabled"] is False

    saved = await client.put(path, json=SETTINGS, headers=people.owner)
    assert (saved.status_code, saved.content) == (200, b"")
    post = (await client.get(f"/v3/packages/{package_id}/workflow", headers=people.owner)).json()[
        "workflow"
    ]["post_process"]
    assert post["enabled"] is True
    assert post["recipients"] == [
        {"name": "John Miller", "email": "johnmiller@archive.example"},
        {"name": "Sam", "email": "sam@archive.example"},
    ]
    assert (post["message"], post["workflow_recipients"]) == ("Filed by the archive robot.", True)
    assert "POST_PROCESS_UPDATED" in await history_actions(context, package_id)

    await share(people, package_id)
    late = await client.put(path, json=SETTINGS | {"enabled": False}, headers=people.owner)
    assert (late.status_code, late.json()) == (403, LOCKED)
    approved = await act(people, "ana", package_id, "approve", {"reason": "fine"})
    assert approved.status_code == 200, approved.text
    await Worker(context).run_until_idle()

    mails = delivered(smtp_server)
    copies = {"johnmiller@archive.example", "sam@archive.example"}
    assert copies <= set(mails)
    for address in copies | {people.email("ana")}:
        assert "Filed by the archive robot." in text_of(mails[address]), address
        assert "Lease 2026" in str(mails[address]["Subject"])
    # The owner set the message for others: their own copy has none.
    assert "Filed by the archive robot." not in text_of(mails[tenant.user_email])


async def test_without_workflow_recipients_only_the_listed_get_the_message(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start("ana")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "REVIEWER")])
    body = SETTINGS | {"workflow_recipients": False, "recipients": [SETTINGS["recipients"][1]]}
    saved = await client.put(
        f"/v3/packages/{package_id}/workflow/post_process", json=body, headers=people.owner
    )
    assert saved.status_code == 200, saved.text
    await share(people, package_id)
    assert (await act(people, "ana", package_id, "approve")).status_code == 200
    await Worker(context).run_until_idle()
    mails = delivered(smtp_server)
    assert "Filed by the archive robot." in text_of(mails["sam@archive.example"])
    assert "Filed by the archive robot." not in text_of(mails[people.email("ana")])
    assert "johnmiller@archive.example" not in mails
