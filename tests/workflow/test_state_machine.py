"""Random sequences of workflow actions through the API, with invariants after each step.

The machine runs on SQLite only (in its own thread and event loop, so that
Hypothesis drives it synchronously); the concurrency test covers PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select, update

from signflow.app import create_app
from signflow.audit.history import verify_chain
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.migrate import migrate
from signflow.models import Document, Field, HistoryEntry, Package, Recipient, WebhookMessage
from signflow.workflow.deadlines import expire_package
from tests.conftest import make_settings
from tests.factories import Tenant, add_user, bearer, create_package, make_tenant, upload_document
from tests.workflow.helpers import listen, make_pdf

T = TypeVar("T")
NAMES = ("ana", "ben", "rita")
ROLES = ("SIGNER", "SIGNER", "REVIEWER", "CARBON_COPY")


@dataclass
class Env:
    runner: asyncio.Runner
    context: AppContext
    client: httpx.AsyncClient
    tenant: Tenant
    headers: dict[str, dict[str, str]]

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def email(self, name: str) -> str:
        return f"{name}@acme.test"


async def make_env(runner: asyncio.Runner, data_dir: Path) -> Env:
    url = f"sqlite+aiosqlite:///{data_dir / 'machine.db'}"
    await migrate(url)
    # One enterprise makes every call of the whole run, faster than the per-enterprise
    # rate limit allows (its own tests are in tests/accounts); the machine tests states.
    context = AppContext.create(make_settings(url, data_dir / "var", enterprise_rate_per_second=0))
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(context=context), raise_app_exceptions=False),
        base_url="http://testserver",
    )
    tenant = await make_tenant(context, "Acme")
    await listen(context, tenant.enterprise_id)
    headers = {"owner": await bearer(client, tenant, tenant.user_email)}
    for name in NAMES:
        await add_user(context, tenant, f"{name}@acme.test", name.title())
        headers[name] = await bearer(client, tenant, f"{name}@acme.test")
    return Env(runner, context, client, tenant, headers)


class WorkflowMachine(RuleBasedStateMachine):
    env: Env

    def __init__(self) -> None:
        super().__init__()
        client, owner = self.env.client, self.env.headers["owner"]
        self.package_id = self.env.run(create_package(client, owner, "Machine"))
        self.document_id = self.env.run(
            upload_document(client, owner, self.package_id, make_pdf(1))
        )
        self.shared_snapshot: object | None = None

    # Helpers

    def call(self, method: str, path: str, who: str = "owner", body: object = None) -> int:
        response = self.env.run(
            self.env.client.request(
                method,
                f"/v3/packages/{self.package_id}{path}",
                json=body,
                headers=self.env.headers[who],
            )
        )
        assert response.status_code < 500, response.text
        return response.status_code

    def status(self) -> str:
        return self.env.run(self._package()).status

    async def _package(self) -> Package:
        async with transaction(self.env.context.sessions) as session:
            package = await session.get(Package, self.package_id)
            assert package is not None
            return package

    async def _snapshot(self) -> object:
        """What must not change while shared: recipients, fields, documents."""
        async with transaction(self.env.context.sessions) as session:
            recipients = [
                (r.id, r.position, r.email, r.role, r.signing_order)
                for r in await session.scalars(
                    select(Recipient)
                    .where(Recipient.package_id == self.package_id)
                    .order_by(Recipient.id)
                )
            ]
            documents = [
                (d.id, d.name, d.original_sha256)
                for d in await session.scalars(
                    select(Document).where(Document.package_id == self.package_id)
                )
            ]
            fields = [
                (f.id, f.name, f.kind, f.recipient_id, f.page_no, f.x, f.y)
                for f in await session.scalars(
                    select(Field).where(Field.document_id == self.document_id).order_by(Field.id)
                )
            ]
            return recipients, documents, fields

    # Rules

    @rule(name=st.sampled_from(NAMES), role=st.sampled_from(ROLES))
    def add(self, name: str, role: str) -> None:
        body = [{"user_email": self.env.email(name), "user_name": name, "role": role}]
        code = self.call("POST", "/workflow/users", body=body)
        draft = self.status() == "DRAFT"
        assert code == (200 if draft else 403)
        if draft and role == "SIGNER":
            users = self.env.run(
                self.env.client.get(
                    f"/v3/packages/{self.package_id}/workflow/users",
                    headers=self.env.headers["owner"],
                )
            ).json()
            order = users[-1]["order"]
            field = {
                "order": order,
                "page_no": 1,
                "field_name": f"F{order}",
                "dimensions": {"x": 40, "y": 20 + 40 * (order % 19), "width": 120, "height": 30},
            }
            path = f"/documents/{self.document_id}/fields/digital_signature"
            assert self.call("POST", path, body=field) == 200

    @rule()
    def share(self) -> None:
        before = self.status()
        code = self.call("POST", "/workflow")
        assert (code == 200) == (before == "DRAFT" and code == 200)
        if code == 200:
            assert self.status() in ("SHARED", "COMPLETED")
            self.shared_snapshot = self.env.run(self._snapshot())

    @rule(name=st.sampled_from(NAMES))
    def open(self, name: str) -> None:
        self.call("GET", "/open", name)

    @rule(name=st.sampled_from(NAMES))
    def sign(self, name: str) -> None:
        for order in range(1, 12):
            self.call(
                "POST", f"/documents/{self.document_id}/sign", name, {"field_name": f"F{order}"}
            )

    @rule(name=st.sampled_from(NAMES))
    def approve(self, name: str) -> None:
        self.call("POST", "/approve", name)

    @rule(name=st.sampled_from(NAMES))
    def decline(self, name: str) -> None:
        self.call("POST", "/decline", name, {"reason": "no"})

    @rule(name=st.sampled_from(NAMES))
    def finish(self, name: str) -> None:
        self.call("POST", "/finish", name)

    @rule()
    def complete(self) -> None:
        before = self.status()
        code = self.call("POST", "/complete")
        assert code == (200 if before in ("SHARED", "COMPLETED") else 403)

    @rule()
    def recall(self) -> None:
        before = self.status()
        code = self.call("DELETE", "/workflow")
        assert code == (200 if before == "SHARED" else 403)
        if code == 200:
            self.shared_snapshot = None

    @rule()
    def expire(self) -> None:
        async def run() -> bool:
            async with transaction(self.env.context.sessions) as session:
                await session.execute(
                    update(Package)
                    .where(Package.id == self.package_id)
                    .values(expires_at=utcnow() - dt.timedelta(seconds=1))
                )
            async with transaction(self.env.context.sessions) as session:
                return await expire_package(session, self.package_id)

        before = self.status()
        assert self.env.run(run()) == (before == "SHARED")

    # Invariants

    @invariant()
    def holds(self) -> None:
        self.env.run(self._check())

    async def _check(self) -> None:
        async with transaction(self.env.context.sessions) as session:
            package = await session.get(Package, self.package_id)
            assert package is not None
            recipients = list(
                await session.scalars(
                    select(Recipient).where(Recipient.package_id == self.package_id)
                )
            )
            events = list(
                await session.scalars(
                    select(WebhookMessage.event)
                    .where(WebhookMessage.package_id == self.package_id)
                    .order_by(WebhookMessage.id)
                )
            )
            actions = list(
                await session.scalars(
                    select(HistoryEntry.action)
                    .where(HistoryEntry.package_id == self.package_id)
                    .order_by(HistoryEntry.sequence)
                )
            )
            assert (await verify_chain(session, self.package_id)).ok
        completed = package.status == "COMPLETED"
        assert events.count("SIGNED_PACKAGE") == (1 if completed else 0)
        assert events.count("EXPIRED") == (1 if package.status == "EXPIRED" else 0)
        if completed:
            terminated = "WORKFLOW_TERMINATED" in actions
            for recipient in recipients:
                if recipient.role == "SIGNER":
                    expected = {"SIGNED", "SKIPPED"} if terminated else {"SIGNED"}
                    assert recipient.process_status in expected
                if not terminated and recipient.role != "CARBON_COPY":
                    assert recipient.finished_at is not None
            if not terminated:
                signed = await self._unsigned_signer_fields()
                assert signed == 0
        if package.status != "DRAFT" and self.shared_snapshot is not None:
            assert await self._snapshot() == self.shared_snapshot

    async def _unsigned_signer_fields(self) -> int:
        async with transaction(self.env.context.sessions) as session:
            rows = await session.scalars(
                select(Field).where(
                    Field.document_id == self.document_id, Field.signed_at.is_(None)
                )
            )
            return len(list(rows))


def run_machine(data_dir: Path) -> None:
    with asyncio.Runner() as runner:
        env = runner.run(make_env(runner, data_dir))
        WorkflowMachine.env = env
        try:
            run_state_machine_as_test(
                WorkflowMachine,
                settings=settings(
                    max_examples=25,
                    stateful_step_count=15,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                    database=None,
                ),
            )
        finally:
            runner.run(env.client.aclose())
            runner.run(env.context.close())


def test_workflow_state_machine(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run_machine(tmp_path)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
