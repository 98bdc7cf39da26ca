"""From one package event to one message per interested endpoint, each delivered in order.

The events claimed together are read together (`prepare_events`: a few queries for the
whole round, in a read-only transaction); each event's messages and delivery jobs are
then only added to the round's recording transaction, where the ORM inserts them all
in one statement per table.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.evidence import EVIDENCE_JOB
from signflow.context import AppContext
from signflow.db import any_of, statements, utcnow
from signflow.models import (
    Document,
    Job,
    JobStatus,
    Package,
    Recipient,
    WebhookEndpoint,
    WebhookMessage,
)
from signflow.outbox.coalesce import Coalescer
from signflow.outbox.enqueue import enqueue, enqueue_started
from signflow.outbox.handlers import Done, Failed, Finish, Outcome, Result, job_handler
from signflow.webhooks.delivery import Target, deliver_to
from signflow.webhooks.endpoints import (
    DELIVER_JOB,
    active_secrets,
    deliver_ordering_key,
    new_message_id,
)
from signflow.webhooks.payloads import needs_documents, package_event_body

PACKAGE_EVENT_JOB = "package.event"

Row = TypeVar("Row", Package, Recipient)


def admits(endpoint: WebhookEndpoint, status: str) -> bool:
    return endpoint.events is None or status in endpoint.events


@dataclass(frozen=True)
class Listener:
    """An endpoint that wants the event, as delivering to it needs."""

    endpoint_id: int
    url: str
    secrets: list[str]
    failing: bool
    # No earlier delivery of its ordering key waits: the message can go out at once.
    free: bool


@dataclass(frozen=True)
class PreparedEvent:
    package_id: int
    enterprise_id: int
    status: str
    endpoints: list[Listener]  # the enabled endpoints that want it, in id order
    body: bytes  # empty when no endpoint wants it


def event_preparer(context: AppContext) -> Coalescer[Job, PreparedEvent | None]:
    """The events claimed together are read together."""
    return context.service("webhook_events", lambda: Coalescer(partial(prepare_events, context)))


@job_handler(PACKAGE_EVENT_JOB)
async def fan_out_package_event(context: AppContext, job: Job) -> Result:
    event = await event_preparer(context).submit(job)
    if event is None:
        return Failed("the package no longer exists")
    return Finish(partial(add_messages, context, job, event))


async def prepare_events(context: AppContext, jobs: Sequence[Job]) -> list[PreparedEvent | None]:
    async with statements(context.sessions, read_only=True) as session:
        packages = await _by_id(session, Package, {_package_id(job) for job in jobs})
        endpoints = await _enabled_endpoints(
            session, {package.enterprise_id for package in packages.values()}
        )
        recipients = await _by_id(session, Recipient, set(filter(None, map(_recipient_id, jobs))))
        listened = [job for job in jobs if _wanted_by(job, packages, endpoints)]
        documents = await _documents_of(
            session,
            {_package_id(job) for job in listened if needs_documents(str(job.payload["status"]))},
        )
        busy = await _busy_ordering_keys(
            session,
            {
                deliver_ordering_key(endpoint.id, _package_id(job))
                for job in listened
                for endpoint in endpoints[packages[_package_id(job)].enterprise_id]
            },
        )
    return [
        _prepare(context, job, packages, endpoints, recipients, documents, busy) for job in jobs
    ]


def _prepare(
    context: AppContext,
    job: Job,
    packages: dict[int, Package],
    endpoints: dict[int, list[WebhookEndpoint]],
    recipients: dict[int, Recipient],
    documents: dict[int, list[Document]],
    busy: set[str],
) -> PreparedEvent | None:
    payload: dict[str, Any] = job.payload
    package = packages.get(_package_id(job))
    if package is None:
        return None
    status = str(payload["status"])
    wanted = [
        Listener(
            endpoint_id=endpoint.id,
            url=endpoint.url,
            secrets=active_secrets(context.settings, endpoint),
            failing=endpoint.failing_since is not None,
            free=deliver_ordering_key(endpoint.id, package.id) not in busy,
        )
        for endpoint in endpoints.get(package.enterprise_id, [])
        if admits(endpoint, status)
    ]
    body = b""
    if wanted:
        recipient_id = _recipient_id(job)
        document = package_event_body(
            context.settings,
            package,
            status,
            documents=documents.get(package.id, []),
            recipient=recipients.get(recipient_id) if recipient_id else None,
            message=payload.get("message"),
            document_statuses=payload.get("document_statuses"),
        )
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return PreparedEvent(package.id, package.enterprise_id, status, wanted, body)


async def add_messages(
    context: AppContext, job: Job, event: PreparedEvent, session: AsyncSession
) -> Outcome:
    if event.status == "SIGNED_PACKAGE":
        enqueue(session, EVIDENCE_JOB, {"package_id": event.package_id})
    for listener in event.endpoints:
        message = WebhookMessage(
            msg_id=new_message_id(),
            endpoint_id=listener.endpoint_id,
            # Unique with the endpoint: the same event can never make two messages.
            source_job_id=job.id,
            package_id=event.package_id,
            event=event.status,
            body=event.body,
            status="pending",
            attempts=0,
            created_at=utcnow(),
        )
        session.add(message)
        payload: dict[str, object] = {"msg_id": message.msg_id}
        key = deliver_ordering_key(listener.endpoint_id, event.package_id)
        if listener.free:
            # Nothing of its key waits: this worker sends it as soon as the round
            # commits, with what it read already, instead of claiming and reading it.
            enqueue_started(
                session,
                DELIVER_JOB,
                payload,
                partial(_deliver_new, context, message, listener),
                ordering_key=key,
                enterprise_id=event.enterprise_id,
            )
        else:
            enqueue(
                session, DELIVER_JOB, payload, ordering_key=key, enterprise_id=event.enterprise_id
            )
    return Done()


async def _deliver_new(
    context: AppContext, message: WebhookMessage, listener: Listener, job: Job
) -> Result:
    target = Target(
        message_id=message.id,
        url=listener.url,
        msg_id=message.msg_id,
        body=message.body,
        secrets=listener.secrets,
        endpoint_enabled=True,
        endpoint_failing=listener.failing,
    )
    return await deliver_to(context, job, target)


async def _busy_ordering_keys(session: AsyncSession, keys: set[str]) -> set[str]:
    """The keys with a job waiting or running."""
    if not keys:
        return set()
    found = await session.scalars(
        select(Job.ordering_key)
        .where(
            any_of(session, Job.ordering_key, keys),
            Job.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]),
        )
        .distinct()
    )
    return {key for key in found if key is not None}


def _package_id(job: Job) -> int:
    return int(str(job.payload["package_id"]))


def _recipient_id(job: Job) -> int | None:
    found = job.payload.get("recipient_id")
    return int(str(found)) if found else None


def _wanted_by(
    job: Job, packages: dict[int, Package], endpoints: dict[int, list[WebhookEndpoint]]
) -> bool:
    package = packages.get(_package_id(job))
    status = str(job.payload["status"])
    return package is not None and any(
        admits(endpoint, status) for endpoint in endpoints.get(package.enterprise_id, [])
    )


async def _by_id(session: AsyncSession, model: type[Row], ids: set[int]) -> dict[int, Row]:
    if not ids:
        return {}
    rows = await session.scalars(select(model).where(any_of(session, model.id, ids)))
    return {row.id: row for row in rows}


async def _enabled_endpoints(
    session: AsyncSession, enterprise_ids: set[int]
) -> dict[int, list[WebhookEndpoint]]:
    found: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    if enterprise_ids:
        for endpoint in await session.scalars(
            select(WebhookEndpoint)
            .where(
                any_of(session, WebhookEndpoint.enterprise_id, enterprise_ids),
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(WebhookEndpoint.id)
        ):
            found[endpoint.enterprise_id].append(endpoint)
    return found


async def _documents_of(session: AsyncSession, package_ids: set[int]) -> dict[int, list[Document]]:
    found: dict[int, list[Document]] = defaultdict(list)
    if package_ids:
        for document in await session.scalars(
            select(Document)
            .where(any_of(session, Document.package_id, package_ids))
            .order_by(Document.package_id, Document.position)
        ):
            found[document.package_id].append(document)
    return found
