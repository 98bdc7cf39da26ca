"""Erasing a person from the history: gone from every row, chains still verify, other
enterprises untouched; legacy (unkeyed) rows too."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from signflow.audit.checkpoints import checkpoint_all
from signflow.audit.erasure import erase_person
from signflow.audit.history import LEGACY_CHAIN, SYSTEM, Actor, entry_digest
from signflow.audit.verification import audit_package
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import HistoryEntry, Package, User
from signflow.outbox.worker import Worker
from tests.audit.test_evidence import signed_and_completed
from tests.factories import Tenant, bearer, create_package


def row_text(entry: HistoryEntry) -> str:
    return json.dumps(
        [entry.user_email, entry.user_name, entry.ip_address, entry.user_agent, entry.details]
    ).casefold()


async def enterprise_rows(context: AppContext, enterprise_id: int) -> list[HistoryEntry]:
    async with transaction(context.sessions) as session:
        return list(
            await session.scalars(
                select(HistoryEntry)
                .join(Package, Package.id == HistoryEntry.package_id)
                .where(Package.enterprise_id == enterprise_id)
                .order_by(HistoryEntry.id)
            )
        )


async def all_verify(context: AppContext, enterprise_id: int) -> list[str]:
    problems = []
    async with transaction(context.sessions) as session:
        ids = await session.scalars(
            select(Package.id).where(Package.enterprise_id == enterprise_id)
        )
        for package_id in list(ids):
            result = await audit_package(session, package_id)
            if not result.ok:
                problems.append(f"{package_id}: {result.reason}")
    return problems


async def test_erasure_removes_the_person_and_keeps_every_chain_verifiable(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, context: AppContext
):
    person = tenant.user_email
    owner, package_id, _ = await signed_and_completed(client, tenant)
    other_owner = await bearer(client, other_tenant, other_tenant.admin_email)
    other_package = await create_package(client, other_owner)
    added = await client.post(
        f"/v3/packages/{other_package}/workflow/users",
        json=[{"user_email": person, "user_name": "Ana Ruiz", "role": "SIGNER"}],
        headers=other_owner,
    )
    assert added.status_code == 200, added.text
    await Worker(context).run_until_idle()  # the evidence report and its checkpoint
    await checkpoint_all(context)
    before = await enterprise_rows(context, tenant.enterprise_id)
    assert any(person.casefold() in row_text(e) for e in before)
    assert any(e.ip_address for e in before if e.user_email == person)

    # Another enterprise's admin naming this enterprise's admin reaches nothing of it.
    foreign = await client.post(
        "/v3/enterprise/erasures", json={"email": tenant.admin_email}, headers=other_owner
    )
    assert foreign.status_code == 200, foreign.text
    assert foreign.json() == {
        "packages": [],
        "values_erased": 0,
        "refused": {},
        "remaining_mentions": [],
    }
    assert [row_text(e) for e in await enterprise_rows(context, tenant.enterprise_id)] == [
        row_text(e) for e in before
    ]

    signer = await bearer(client, tenant, person)
    refused = await client.post("/v3/enterprise/erasures", json={"email": person}, headers=signer)
    assert refused.status_code == 403, refused.text
    bad = await client.post("/v3/enterprise/erasures", json={"email": 7}, headers=owner)
    assert bad.status_code == 400, bad.text

    erased = await client.post("/v3/enterprise/erasures", json={"email": person}, headers=owner)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["packages"] == [package_id]
    assert body["values_erased"] > 0
    assert body["refused"] == {}

    after = await enterprise_rows(context, tenant.enterprise_id)
    assert [row_text(e) for e in after if person.casefold() in row_text(e)] == []
    assert "ana ruiz" not in " ".join(row_text(e) for e in after if e.user_email != person)
    [record] = [e for e in after if e.action == "PERSONAL_DATA_ERASED"]
    assert person.casefold() not in row_text(record)
    assert await all_verify(context, tenant.enterprise_id) == []

    untouched = await enterprise_rows(context, other_tenant.enterprise_id)
    assert any(person.casefold() in row_text(e) for e in untouched)
    assert not any(e.action == "PERSONAL_DATA_ERASED" for e in untouched)
    assert await all_verify(context, other_tenant.enterprise_id) == []


async def test_rows_written_before_keyed_links_are_erased_and_still_checked(
    tenant: Tenant, context: AppContext
):
    person = "legacy.person@example.test"
    async with transaction(context.sessions) as session:
        owner_id = await session.scalar(select(User.id).where(User.email == tenant.admin_email))
        assert owner_id is not None
        package = Package(enterprise_id=tenant.enterprise_id, owner_id=owner_id, name="Old")
        session.add(package)
        await session.flush()
        previous = None
        rows = [
            (Actor(person, "Old Person", "198.51.100.7", "old-browser"), {"order": 1}),
            (SYSTEM, {"users": [{"order": 1, "user_email": person, "role": "SIGNER"}]}),
        ]
        for sequence, (actor, details) in enumerate(rows, start=1):
            created_at = utcnow()
            digest = entry_digest(
                package_id=package.id,
                sequence=sequence,
                action="OLD_ACTION",
                actor=actor,
                details=details,
                created_at=created_at,
                previous_hash=previous,
            )
            session.add(
                HistoryEntry(
                    package_id=package.id,
                    sequence=sequence,
                    chain_version=LEGACY_CHAIN,
                    action="OLD_ACTION",
                    user_email=actor.email,
                    user_name=actor.name,
                    ip_address=actor.ip_address,
                    user_agent=actor.user_agent,
                    details=details,
                    created_at=created_at,
                    previous_hash=previous,
                    entry_hash=digest,
                )
            )
            previous = digest
        package.history_head = previous
        package_id = package.id
    assert await all_verify(context, tenant.enterprise_id) == []

    async with transaction(context.sessions) as session:
        result = await erase_person(session, tenant.enterprise_id, person, SYSTEM)
    assert result.packages == [package_id]
    rows_after = await enterprise_rows(context, tenant.enterprise_id)
    assert not [e.id for e in rows_after if person in row_text(e)]
    assert await all_verify(context, tenant.enterprise_id) == []

    # An erased legacy row is held by its erasure seal: changing it is still seen.
    async with transaction(context.sessions) as session:
        first = await session.scalar(
            select(HistoryEntry).where(
                HistoryEntry.package_id == package_id, HistoryEntry.sequence == 1
            )
        )
        assert first is not None
        first.details = {"order": 2}
    assert await all_verify(context, tenant.enterprise_id) == [
        f"{package_id}: erased content does not match the seal its erasure recorded"
    ]
