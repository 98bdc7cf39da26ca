"""The sendInfo callback of a signature request, through the webhook delivery machinery.

The body is OKdokument's `{"state", "id", "signatureRequestId"}`. Headers are the
Standard Webhooks ones (`webhook-id` stable across retries, timestamp, signature)
under a per-enterprise secret derived from SECRET_KEY (admins read it at
`GET /v3/enterprise/sendinfo/secret`); receivers may ignore them. Retries follow
the webhook schedule; when the last one fails the request's state becomes
`errorsendinfo`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import time

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import (
    Job,
    RequestState,
    SendInfoAttempt,
    SendInfoDelivery,
    SignatureRequest,
)
from signflow.observability.metrics import DELIVERIES
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, Outcome, RetryAt, job_handler
from signflow.sealing import derive_key
from signflow.webhooks.delivery import webhook_client
from signflow.webhooks.endpoints import new_message_id
from signflow.webhooks.retry import next_attempt_delay
from signflow.webhooks.sender import AttemptResult, send_once
from signflow.webhooks.sender import Outcome as SendOutcome
from signflow.webhooks.signing import SECRET_PREFIX

SENDINFO_JOB = "signature_request.send_info"
SECRET_PURPOSE = "signflow/sendinfo-secret/v1"  # noqa: S105  (a key-derivation label)
_rng = random.SystemRandom()


def sendinfo_secret(settings: Settings, enterprise_id: int) -> str:
    """The enterprise's sendInfo signing secret, `whsec_<base64>`, derived (not stored)."""
    key = derive_key(settings.effective_secret_key, SECRET_PURPOSE)
    digest = hmac.new(key, str(enterprise_id).encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(digest).decode()


def sendinfo_body(request: SignatureRequest, state: RequestState) -> bytes:
    body = {"state": state.value, "id": request.document_id, "signatureRequestId": request.id}
    return json.dumps(body, separators=(",", ":")).encode()


def queue_sendinfo(
    session: AsyncSession, request: SignatureRequest, state: RequestState
) -> SendInfoDelivery | None:
    """Write the callback in the caller's transaction; nothing when no URL is set."""
    if not request.send_info_url:
        return None
    delivery = SendInfoDelivery(
        msg_id=new_message_id(),
        signature_request_id=request.id,
        url=request.send_info_url,
        body=sendinfo_body(request, state),
        status="pending",
        attempts=0,
        created_at=utcnow(),
    )
    session.add(delivery)
    return delivery


def enqueue_delivery(session: AsyncSession, request: SignatureRequest, delivery_id: int) -> None:
    enqueue(
        session,
        SENDINFO_JOB,
        {"delivery_id": delivery_id},
        ordering_key=f"sendinfo:{request.id}",
        enterprise_id=request.enterprise_id,
    )


@job_handler(SENDINFO_JOB)
async def deliver_sendinfo(context: AppContext, job: Job) -> Outcome:
    delivery_id = int(str(job.payload["delivery_id"]))
    async with transaction(context.sessions) as session:
        delivery = await session.get(SendInfoDelivery, delivery_id)
        if delivery is None:
            return Failed("the callback no longer exists")
        request = await session.get_one(SignatureRequest, delivery.signature_request_id)
        secret = sendinfo_secret(context.settings, request.enterprise_id)
        url, msg_id, body = delivery.url, delivery.msg_id, delivery.body
    result = await send_once(
        webhook_client(context),
        url,
        msg_id,
        body,
        [secret],
        int(time.time()),
        timeout=context.settings.webhook_timeout_seconds,
    )
    DELIVERIES.labels(channel="sendinfo", outcome=result.outcome.value).inc()
    async with transaction(context.sessions) as session:
        return await _record(session, job, delivery_id, result)


async def _record(
    session: AsyncSession, job: Job, delivery_id: int, result: AttemptResult
) -> Outcome:
    delivery = await session.get_one(SendInfoDelivery, delivery_id)
    now = utcnow()
    session.add(
        SendInfoAttempt(
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error,
        )
    )
    delivery.attempts += 1
    if result.outcome is SendOutcome.SUCCESS:
        delivery.status, delivery.delivered_at = "delivered", now
        return Done()
    delay = None
    if result.outcome is SendOutcome.RETRY:
        delay = next_attempt_delay(job.attempts, _rng, result.retry_after)
    if delay is None:
        delivery.status = "failed"
        request = await session.get_one(SignatureRequest, delivery.signature_request_id)
        request.state, request.modified_at = RequestState.ERRORSENDINFO.value, now
        return Failed(result.error or "the sendInfo callback failed")
    return RetryAt(now + dt.timedelta(seconds=delay), result.error or "delivery failed")
