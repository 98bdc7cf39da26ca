"""From one package event to one message per interested endpoint, each delivered in order."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.evidence import EVIDENCE_JOB
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import dialect_insert, utcnow
from signflow.models import Job, Package, Recipient, WebhookEndpoint, WebhookMessage
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, Finish, Outcome, job_handler
from signflow.webhooks.endpoints import DELIVER_JOB, deliver_ordering_key, new_message_id
from signflow.webhooks.payloads import package_event_body

PACKAGE_EVENT_JOB = "package.event"


def admits(endpoint: WebhookEndpoint, status: str) -> bool:
    return endpoint.events is None or status in endpoint.events


@job_handler(PACKAGE_EVENT_JOB)
async def fan_out_package_event(context: AppContext, job: Job) -> Finish:
    # All of it runs in the worker's recording transaction: the messages and the job's
    # "done" are one commit, shared with the other jobs finishing at the same time.
    return Finish(partial(fan_out, context.settings, job))


async def fan_out(settings: Settings, job: Job, session: AsyncSession) -> Outcome:
    payload: dict[str, Any] = job.payload
    status = str(payload["status"])
    package = await session.get(Package, int(str(payload["package_id"])))
    if package is None:
        return Failed("the package no longer exists")
    if status == "SIGNED_PACKAGE":
        enqueue(session, EVIDENCE_JOB, {"package_id": package.id})
    endpoints = [
        endpoint
        for endpoint in await session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.enterprise_id == package.enterprise_id,
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(WebhookEndpoint.id)
        )
        if admits(endpoint, status)
    ]
    if not endpoints:
        return Done()
    recipient_id = payload.get("recipient_id")
    recipient = await session.get(Recipient, int(str(recipient_id))) if recipient_id else None
    body = await package_event_body(
        session,
        settings,
        package,
        status,
        recipient=recipient,
        message=payload.get("message"),
        document_statuses=payload.get("document_statuses"),
    )
    encoded = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    insert = dialect_insert(session)
    for endpoint in endpoints:
        # A re-run of this job (its recording was lost) inserts nothing new.
        message_id = await session.scalar(
            insert(WebhookMessage)
            .values(
                msg_id=new_message_id(),
                endpoint_id=endpoint.id,
                source_job_id=job.id,
                package_id=package.id,
                event=status,
                body=encoded,
                status="pending",
                attempts=0,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["endpoint_id", "source_job_id"])
            .returning(WebhookMessage.id)
        )
        if message_id is not None:
            enqueue(
                session,
                DELIVER_JOB,
                {"message_id": message_id},
                ordering_key=deliver_ordering_key(endpoint.id, package.id),
                enterprise_id=package.enterprise_id,
            )
    return Done()
