"""Helpers for workflow tests: test PDFs, a package walked through the API, job and
history lookups."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry, Job, Package, Recipient, WebhookEndpoint, WebhookMessage
from signflow.sealing import seal
from signflow.webhooks.endpoints import SECRET_PURPOSE
from tests.factories import Tenant, add_user, bearer, create_package, upload_document


def make_pdf(pages: int = 1, texts: Sequence[str] = ()) -> bytes:
    """A plain A4 PDF; texts[i] is written on page i at (72, 700)."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    for index in range(pages):
        if index < len(texts):
            canvas.setFont("Helvetica", 12)
            canvas.drawString(72, 700, texts[index])
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@dataclass
class People:
    """Users of one tenant with their bearer headers, signed in once per test."""

    client: httpx.AsyncClient
    context: AppContext
    tenant: Tenant
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def owner(self) -> dict[str, str]:
        return self.headers[self.tenant.user_email]

    async def start(self, *names: str) -> People:
        self.headers[self.tenant.user_email] = await bearer(
            self.client, self.tenant, self.tenant.user_email
        )
        await listen(self.context, self.tenant.enterprise_id)
        for name in names:
            await self.add(name)
        return self

    async def add(self, name: str) -> dict[str, str]:
        email = self.email(name)
        if email not in self.headers:
            await add_user(self.context, self.tenant, email, name.title())
            self.headers[email] = await bearer(self.client, self.tenant, email)
        return self.headers[email]

    def email(self, name: str) -> str:
        return f"{name}@{self.tenant.name.lower()}.test"

    def __getitem__(self, name: str) -> dict[str, str]:
        return self.headers[self.email(name)]


async def new_package(
    people: People, documents: int = 1, name: str = "Lease 2026", texts: Sequence[str] = ()
) -> tuple[int, list[int]]:
    package_id = await create_package(people.client, people.owner, name)
    document_ids = [
        await upload_document(
            people.client, people.owner, package_id, make_pdf(2, texts), f"doc{n}.pdf"
        )
        for n in range(1, documents + 1)
    ]
    return package_id, document_ids


async def add_users(
    people: People, package_id: int, users: Sequence[tuple[str, str] | tuple[str, str, int]]
) -> None:
    """users: (name, role) or (name, role, signing_order)."""
    body = []
    for item in users:
        entry: dict[str, object] = {
            "user_email": people.email(item[0]),
            "user_name": item[0].title(),
            "role": item[1],
            "email_notification": True,
        }
        if len(item) == 3:
            entry["signing_order"] = item[2]
        body.append(entry)
    response = await people.client.post(
        f"/v3/packages/{package_id}/workflow/users", json=body, headers=people.owner
    )
    assert response.status_code == 200, response.text


async def share(people: People, package_id: int) -> list[dict[str, object]]:
    response = await people.client.post(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert response.status_code == 200, response.text
    body: list[dict[str, object]] = response.json()
    return body


async def statuses(people: People, package_id: int) -> tuple[str, list[str]]:
    """(workflow_status, [process_status of each user in order]) as the owner sees them."""
    response = await people.client.get(f"/v3/packages/{package_id}/workflow", headers=people.owner)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["workflow"]["workflow_status"], [u["process_status"] for u in body["users"]]


async def act(
    people: People, name: str, package_id: int, action: str, body: object = None
) -> httpx.Response:
    return await people.client.post(
        f"/v3/packages/{package_id}/{action}", json=body, headers=people[name]
    )


async def inbox(people: People, name: str) -> list[int]:
    response = await people.client.get("/v3/packages/ALL/1/100", headers=people[name])
    assert response.status_code == 200, response.text
    return [item["package_id"] for item in response.json()]


async def jobs(context: AppContext, kind: str | None = None) -> list[Job]:
    async with transaction(context.sessions) as session:
        query = select(Job).order_by(Job.id)
        if kind is not None:
            query = query.where(Job.kind == kind)
        return list(await session.scalars(query))


# Loopback, so never reached: the tests read the messages written for it.
LISTENER_URL = "https://127.0.0.1/package-events"


async def listen(context: AppContext, enterprise_id: int) -> None:
    """A webhook endpoint for the enterprise, so that its package notifications are
    written (they are written only for endpoints that listen)."""
    async with transaction(context.sessions) as session:
        session.add(
            WebhookEndpoint(
                enterprise_id=enterprise_id,
                url=LISTENER_URL,
                secret_encrypted=seal(
                    b"whsec_dGVzdA==", context.settings.effective_secret_key, SECRET_PURPOSE
                ),
            )
        )


async def package_events(context: AppContext, package_id: int) -> list[dict[str, Any]]:
    """The notification bodies written for the package, in order (see `listen`)."""
    async with transaction(context.sessions) as session:
        bodies = await session.scalars(
            select(WebhookMessage.body)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookMessage.endpoint_id)
            .where(WebhookMessage.package_id == package_id, WebhookEndpoint.url == LISTENER_URL)
            .order_by(WebhookMessage.id)
        )
        return [json.loads(body) for body in bodies]


async def event_statuses(context: AppContext, package_id: int) -> list[object]:
    return [event["status"] for event in await package_events(context, package_id)]


def document_statuses(event: dict[str, Any]) -> dict[str, str]:
    return {document["code"]: document["status"] for document in event["documents"]}


async def history_actions(context: AppContext, package_id: int) -> list[str]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(HistoryEntry.action)
            .where(HistoryEntry.package_id == package_id)
            .order_by(HistoryEntry.sequence)
        )
        return list(rows)


async def recipient_ids(context: AppContext, package_id: int) -> dict[str, int]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(Recipient).where(Recipient.package_id == package_id).order_by(Recipient.position)
        )
        return {r.email.partition("@")[0]: r.id for r in rows}


async def package_row(context: AppContext, package_id: int) -> Package:
    async with transaction(context.sessions) as session:
        package = await session.get(Package, package_id)
        assert package is not None
        return package
