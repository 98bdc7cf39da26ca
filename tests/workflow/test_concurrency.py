"""The last two recipients finish at the same moment: exactly one completion, one event.

Each racer runs the core use case in its own session and transaction, at once
(asyncio.gather), against the real database: on PostgreSQL the package row
lock queues them; on SQLite BEGIN IMMEDIATE does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import func, select

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, verify_chain
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Enterprise, HistoryEntry, Job, Package, Recipient, User, WebhookMessage
from signflow.workflow.actions import complete_workflow, finish_processing
from tests.factories import Tenant
from tests.workflow.helpers import People, add_users, new_package, share

ROUNDS = 12
NOT_YOURS = "Document does not belong to user"

UseCase = Callable[..., Awaitable[None]]


async def run_as(context: AppContext, email: str, use_case: UseCase, package_id: int) -> None:
    async with transaction(context.sessions) as session:
        user = await session.scalar(select(User).where(User.email == email))
        assert user is not None
        enterprise = await session.get(Enterprise, user.enterprise_id)
        assert enterprise is not None
        principal = Principal(user=user, enterprise=enterprise, grant_id=0)
        await use_case(session, principal, Actor(email, user.name), package_id)


async def count(context: AppContext, statement: object) -> int:
    async with transaction(context.sessions) as session:
        return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]


async def test_racing_finishes_complete_once(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    for round_no in range(ROUNDS):
        package_id, _ = await new_package(people, name=f"Race {round_no}")
        await client.put(
            f"/v3/packages/{package_id}/workflow",
            json={"workflow_type": "PARALLEL"},
            headers=people.owner,
        )
        await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
        await share(people, package_id)
        # Every third round the owner terminates while the last signer finishes.
        second: tuple[str, UseCase] = (
            (tenant.user_email, complete_workflow)
            if round_no % 3 == 2
            else (people.email("ben"), finish_processing)
        )
        if round_no % 3 == 2:
            await run_as(context, people.email("ben"), finish_processing, package_id)
        results = await asyncio.gather(
            run_as(context, people.email("ana"), finish_processing, package_id),
            run_as(context, second[0], second[1], package_id),
            return_exceptions=True,
        )
        terminated = round_no % 3 == 2
        errors = [r for r in results if isinstance(r, BaseException)]
        # A terminate that wins skips ana: her finish then finds the package gone from her.
        assert errors == [] or (terminated and [str(e) for e in errors] == [NOT_YOURS])
        ana_won = not errors

        async with transaction(context.sessions) as session:
            package = await session.get(Package, package_id)
            assert package is not None
            assert package.status == "COMPLETED"
            processes = list(
                await session.scalars(
                    select(Recipient.process_status)
                    .where(Recipient.package_id == package_id)
                    .order_by(Recipient.position)
                )
            )
            assert processes == ["SIGNED" if ana_won else "SKIPPED", "SIGNED"]
            events = list(
                await session.scalars(
                    select(WebhookMessage.event)
                    .where(WebhookMessage.package_id == package_id)
                    .order_by(WebhookMessage.id)
                )
            )
            assert events.count("SIGNED_PACKAGE") == 1, events
            assert events.count("NOTIFICATION") == (2 if ana_won else 1), events
            completions = await session.scalar(
                select(func.count())
                .select_from(HistoryEntry)
                .where(
                    HistoryEntry.package_id == package_id,
                    HistoryEntry.action.in_(["WORKFLOW_COMPLETED", "WORKFLOW_TERMINATED"]),
                )
            )
            assert completions == 1
            assert (await verify_chain(session, package_id)).ok
    mails = await count(
        context, select(func.count()).select_from(Job).where(Job.kind == "email.package_completed")
    )
    assert mails == ROUNDS
