"""Codes for a group recipient no member acted for yet: each member opens through their
own link (or token), so the opening code goes to that member's own address, and it
opens the package for that member only. A real SMTP server receives the codes."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import httpx
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Document, OneTimeCode
from signflow.outbox.worker import Worker
from signflow.packages.links import member_link
from tests.factories import Tenant
from tests.identity.conftest import authentication, code_in
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.workflow.helpers import People, share
from tests.workflow.test_group_turns import group_package, group_row


async def with_email_code(people: People, members: list[str]) -> int:
    """A shared package whose group HR of `members` must open with an e-mailed code."""
    package_id = await group_package(people, members)
    response = await people.client.put(
        f"/v3/packages/{package_id}/workflow/1/authentication",
        json=authentication(email_otp=True),
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    await share(people, package_id)
    return package_id


async def codes_sent(context: AppContext, server: SmtpServer, since: int) -> list[EmailMessage]:
    await Worker(context).run_until_idle()
    found = []
    for delivered in server.sink.messages[since:]:
        if b"verification code" in delivered.data:
            message = email.message_from_bytes(delivered.data, policy=default)
            assert isinstance(message, EmailMessage)
            found.append(message)
    return found


def csrf_of(html: str, action: str) -> str:
    marker = 'name="csrf" value="'
    at = html.index(marker, html.index(f'action="{action}"')) + len(marker)
    return html[at : html.index('"', at)]


async def test_a_members_code_goes_to_them_and_opens_for_them_only(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id = await with_email_code(people, [people.email("ana"), people.email("ben")])
    await Worker(context).run_until_idle()  # the invitations
    before = len(smtp_server.sink.messages)
    otp_path = f"/v3/packages/{package_id}/workflow/1/authentication/otp"

    # The owner cannot pick a member: each member asks for their own code.
    by_owner = await client.post(otp_path, headers=people.owner)
    assert by_owner.status_code == 400
    assert by_owner.json()["Message"] == (
        "No member has acted for the group 'HR' yet: each member asks for their own code"
    )
    sent = await client.post(otp_path, headers=people["ben"])
    assert (sent.status_code, sent.content) == (200, b"")
    [message] = await codes_sent(context, smtp_server, before)
    assert [smtp_server.sink.messages[-1].rcpt_tos] == [[people.email("ben")]]
    assert message["To"].addresses[0].display_name == "Ben"
    code = code_in(message.as_bytes())
    async with transaction(context.sessions) as session:
        row = await session.scalar(select(OneTimeCode))
        assert row is not None and row.destination == people.email("ben")

    opened = f"/v3/packages/{package_id}/open"
    # Ben's code is no use to Ana: a wrong code for her (a counted try).
    stolen = await client.get(opened, headers=people["ana"] | {"x-otp": code})
    assert (stolen.status_code, stolen.json()["Error"]) == (403, "invalid_credentials")
    assert (await client.get(opened, headers=people["ben"] | {"x-otp": code})).status_code == 200
    # Opening did not take the group's turn.
    recipient, members = await group_row(context, package_id)
    assert recipient.email == "" and [m.withdrawn_at for m in members] == [None, None]


async def test_the_code_goes_to_the_member_whose_link_opened_the_page(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start()
    package_id = await with_email_code(people, ["kim@example.com", "lou@example.com"])
    await Worker(context).run_until_idle()
    before = len(smtp_server.sink.messages)
    _, members = await group_row(context, package_id)
    links = {
        m.email: member_link(context.settings, m).removeprefix("http://testserver") for m in members
    }

    assert (await client.get(links["kim@example.com"])).status_code == 303
    asked = await client.get("/web/package")
    assert (asked.status_code, asked.headers["location"]) == (303, "/web/identity")
    page = await client.get("/web/identity")
    assert page.status_code == 200 and "k***@example.com" in page.text
    sent = await client.post(
        "/web/identity/send", data={"csrf": csrf_of(page.text, "/web/identity/send")}
    )
    assert sent.status_code == 303, sent.text
    [message] = await codes_sent(context, smtp_server, before)
    assert [m.rcpt_tos for m in smtp_server.sink.messages[before:]] == [["kim@example.com"]]
    code = code_in(message.as_bytes())

    # Lou, through his own link, cannot open with Kim's code.
    client.cookies.clear()
    assert (await client.get(links["lou@example.com"])).status_code == 303
    page = await client.get("/web/identity")
    assert "l***@example.com" in page.text
    refused = await client.post(
        "/web/identity", data={"csrf": csrf_of(page.text, "/web/identity"), "code": code}
    )
    assert refused.headers.get("location") != "/web/package"
    assert (await client.get("/web/package")).headers["location"] == "/web/identity"

    # Kim opens with it.
    client.cookies.clear()
    assert (await client.get(links["kim@example.com"])).status_code == 303
    page = await client.get("/web/identity")
    opened = await client.post(
        "/web/identity", data={"csrf": csrf_of(page.text, "/web/identity"), "code": code}
    )
    assert (opened.status_code, opened.headers["location"]) == (303, "/web/package")
    assert (await client.get("/web/package")).status_code == 200


async def test_a_members_signing_code_is_theirs_and_signing_takes_the_turn(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id = await group_package(
        people, [people.email("ana"), people.email("ben")], role="SIGNER"
    )
    async with transaction(context.sessions) as session:
        document_id = await session.scalar(
            select(Document.id).where(Document.package_id == package_id)
        )
    field = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/electronic_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "HR",
            "dimensions": {"x": 72, "y": 100, "width": 200, "height": 60},
            "authentication": {"enabled": True},
        },
        headers=people.owner,
    )
    assert field.status_code == 200, field.text
    await share(people, package_id)
    await Worker(context).run_until_idle()
    before = len(smtp_server.sink.messages)

    sent = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/otp",
        json={"field_name": "HR"},
        headers=people["ben"],
    )
    assert sent.status_code == 200, sent.text
    [message] = await codes_sent(context, smtp_server, before)
    assert [m.rcpt_tos for m in smtp_server.sink.messages[before:]] == [[people.email("ben")]]
    code = code_in(message.as_bytes())
    sign_path = f"/v3/packages/{package_id}/documents/{document_id}/sign"
    stolen = await client.post(
        sign_path, json={"field_name": "HR"}, headers=people["ana"] | {"x-otp": code}
    )
    assert (stolen.status_code, stolen.json()["Error"]) == (403, "invalid_credentials")
    recipient, _ = await group_row(context, package_id)
    assert recipient.email == ""  # a refused code took no turn
    signed = await client.post(
        sign_path, json={"field_name": "HR"}, headers=people["ben"] | {"x-otp": code}
    )
    assert signed.status_code == 200, signed.text
    recipient, _ = await group_row(context, package_id)
    assert recipient.email == people.email("ben")
