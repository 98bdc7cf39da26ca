"""A group recipient's turn: every member invited, the first to act takes it (atomically:
two members acting at once, exactly one wins), the others' invitations withdrawn and
their links dead, they are told by e-mail, and the history names who acted."""

from __future__ import annotations

import asyncio
import email
import json
import re
from email.message import EmailMessage
from email.policy import default

import httpx
import pytest
from sqlalchemy import select

from signflow.audit.erasure import erase_person
from signflow.audit.history import SYSTEM
from signflow.audit.verification import audit_package
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry, Recipient, RecipientMember
from signflow.outbox.worker import Worker
from signflow.packages.links import member_link
from tests.factories import Tenant
from tests.notify.conftest import SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    history_actions,
    jobs,
    new_package,
    package_events,
    share,
    statuses,
)

LINK = re.compile(r"https?://testserver(/sign/[^\s\"<>]+)")
ROUNDS = 8


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:  # noqa: F811
    return {"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}


def mails(server: SmtpServer) -> list[tuple[list[str], EmailMessage]]:
    parsed = []
    for delivered in server.sink.messages:
        message = email.message_from_bytes(delivered.data, policy=default)
        assert isinstance(message, EmailMessage)
        parsed.append((delivered.rcpt_tos, message))
    return parsed


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


async def group_package(
    people: People, members: list[str], *, role: str = "REVIEWER", then: str | None = None
) -> int:
    """A package whose first recipient is the personal group HR of `members` (emails)."""
    created = await people.client.post(
        "/v4/settings/groups", json={"Name": "HR", "Members": members}, headers=people.owner
    )
    assert created.status_code == 200, created.text
    package_id, _ = await new_package(people)
    added = await people.client.post(
        f"/v3/packages/{package_id}/workflow/groups",
        json=[{"group_name": "HR", "role": role}],
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    if then is not None:
        await add_users(people, package_id, [(then, "SIGNER")])
    return package_id


async def group_row(
    context: AppContext, package_id: int
) -> tuple[Recipient, list[RecipientMember]]:
    async with transaction(context.sessions) as session:
        recipient = await session.scalar(
            select(Recipient).where(Recipient.package_id == package_id, Recipient.position == 1)
        )
        assert recipient is not None
        members = await session.scalars(
            select(RecipientMember)
            .where(RecipientMember.recipient_id == recipient.id)
            .order_by(RecipientMember.position)
        )
        return recipient, list(members)


async def taken_entries(context: AppContext, package_id: int) -> list[dict[str, object]]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(HistoryEntry.details).where(
                HistoryEntry.package_id == package_id, HistoryEntry.action == "GROUP_TURN_TAKEN"
            )
        )
        return [dict(row) for row in rows]


async def test_every_member_is_invited_and_the_first_to_act_takes_the_turn(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start("ana", "ben", "dee")
    package_id = await group_package(people, [people.email("ana"), people.email("ben")], then="dee")
    await share(people, package_id)
    await Worker(context).run_until_idle()
    invitations = {to[0]: message for to, message in mails(smtp_server)}
    assert sorted(invitations) == [people.email("ana"), people.email("ben")]
    links = {to: LINK.findall(text_of(m))[0] for to, m in invitations.items()}
    assert links[people.email("ana")] != links[people.email("ben")]
    # Both see the package while nobody acted for the group.
    for name in ("ana", "ben"):
        seen = await client.get(f"/v3/packages/{package_id}/workflow", headers=people[name])
        assert seen.status_code == 200, name

    approved = await act(people, "ana", package_id, "approve", {"reason": "Fine"})
    assert approved.status_code == 200, approved.text
    assert await statuses(people, package_id) == ("SHARED", ["REVIEWED", "IN_PROGRESS"])
    details = (await client.get(f"/v3/packages/{package_id}/workflow", headers=people.owner)).json()
    group = details["users"][0]
    assert (group["user_email"], group["user_name"], group["group_name"]) == (
        people.email("ana"),
        "Ana",
        "HR",
    )
    assert group["group_members"] == [people.email("ana"), people.email("ben")]

    # Ben is told, his link and his token no longer reach the package.
    await Worker(context).run_until_idle()
    told = [(to, m) for to, m in mails(smtp_server) if "acted for HR" in str(m["Subject"])]
    assert [to for to, _ in told] == [[people.email("ben")]]
    assert people.email("ana") in text_of(told[0][1])
    dead = await client.get(links[people.email("ben")])
    assert dead.status_code == 404 and "not valid any more" in dead.text
    assert (await client.get(links[people.email("ana")])).status_code == 303
    late = await act(people, "ben", package_id, "decline", {"reason": "Too late"})
    assert late.status_code == 403
    assert late.json() == {
        "Message": f"Another member of the group 'HR' ({people.email('ana')}) has already "
        "acted for it: your invitation was withdrawn",
        "Error": "group_turn_taken",
    }
    read = await client.get(f"/v3/packages/{package_id}/workflow", headers=people["ben"])
    assert read.status_code == 403

    [taken] = await taken_entries(context, package_id)
    assert taken == {
        "order": 1,
        "group_name": "HR",
        "user_email": people.email("ana"),
        "user_name": "Ana",
        "withdrawn": [{"email": people.email("ben")}],
    }
    actions = await history_actions(context, package_id)
    assert actions.index("GROUP_TURN_TAKEN") < actions.index("DOCUMENT_APPROVED")
    # The owner reads it in the workflow history, with its details.
    log = await client.get(f"/v3/packages/{package_id}/log", headers=people.owner)
    assert log.status_code == 200, log.text
    [entry] = [a for a in log.json()["actions"] if a["action_type"] == "GROUP_TURN_TAKEN"]
    shown = await client.get(
        f"/v3/packages/{package_id}/log/{entry['log_id']}/details", headers=people.owner
    )
    assert shown.status_code == 200, shown.text
    assert people.email("ana") in shown.text and people.email("ben") in shown.text
    events = await package_events(context, package_id)
    notified = [e["signer"]["email"] for e in events if e["status"] == "NOTIFICATION"]
    assert notified[:1] == [people.email("ana")]  # the member now holding the group's step

    # The owner recalls: the group's turn is the whole group's again.
    recalled = await client.delete(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert recalled.status_code == 200, recalled.text
    recipient, members = await group_row(context, package_id)
    assert (recipient.email, recipient.name) == ("", "HR")
    assert [m.withdrawn_at for m in members] == [None, None]


async def test_a_member_without_an_account_acts_through_their_link(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start()
    outsiders = ["kim@example.com", "lou@example.com"]
    package_id = await group_package(people, outsiders)
    await share(people, package_id)
    _, members = await group_row(context, package_id)
    links = {
        m.email: member_link(context.settings, m).removeprefix("http://testserver") for m in members
    }

    landing = await client.get(links["lou@example.com"])
    assert landing.status_code == 303
    page = await client.get("/web/package")
    assert page.status_code == 200
    marker = 'name="csrf" value="'
    start = page.text.index('action="/web/package/approve"')
    at = page.text.index(marker, start) + len(marker)
    csrf = page.text[at : page.text.index('"', at)]
    approved = await client.post("/web/package/approve", data={"csrf": csrf})
    assert approved.status_code == 303, approved.text
    assert await statuses(people, package_id) == ("COMPLETED", ["REVIEWED"])
    [taken] = await taken_entries(context, package_id)
    assert (taken["user_email"], taken["withdrawn"]) == (
        "lou@example.com",
        [{"email": "kim@example.com"}],
    )
    client.cookies.clear()
    assert (await client.get(links["kim@example.com"])).status_code == 404
    await Worker(context).run_until_idle()
    told = [to for to, m in mails(smtp_server) if "acted for HR" in str(m["Subject"])]
    assert told == [["kim@example.com"]]


async def test_two_members_acting_at_once_exactly_one_wins(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """Real concurrent requests against the real database: on PostgreSQL the package row
    lock queues them and the conditional update decides; on SQLite BEGIN IMMEDIATE does."""
    people = await People(client, context, tenant).start("ana", "ben")
    created = await client.post(
        "/v4/settings/groups",
        json={"Name": "HR", "Members": [people.email("ana"), people.email("ben")]},
        headers=people.owner,
    )
    assert created.status_code == 200
    winners: set[str] = set()
    for round_no in range(ROUNDS):
        package_id, _ = await new_package(people, name=f"Race {round_no}")
        added = await client.post(
            f"/v3/packages/{package_id}/workflow/groups",
            json=[{"group_name": "HR", "role": "REVIEWER"}],
            headers=people.owner,
        )
        assert added.status_code == 200
        await share(people, package_id)
        # Ana approves while Ben declines (their order swaps every round).
        racers = [
            ("ana", act(people, "ana", package_id, "approve", {})),
            ("ben", act(people, "ben", package_id, "decline", {"reason": "No"})),
        ]
        if round_no % 2:
            racers.reverse()
        answers = dict(
            zip(
                [name for name, _ in racers],
                await asyncio.gather(*(call for _, call in racers)),
                strict=True,
            )
        )
        codes = sorted(answer.status_code for answer in answers.values())
        assert codes == [200, 403], {k: (v.status_code, v.text) for k, v in answers.items()}
        winner = next(name for name, answer in answers.items() if answer.status_code == 200)
        loser = "ben" if winner == "ana" else "ana"
        assert answers[loser].json()["Error"] == "group_turn_taken"
        winners.add(winner)

        recipient, members = await group_row(context, package_id)
        assert recipient.email == people.email(winner)
        assert [m.email for m in members if m.withdrawn_at is None] == [people.email(winner)]
        [taken] = await taken_entries(context, package_id)
        assert taken["user_email"] == people.email(winner)
        actions = await history_actions(context, package_id)
        # Only the winner's action was written.
        events = [e["status"] for e in await package_events(context, package_id)]
        if winner == "ana":
            assert "DOCUMENT_APPROVED" in actions and "DOCUMENT_DECLINED" not in actions
            assert await statuses(people, package_id) == ("COMPLETED", ["REVIEWED"])
            assert "SIGNED_PACKAGE" in events and "REJECTED" not in events
        else:
            assert "DOCUMENT_DECLINED" in actions and "DOCUMENT_APPROVED" not in actions
            assert await statuses(people, package_id) == ("DECLINED", ["DECLINED"])
            assert "REJECTED" in events and "SIGNED_PACKAGE" not in events
        # One notice, to the loser; one NOTIFICATION naming the winner as the group's.
        told = [j.payload for j in await jobs(context, "email.group_turn_taken")]
        loser_member = next(m for m in members if m.email == people.email(loser))
        assert {"member_id": loser_member.id} in told
        assert len(told) == round_no + 1
    # Who starts first swaps every round: each member wins some, never both at once.
    assert winners == {"ana", "ben"}


async def test_a_carbon_copy_group_gets_the_documents_and_individual_copies_hold_the_group(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    smtp_server: SmtpServer,  # noqa: F811
):
    people = await People(client, context, tenant).start("ana", "ben", "dee")
    package_id = await group_package(
        people, [people.email("ana"), people.email("ben")], role="CARBON_COPY"
    )
    await add_users(people, package_id, [("dee", "SIGNER", 1)])
    await share(people, package_id)
    assert (await act(people, "dee", package_id, "finish")).status_code == 200
    assert (await statuses(people, package_id))[0] == "COMPLETED"
    await Worker(context).run_until_idle()
    completed = sorted(to[0] for to, m in mails(smtp_server) if "acted for" not in m["Subject"])
    assert set(completed) >= {people.email("ana"), people.email("ben"), people.email("dee")}
    assert "" not in completed

    # INDIVIDUAL: the group's own copy holds the group, and a member acts on it.
    original, _ = await new_package(people, name="One each")
    changed = await client.put(
        f"/v3/packages/{original}/workflow",
        json={"workflow_type": "INDIVIDUAL"},
        headers=people.owner,
    )
    assert changed.status_code == 200, changed.text
    await add_users(people, original, [("dee", "SIGNER")])
    added = await client.post(
        f"/v3/packages/{original}/workflow/groups",
        json=[{"group_name": "HR", "role": "REVIEWER"}],
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    copies = await share(people, original)
    group_copy = int(str(copies[1]["package_id"]))
    recipient, members = await group_row(context, group_copy)
    assert (recipient.group_name, [m.email for m in members]) == (
        "HR",
        [people.email("ana"), people.email("ben")],
    )
    approved = await act(people, "ben", group_copy, "approve", {})
    assert approved.status_code == 200, approved.text
    assert await statuses(people, group_copy) == ("COMPLETED", ["REVIEWED"])


async def test_a_withdrawn_member_can_be_erased_from_the_history(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id = await group_package(people, [people.email("ana"), people.email("ben")])
    await share(people, package_id)
    assert (await act(people, "ana", package_id, "approve", {})).status_code == 200
    ben = people.email("ben")
    async with transaction(context.sessions) as session:
        result = await erase_person(session, tenant.enterprise_id, ben, SYSTEM)
    assert result.values >= 2  # in GROUPS_ADDED's members and GROUP_TURN_TAKEN's withdrawn
    async with transaction(context.sessions) as session:
        rows = list(
            await session.scalars(select(HistoryEntry).where(HistoryEntry.package_id == package_id))
        )
        assert rows and not any(ben in json.dumps(row.details) for row in rows)
        assert (await audit_package(session, package_id)).ok
