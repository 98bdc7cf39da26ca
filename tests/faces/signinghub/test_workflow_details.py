"""GET packages/{pid}/workflow answers from the workflow's read model (one statement, its
JSON written once); every other read of the workflow goes through the ORM
(`workflow/settings.py`). The two must not drift: for rich packages (several documents,
recipients of every role, a placeholder, a group, a delegated turn, post-processing,
filing, archiving) and every kind of caller, the route's answer is byte for byte the
ORM path's validated model, on both API versions; a caller the read model refuses gets
the ORM path's refusal."""

from __future__ import annotations

import datetime as dt

import httpx
from pydantic import TypeAdapter
from sqlalchemy import update

from signflow.accounts.tokens import resolve_access_token
from signflow.context import AppContext
from signflow.db import read_transaction, transaction
from signflow.faces.signinghub.workflow import details_body
from signflow.faces.signinghub.workflow_schemas import WorkflowDetails
from signflow.models import Document, Package, Recipient, RecipientMember
from signflow.workflow.settings import get_workflow
from tests.factories import Tenant, bearer
from tests.workflow.helpers import People, add_users, new_package, share

DIMENSIONS = {"x": 72, "y": 72, "width": 150, "height": 50}
DETAILS = TypeAdapter(WorkflowDetails)
# Timestamps whose fractions end in zeros, or have none: databases write them shorter.
NOON = dt.datetime(2026, 3, 4, 12, 0, 0, tzinfo=dt.UTC)
TENTHS = dt.datetime(2026, 3, 4, 12, 30, 5, 120000, tzinfo=dt.UTC)


async def orm_answer(context: AppContext, headers: dict[str, str], package_id: int) -> bytes:
    token = headers["Authorization"].removeprefix("Bearer ")
    async with read_transaction(context.sessions) as session:
        principal = await resolve_access_token(session, token)
        view = await get_workflow(session, principal, package_id)
        details = await details_body(session, principal, view, context.settings.archive_after_days)
    return DETAILS.dump_json(details)


async def assert_same_answers(
    client: httpx.AsyncClient, context: AppContext, headers: dict[str, str], package_id: int
) -> dict[str, object]:
    expected = await orm_answer(context, headers, package_id)
    for version in ("v3", "v4"):
        answer = await client.get(f"/{version}/packages/{package_id}/workflow", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == expected
    body: dict[str, object] = DETAILS.validate_json(expected).model_dump()
    return body


async def assert_same_refusal(
    client: httpx.AsyncClient, headers: dict[str, str], package_id: int, status: int
) -> None:
    # packages/{pid}/details reads through get_workflow, the ORM path's refusals.
    orm = await client.get(f"/v3/packages/{package_id}/details", headers=headers)
    assert orm.status_code == status, orm.text
    for version in ("v3", "v4"):
        answer = await client.get(f"/{version}/packages/{package_id}/workflow", headers=headers)
        assert (answer.status_code, answer.content) == (orm.status_code, orm.content)


async def test_the_read_model_answers_as_the_orm_path(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cleo", "dan", "eve", "zed")
    now = dt.datetime.now(dt.UTC)
    # Dan is away: his turn goes to Eve.
    away = {
        "enabled": True,
        "delegate": {
            "user_email": people.email("eve"),
            "from": (now - dt.timedelta(days=1)).isoformat(),
            "to": (now + dt.timedelta(days=7)).isoformat(),
        },
    }
    assert (await client.put("/v4/settings/delegate", json=away, headers=people["dan"])).is_success
    hr = {"name": "HR", "members": [people.email("ben"), people.email("cleo")]}
    assert (await client.post("/v4/settings/groups", json=hr, headers=people.owner)).is_success

    # A draft: three documents (one with a field, one without pages' floats), every role,
    # a placeholder, a group, post-processing, a message, a deadline, filed in a folder.
    draft_id, (first, second, third) = await new_package(people, documents=3)
    await add_users(
        people,
        draft_id,
        [
            ("ana", "SIGNER", 1),
            ("dan", "REVIEWER", 2),
            ("eve", "EDITOR", 3),
            ("zed", "CARBON_COPY", 4),
        ],
    )
    placed = await client.post(
        f"/v3/packages/{draft_id}/workflow/placeholder",
        json=[{"placeholder": "Witness", "role": "SIGNER", "email_notification": False}],
        headers=people.owner,
    )
    assert placed.status_code == 200, placed.text
    grouped = await client.post(
        f"/v3/packages/{draft_id}/workflow/groups",
        json=[{"group_name": "HR"}],
        headers=people.owner,
    )
    assert grouped.status_code == 200, grouped.text
    field = await client.post(
        f"/v3/packages/{draft_id}/documents/{second}/fields/digital_signature",
        json={"order": 1, "page_no": 1, "field_name": "Sig", "dimensions": DIMENSIONS},
        headers=people.owner,
    )
    assert field.status_code == 200, field.text
    settings = {
        "message": 'Please sign \u00e9\u2028"now"',
        "expires_on": (now + dt.timedelta(days=30)).isoformat(),
    }
    assert (
        await client.put(f"/v3/packages/{draft_id}/workflow", json=settings, headers=people.owner)
    ).is_success
    post = {
        "enabled": True,
        "recipients": [{"name": "Legal", "email": "legal@acme.test"}],
        "message": "Copy",
    }
    assert (
        await client.put(
            f"/v3/packages/{draft_id}/workflow/post_process", json=post, headers=people.owner
        )
    ).is_success
    moved = await client.put(
        f"/v4/packages/{draft_id}/move_to", json={"folder": "Leases"}, headers=people.owner
    )
    assert moved.status_code == 200, moved.text
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Document)
            .where(Document.id == first)
            .values(pages=[[612, 792], [595.276, 841.89]], created_at=NOON, modified_at=TENTHS)
        )
        await session.execute(update(Document).where(Document.id == third).values(pages=[]))
        await session.execute(
            update(Document)
            .where(Document.id == second)
            .values(position=0, certify_enabled=True, lock_form_fields=True)
        )
    body = await assert_same_answers(client, context, people.owner, draft_id)
    assert body["folder"] == "Leases"
    users = body["users"]
    assert isinstance(users, list)
    assert {u["role"] for u in users} == {"SIGNER", "REVIEWER", "EDITOR", "CARBON_COPY"}
    assert [u["placeholder"] for u in users].count("Witness") == 1
    assert [u["group_members"] for u in users if u["group_name"]] == [
        [people.email("ben"), people.email("cleo")]
    ]
    documents = body["documents"]
    assert isinstance(documents, list)
    assert [d["document_id"] for d in documents] == [second, first, third]
    assert [d["form_fields"] for d in documents] == [True, False, False]
    # Not yet shared: nobody but the owner may read it.
    await assert_same_refusal(client, people["ana"], draft_id, 403)

    # Shared, with the placeholder filled: Dan's turn went to Eve.
    shared_id, _ = await new_package(people, documents=2)
    await add_users(
        people, shared_id, [("ana", "SIGNER", 1), ("dan", "SIGNER", 1), ("zed", "CARBON_COPY", 2)]
    )
    grouped = await client.post(
        f"/v3/packages/{shared_id}/workflow/groups",
        json=[{"group_name": "HR", "signing_order": 1}],
        headers=people.owner,
    )
    assert grouped.status_code == 200, grouped.text
    await share(people, shared_id)
    owner_view = await assert_same_answers(client, context, people.owner, shared_id)
    assert owner_view["next_signer_email"]
    assert people.email("eve") in [u["user_email"] for u in owner_view["users"]]  # type: ignore[union-attr]
    for name in ("ana", "eve", "ben", "cleo"):
        seen = await assert_same_answers(client, context, people[name], shared_id)
        # A group member is not the group's entry until they take its turn.
        assert seen["unread"] is (name in ("ana", "eve"))
    # Ana has read it and signed; Ben took the group's turn, Cleo's invitation withdrawn.
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Recipient)
            .where(Recipient.package_id == shared_id, Recipient.email == people.email("ana"))
            .values(read_at=NOON, process_status="SIGNED", processed_on=TENTHS, finished_at=TENTHS)
        )
        group_id = (
            await session.execute(
                update(Recipient)
                .where(Recipient.package_id == shared_id, Recipient.group_name == "HR")
                .values(
                    email=people.email("ben"),
                    name="Ben",
                    processed_on=NOON,
                    reason="On behalf \u2603",
                )
                .returning(Recipient.id)
            )
        ).scalar_one()
        await session.execute(
            update(RecipientMember)
            .where(
                RecipientMember.recipient_id == group_id,
                RecipientMember.email == people.email("cleo"),
            )
            .values(withdrawn_at=NOON)
        )
    read = await assert_same_answers(client, context, people["ana"], shared_id)
    assert read["unread"] is False
    await assert_same_answers(client, context, people["ben"], shared_id)
    await assert_same_answers(client, context, people.owner, shared_id)
    await assert_same_refusal(client, people["cleo"], shared_id, 403)  # the group's turn taken
    await assert_same_refusal(client, people["zed"], shared_id, 403)  # not their turn yet
    await assert_same_refusal(
        client, await bearer(client, other_tenant, other_tenant.user_email), shared_id, 404
    )
    await assert_same_refusal(client, people.owner, shared_id + 1000, 404)

    # Declined and completed long ago: archived for its readers; then deleted.
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Recipient)
            .where(Recipient.package_id == shared_id, Recipient.email == people.email("eve"))
            .values(process_status="DECLINED", reason="No", processed_on=NOON, finished_at=NOON)
        )
        await session.execute(
            update(Package)
            .where(Package.id == shared_id)
            .values(status="COMPLETED", completed_at=now - dt.timedelta(days=3650))
        )
    archived = await assert_same_answers(client, context, people.owner, shared_id)
    assert (archived["folder"], archived["next_signer"]) == ("ARCHIVE", None)
    await assert_same_answers(client, context, people["ana"], shared_id)
    async with transaction(context.sessions) as session:
        await session.execute(update(Package).where(Package.id == shared_id).values(deleted_at=now))
    await assert_same_refusal(client, people.owner, shared_id, 404)
