"""Delivering one webhook message: sign, send, record the attempt, decide what next."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import cast

import aiohttp
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import AppContext
from signflow.db import any_of, statements, utcnow
from signflow.models import (
    EnterpriseRole,
    Job,
    User,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from signflow.observability.metrics import DELIVERIES
from signflow.outbox.coalesce import Coalescer
from signflow.outbox.deferred import defer
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, Finish, Outcome, Result, RetryAt, job_handler
from signflow.webhooks.endpoints import DELIVER_JOB, signing_secrets
from signflow.webhooks.retry import next_attempt_delay
from signflow.webhooks.sender import AttemptResult, send_once
from signflow.webhooks.sender import Outcome as SendOutcome
from signflow.webhooks.ssrf import guarded_session, parse_allowed_networks

# An endpoint that has failed everything for this long is switched off.
DISABLE_AFTER_FAILING_FOR = dt.timedelta(days=5)
ENDPOINT_DISABLED_EMAIL = "email.endpoint_disabled"
_rng = random.SystemRandom()


def webhook_client(context: AppContext) -> aiohttp.ClientSession:
    """One SSRF-guarded client per process, reused for its connection pool."""
    settings = context.settings
    return context.service(
        "webhook_client",
        lambda: guarded_session(
            parse_allowed_networks(settings.webhook_allowed_networks),
            timeout=settings.webhook_timeout_seconds,
        ),
    )


@dataclass(frozen=True)
class Target:
    """What sending one message needs, read before the attempt."""

    message_id: int
    url: str
    msg_id: str
    body: bytes
    secrets: list[str]
    endpoint_enabled: bool
    endpoint_failing: bool


def delivery_targets(context: AppContext) -> Coalescer[str, Target | None]:
    """The deliveries starting together read their messages in one query."""
    return context.service("webhook_targets", lambda: Coalescer(partial(_read_targets, context)))


_messages = cast(Table, WebhookMessage.__table__).c
_endpoints = cast(Table, WebhookEndpoint.__table__).c


async def _read_targets(context: AppContext, msg_ids: Sequence[str]) -> list[Target | None]:
    # The columns a delivery needs, as rows: no ORM objects to build for a read whose
    # result lives only as long as the attempt.
    async with statements(context.sessions, read_only=True) as session:
        rows = await session.execute(
            select(
                _messages.id,
                _messages.msg_id,
                _messages.body,
                _endpoints.url,
                _endpoints.enabled,
                _endpoints.failing_since,
                _endpoints.secret_encrypted,
                _endpoints.previous_secret_encrypted,
                _endpoints.previous_secret_expires_at,
            )
            .join_from(
                cast(Table, WebhookMessage.__table__),
                cast(Table, WebhookEndpoint.__table__),
                _endpoints.id == _messages.endpoint_id,
            )
            .where(any_of(session, _messages.msg_id, set(msg_ids)))
        )
        found = {
            row.msg_id: Target(
                message_id=row.id,
                url=row.url,
                msg_id=row.msg_id,
                body=row.body,
                secrets=(
                    signing_secrets(
                        context.settings,
                        row.secret_encrypted,
                        row.previous_secret_encrypted,
                        row.previous_secret_expires_at,
                    )
                    if row.enabled
                    else []
                ),
                endpoint_enabled=row.enabled,
                endpoint_failing=row.failing_since is not None,
            )
            for row in rows
        }
    return [found.get(msg_id) for msg_id in msg_ids]


@job_handler(DELIVER_JOB)
async def deliver_message(context: AppContext, job: Job) -> Result:
    target = await delivery_targets(context).submit(str(job.payload["msg_id"]))
    if target is None:
        return Failed("the message no longer exists")
    return await deliver_to(context, job, target)


async def deliver_to(context: AppContext, job: Job, target: Target) -> Result:
    message_id = target.message_id
    if not target.endpoint_enabled:
        return Finish(partial(_give_up_for_disabled_endpoint, message_id))
    result = await send_once(
        webhook_client(context),
        target.url,
        target.msg_id,
        target.body,
        target.secrets,
        int(time.time()),
        timeout=context.settings.webhook_timeout_seconds,
    )
    DELIVERIES.labels(channel="webhook", outcome=result.outcome.value).inc()
    if result.outcome is SendOutcome.SUCCESS and not target.endpoint_failing:
        return Finish(partial(_record_success, message_id, result))
    return Finish(partial(_record, job, message_id, result))


async def _give_up_for_disabled_endpoint(message_id: int, session: AsyncSession) -> Outcome:
    await session.execute(
        update(WebhookMessage).where(WebhookMessage.id == message_id).values(status="failed")
    )
    return Failed("the endpoint is disabled")


def _attempt(message_id: int, result: AttemptResult, now: dt.datetime) -> WebhookAttempt:
    return WebhookAttempt(
        message_id=message_id,
        attempted_at=now,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
        response_excerpt=result.response_excerpt or None,
    )


_ADD_ATTEMPT = insert(cast(Table, WebhookAttempt.__table__))
_DELIVERED = (
    update(cast(Table, WebhookMessage.__table__))
    .where(_messages.id == bindparam("message_id"))
    .values(status="delivered", delivered_at=bindparam("at"), attempts=_messages.attempts + 1)
)


async def _record_success(message_id: int, result: AttemptResult, session: AsyncSession) -> Done:
    """The common case: nothing read back, and written with the other deliveries of the
    round (one insert of attempts, one update of messages), as Core statements: the
    attempt's id is never read, so the ORM's flush has nothing to add."""
    now = utcnow()
    attempt = {
        "message_id": message_id,
        "attempted_at": now,
        "status_code": result.status_code,
        "latency_ms": result.latency_ms,
        "error": result.error,
        "response_excerpt": result.response_excerpt or None,
    }
    defer(session, _ADD_ATTEMPT, attempt)
    defer(session, _DELIVERED, {"message_id": message_id, "at": now})
    return Done()


async def _record(
    job: Job, message_id: int, result: AttemptResult, session: AsyncSession
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
