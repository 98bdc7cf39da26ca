"""Workflow emails through a real SMTP server (aiosmtpd): the right people, the right links."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default

import httpx
import pytest

from signflow.context import AppContext
from signflow.outbox.worker import Worker
from tests.factories import Tenant
from tests.notify.conftest import SmtpServer
from tests.workflow.helpers import People, act, add_users, new_package, share

LINK = re.compile(r"https?://testserver(/[^\s\"<>]+)")


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:
    return {
        "smtp_url": f"smtp://127.0.0.1:{smtp_server.port}",
        "mail_from": "Signflow <sign@acme.test>",
    }


def mails(server: SmtpServer) -> list[tuple[list[str], EmailMessage]]:
    parsed = []
    for delivered in server.sink.messages:
        message = email.message_from_bytes(delivered.data, policy=default)
        assert isinstance(message, EmailMessage)
        parsed.append((delivered.rcpt_tos, message))
    return parsed


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


async def test_turn_completion_and_decline_emails(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext, smtp_server: SmtpServer
):
    people = await People(client, context, tenant).start("ana", "bo")
    package_id, [document_id] = await new_package(people, name="Lease 2026")
    await add_users(people, package_id, [("ana", "SIGNER"), ("bo", "REVIEWER")])
    await share(people, package_id)
    await Worker(context).run_until_idle()

    [(to, first)] = mails(smtp_server)
    assert to == [people.email("ana")]
    assert first["From"] == "Signflow <sign@acme.test>"
    assert "Lease 2026" in first["Subject"]
    text, html = bodies(first)
    [signing_link] = set(LINK.findall(text))
    assert signing_link.startswith("/sign/")
    assert signing_link in html

    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    await Worker(context).run_until_idle()
    [(to, _)] = mails(smtp_server)[1:]
    assert to == [people.email("bo")]

    assert (await act(people, "bo", package_id, "approve", {})).status_code == 200
    assert (await act(people, "bo", package_id, "finish")).status_code == 200
    await Worker(context).run_until_idle()
    completed = mails(smtp_server)[2:]
    assert sorted(to[0] for to, _ in completed) == sorted(
        [tenant.user_email, people.email("ana"), people.email("bo")]
    )
    text, _ = bodies(completed[0][1])
    [download] = set(LINK.findall(text))
    response = await client.get(download)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert document_id


async def test_the_owner_hears_of_a_decline(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext, smtp_server: SmtpServer
):
    people = await People(client, context, tenant).start("ana")
    package_id, _ = await new_package(people, name="Lease 2026")
    await add_users(people, package_id, [("ana", "SIGNER")])
    await share(people, package_id)
    declined = await act(people, "ana", package_id, "decline", {"reason": "The rent is wrong"})
    assert declined.status_code == 200, declined.text
    await Worker(context).run_until_idle()
    last_to, last = mails(smtp_server)[-1]
    assert last_to == [tenant.user_email]
    text, html = bodies(last)
    assert "The rent is wrong" in text
    assert "The rent is wrong" in html
