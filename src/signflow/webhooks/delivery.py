"""Delivering one webhook message: sign, send, record the attempt, decide what next."""

from __future__ import annotations

import datetime as dt
import random
import time

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import (
    EnterpriseRole,
    Job,
    User,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, Outcome, Result, RetryAt, job_handler
from signflow.outbox.recording import record_outcome
from signflow.webhooks.endpoints import DELIVER_JOB, active_secrets
from signflow.webhooks.retry import next_attempt_delay
from signflow.webhooks.sender import AttemptResult, send_once
from signflow.webhooks.sender import Outcome as SendOutcome
from signflow.webhooks.ssrf import guarded_client, parse_allowed_networks

# An endpoint that has failed everything for this long is switched off.
DISABLE_AFTER_FAILING_FOR = dt.timedelta(days=5)
ENDPOINT_DISABLED_EMAIL = "email.endpoint_disabled"
_rng = random.SystemRandom()


def webhook_client(context: AppContext) -> httpx.AsyncClient:
    """One SSRF-guarded client per process, reused for its connection pool."""
    client = context.services.get("webhook_client")
    if client is None:
        allowed = parse_allowed_networks(context.settings.webhook_allowed_networks)
        client = guarded_client(allowed, timeout=context.settings.webhook_timeout_seconds)
        context.services["webhook_client"] = client
    assert isinstance(client, httpx.AsyncClient)
    return client


@job_handler(DELIVER_JOB)
async def deliver_message(context: AppContext, job: Job) -> Result:
    message_id = int(str(job.payload["message_id"]))
    async with transaction(context.sessions) as session:
        row = (
            await session.execute(
                select(WebhookMessage, WebhookEndpoint)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookMessage.endpoint_id)
                .where(WebhookMessage.id == message_id)
            )
        ).first()
        if row is None:
            return Failed("the message no longer exists")
        message, endpoint = row
        if not endpoint.enabled:
            message.status = "failed"
            return await record_outcome(session, job, Failed("the endpoint is disabled"))
        secrets = active_secrets(context.settings, endpoint)
        url, msg_id, body = endpoint.url, message.msg_id, message.body
        endpoint_was_failing = endpoint.failing_since is not None
    result = await send_once(
        webhook_client(context),
        url,
        msg_id,
        body,
        secrets,
        int(time.time()),
        timeout=context.settings.webhook_timeout_seconds,
    )
    async with transaction(context.sessions) as session:
        if result.outcome is SendOutcome.SUCCESS and not endpoint_was_failing:
            outcome: Outcome = await _record_success(session, message_id, result)
        else:
            outcome = await _record(session, job, message_id, result)
        return await record_outcome(session, job, outcome)


def _attempt(message_id: int, result: AttemptResult, now: dt.datetime) -> WebhookAttempt:
    return WebhookAttempt(
        message_id=message_id,
        attempted_at=now,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
        response_excerpt=result.response_excerpt or None,
    )


async def _record_success(session: AsyncSession, message_id: int, result: AttemptResult) -> Done:
    """The common case, written without reading anything back first."""
    now = utcnow()
    session.add(_attempt(message_id, result, now))
    await session.execute(
        update(WebhookMessage)
        .where(WebhookMessage.id == message_id)
        .values(status="delivered", delivered_at=now, attempts=WebhookMessage.attempts + 1)
    )
    return Done()


async def _record(
    session: AsyncSession, job: Job, message_id: int, result: AttemptResult
) -> Outcome:
    message = await session.get_one(WebhookMessage, message_id)
    endpoint = await session.get_one(WebhookEndpoint, message.endpoint_id)
    now = utcnow()
    session.add(_attempt(message.id, result, now))
    message.attempts += 1
    if result.outcome is SendOutcome.SUCCESS:
        message.status, message.delivered_at = "delivered", now
        endpoint.failing_since = None
        return Done()
    if result.outcome is SendOutcome.GONE:
        message.status = "failed"
        await _disable(session, endpoint, "the receiver answered 410 Gone")
        return Failed("410 Gone: endpoint disabled")
    if result.outcome is SendOutcome.FAILED:
        message.status = "failed"
        return Failed(result.error or "the delivery cannot succeed")
    endpoint.failing_since = endpoint.failing_since or now
    if now - endpoint.failing_since >= DISABLE_AFTER_FAILING_FOR:
        message.status = "failed"
        await _disable(session, endpoint, "every delivery failed for 5 days")
        return Failed("endpoint disabled after failing for 5 days")
    delay = next_attempt_delay(job.attempts, _rng, result.retry_after)
    if delay is None:
        message.status = "failed"
        return Failed(result.error or f"gave up after {job.attempts} attempts")
    return RetryAt(now + dt.timedelta(seconds=delay), result.error or "delivery failed")


async def _disable(session: AsyncSession, endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.enabled, endpoint.disabled_reason = False, reason
    admins = await session.scalars(
        select(User.id).where(
            User.enterprise_id == endpoint.enterprise_id,
            User.role == EnterpriseRole.ADMIN.value,
            User.is_active.is_(True),
        )
    )
    for admin_id in admins:
        enqueue(
            session,
            ENDPOINT_DISABLED_EMAIL,
            {"user_id": admin_id, "endpoint_id": endpoint.id, "reason": reason},
            enterprise_id=endpoint.enterprise_id,
        )
