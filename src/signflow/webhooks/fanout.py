"""From one package event to one message per interested endpoint, in the transaction of
the change that causes it.

The listening endpoints are read, the body is built once, and each endpoint gets its
message and its delivery job, all in the caller's transaction: a rolled-back change
notifies no one, and a committed one has its messages written already, so the worker
only has to send them. Deliveries of one endpoint and package go out in the order they
were written (their ordering key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.evidence import EVIDENCE_JOB
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import utcnow
from signflow.models import (
    Document,
    Job,
    JobStatus,
    Package,
    Recipient,
    WebhookEndpoint,
    WebhookMessage,
)
from signflow.outbox.enqueue import ENQUEUED_FLAG, enqueue
from signflow.outbox.handlers import Done, Failed, Finish, Outcome, Result, job_handler
from signflow.webhooks.endpoints import DELIVER_JOB, deliver_ordering_key, new_message_id
from signflow.webhooks.payloads import needs_documents, package_event_body


def admits(endpoint: WebhookEndpoint, status: str) -> bool:
    return endpoint.events is None or status in endpoint.events


async def write_messages(
    session: AsyncSession,
    settings: Settings,
    package: Package,
    status: str,
    *,
    documents: Sequence[Document] | None = None,
    recipient: Recipient | None = None,
    message: str | None = None,
    document_statuses: Mapping[str, str] | None = None,
    source_job_id: int | None = None,
) -> list[str]:
    """One message and one delivery job for each enabled endpoint of the package's
    enterprise that wants `status`. `documents` are the package's, in order; they are
    read here when the body lists them and the caller has not."""
    endpoints = [
        endpoint
        for endpoint in await _enabled_endpoints(session, package.enterprise_id)
        if admits(endpoint, status)
    ]
    if not endpoints:
        return []
    if documents is None and needs_documents(status):
        documents = await _documents_of(session, package.id)
    body = package_event_body(
        settings,
        package,
        status,
        documents=documents or (),
        recipient=recipient,
        message=message,
        document_statuses=document_statuses,
    )
    encoded = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    now = utcnow()
    messages = [
        {
            "msg_id": new_message_id(),
            "endpoint_id": endpoint.id,
            "source_job_id": source_job_id,
            "package_id": package.id,
            "event": status,
            "body": encoded,
            "status": "pending",
            "attempts": 0,
            "delivered_at": None,
            "created_at": now,
        }
        for endpoint in endpoints
    ]
    deliveries = [
        {
            "kind": DELIVER_JOB,
            "payload": {"msg_id": written["msg_id"]},
            "ordering_key": deliver_ordering_key(endpoint.id, package.id),
            "enterprise_id": package.enterprise_id,
            "status": JobStatus.PENDING.value,
            "due_at": now,
            "attempts": 0,
            "created_at": now,
        }
        for endpoint, written in zip(endpoints, messages, strict=True)
    ]
    if session.new or session.dirty or session.deleted:
        # Jobs enqueued before these (through the ORM) keep coming first.
        await session.flush()
    # Two statements whatever the number of endpoints, without the unit of work.
    await session.execute(_WRITE_MESSAGES, messages)
    await session.execute(_WRITE_JOBS, deliveries)
    session.info[ENQUEUED_FLAG] = True
    return [str(written["msg_id"]) for written in messages]


# Read with every package notification: built once. FOR KEY SHARE on PostgreSQL: an
# endpoint deleted while this transaction runs would otherwise fail its message's foreign
# key at commit, and with it the change that notifies. The message's own foreign key
# check takes the same lock a moment later.
_ENABLED_ENDPOINTS = (
    select(WebhookEndpoint)
    .where(
        WebhookEndpoint.enterprise_id == bindparam("enterprise_id"),
        WebhookEndpoint.enabled.is_(True),
    )
    .order_by(WebhookEndpoint.id)
    .with_for_update(read=True, key_share=True)
)
_WRITE_MESSAGES = insert(cast(Table, WebhookMessage.__table__))
_WRITE_JOBS = insert(cast(Table, Job.__table__))


async def _enabled_endpoints(session: AsyncSession, enterprise_id: int) -> list[WebhookEndpoint]:
    return list(await session.scalars(_ENABLED_ENDPOINTS, {"enterprise_id": enterprise_id}))


async def _documents_of(session: AsyncSession, package_id: int) -> list[Document]:
    return list(
        await session.scalars(
            select(Document).where(Document.package_id == package_id).order_by(Document.position)
        )
    )


# Package events queued as jobs by earlier versions of 0.1, which fanned out in the
# worker: after an upgrade they are drained into messages like the ones written now.
QUEUED_PACKAGE_EVENT_JOB = "package.event"


@job_handler(QUEUED_PACKAGE_EVENT_JOB)
async def fan_out_queued_event(context: AppContext, job: Job) -> Result:
    return Finish(partial(_write_queued_event, context.settings, job))


async def _write_queued_event(settings: Settings, job: Job, session: AsyncSession) -> Outcome:
    payload: dict[str, Any] = job.payload
    package = await session.get(Package, int(str(payload["package_id"])))
    if package is None:
        return Failed("the package no longer exists")
    recipient_id = payload.get("recipient_id")
    status = str(payload["status"])
    if status == "SIGNED_PACKAGE":  # those versions asked for the evidence report here
        enqueue(session, EVIDENCE_JOB, {"package_id": package.id})
    await write_messages(
        session,
        settings,
        package,
        status,
        recipient=await session.get(Recipient, int(str(recipient_id))) if recipient_id else None,
        message=payload.get("message"),
        document_statuses=payload.get("document_statuses"),
        # Unique with the endpoint: the same queued event can never make two messages.
        source_job_id=job.id,
    )
    return Done()
