"""Webhook endpoints of an enterprise: registration, changes, secret rotation, redelivery."""

from __future__ import annotations

import datetime as dt
import json
import secrets as random_secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.users import require_admin
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import BadRequest, NotFound
from signflow.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from signflow.outbox.enqueue import enqueue
from signflow.sealing import seal, unseal
from signflow.webhooks.signing import generate_secret
from signflow.webhooks.ssrf import parse_allowed_networks, validate_webhook_url

SECRET_PURPOSE = "signflow/webhook-secret/v1"  # noqa: S105  (a key-derivation label)
ROTATION_OVERLAP = dt.timedelta(hours=24)
EVENTS = (
    "CREATE",
    "NOTIFICATION",
    "SIGNED_PACKAGE",
    "DOCUMENT_REJECT",
    "REJECTED",
    "BLOCKED",
    "EXPIRED",
    "TEST",
)
DELIVER_JOB = "webhook.deliver"
ENDPOINT_NOT_FOUND = "Webhook endpoint not found"
DELIVERY_NOT_FOUND = "Webhook delivery not found"


@dataclass(frozen=True)
class EndpointChanges:
    url: str | None = None
    description: str | None = None
    events: list[str] | None = None
    clear_events: bool = False
    enabled: bool | None = None


def new_message_id() -> str:
    return "msg_" + random_secrets.token_urlsafe(18)


def check_events(events: list[str] | None) -> list[str] | None:
    if events is None:
        return None
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise BadRequest(f"Unknown events {unknown}; use any of {', '.join(EVENTS)}")
    return sorted(set(events))


def active_secrets(settings: Settings, endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during a rotation."""
    return signing_secrets(
        settings,
        endpoint.secret_encrypted,
        endpoint.previous_secret_encrypted,
        endpoint.previous_secret_expires_at,
    )


def signing_secrets(
    settings: Settings,
    secret_encrypted: bytes,
    previous_encrypted: bytes | None,
    previous_expires_at: dt.datetime | None,
) -> list[str]:
    """`active_secrets` from an endpoint's sealed columns (a delivery reads them as a row)."""
    key = settings.effective_secret_key
    found = [unseal(secret_encrypted, key, SECRET_PURPOSE).decode()]
    if previous_encrypted and previous_expires_at and previous_expires_at > utcnow():
        found.append(unseal(previous_encrypted, key, SECRET_PURPOSE).decode())
    return found


def deliver_ordering_key(endpoint_id: int, package_id: int | None) -> str:
    return f"webhook:{endpoint_id}:{package_id or 'none'}"


def enqueue_delivery(session: AsyncSession, message: WebhookMessage, enterprise_id: int) -> None:
    """A `webhook.deliver` job for `message`, after any earlier one of its endpoint and
    package (their ordering key)."""
    enqueue(
        session,
        DELIVER_JOB,
        {"msg_id": message.msg_id},
        ordering_key=deliver_ordering_key(message.endpoint_id, message.package_id),
        enterprise_id=enterprise_id,
    )


async def create_endpoint(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    url: str,
    description: str | None,
    events: list[str] | None,
) -> tuple[WebhookEndpoint, str]:
    require_admin(principal)
    allowed = parse_allowed_networks(settings.webhook_allowed_networks)
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        enterprise_id=principal.enterprise_id,
        url=validate_webhook_url(url, allowed),
        description=description,
        events=check_events(events),
        secret_encrypted=seal(secret.encode(), settings.effective_secret_key, SECRET_PURPOSE),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_endpoints(session: AsyncSession, principal: Principal) -> list[WebhookEndpoint]:
    require_admin(principal)
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.enterprise_id == principal.enterprise_id)
        .order_by(WebhookEndpoint.id)
    )
    return list(rows)


async def get_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: int
) -> WebhookEndpoint:
    require_admin(principal)
    endpoint = await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.enterprise_id == principal.enterprise_id,
        )
    )
    if endpoint is None:
        raise NotFound(ENDPOINT_NOT_FOUND)
    return endpoint


async def update_endpoint(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    endpoint_id: int,
    changes: EndpointChanges,
) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    # Everything is checked before anything changes: a refused change leaves it as it was.
    url = None
    if changes.url is not None:
        url = validate_webhook_url(
            changes.url, parse_allowed_networks(settings.webhook_allowed_networks)
        )
    events = None if changes.clear_events else check_events(changes.events)
    if url is not None:
        endpoint.url = url
    if changes.description is not None:
        endpoint.description = changes.description
    if changes.clear_events or changes.events is not None:
        endpoint.events = events
    if changes.enabled is not None:
        endpoint.enabled = changes.enabled
        if changes.enabled:
            endpoint.disabled_reason, endpoint.failing_since = None, None
        else:
            endpoint.disabled_reason = "disabled by an administrator"
    await session.flush()
    return endpoint


async def delete_endpoint(session: AsyncSession, principal: Principal, endpoint_id: int) -> None:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    await session.delete(endpoint)


async def rotate_secret(
    session: AsyncSession, settings: Settings, principal: Principal, endpoint_id: int
) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the old one keeps signing too for 24 hours."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    secret = generate_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret_encrypted = seal(secret.encode(), settings.effective_secret_key, SECRET_PURPOSE)
    await session.flush()
    return endpoint, secret


async def list_messages(
    session: AsyncSession, principal: Principal, endpoint_id: int, limit: int, offset: int
) -> tuple[list[tuple[WebhookMessage, list[WebhookAttempt]]], int]:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    total = await session.scalar(
        select(func.count())
        .select_from(WebhookMessage)
        .where(WebhookMessage.endpoint_id == endpoint.id)
    )
    messages = list(
        await session.scalars(
            select(WebhookMessage)
            .where(WebhookMessage.endpoint_id == endpoint.id)
            .order_by(WebhookMessage.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    attempts = list(
        await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.message_id.in_([m.id for m in messages]))
            .order_by(WebhookAttempt.id)
        )
    )
    return [(m, [a for a in attempts if a.message_id == m.id]) for m in messages], total or 0


async def _endpoint_message(
    session: AsyncSession, endpoint: WebhookEndpoint, message_id: int
) -> WebhookMessage:
    message = await session.scalar(
        select(WebhookMessage).where(
            WebhookMessage.id == message_id, WebhookMessage.endpoint_id == endpoint.id
        )
    )
    if message is None:
        raise NotFound(DELIVERY_NOT_FOUND)
    return message


async def get_message(
    session: AsyncSession, principal: Principal, endpoint_id: int, message_id: int
) -> tuple[WebhookMessage, list[WebhookAttempt]]:
    """One delivery of the admin's endpoint, with its attempts in the order they were made
    (each with the start of the answer it received)."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    message = await _endpoint_message(session, endpoint, message_id)
    attempts = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.message_id == message.id)
        .order_by(WebhookAttempt.id)
    )
    return message, list(attempts)


async def redeliver(
    session: AsyncSession, principal: Principal, endpoint_id: int, message_id: int
) -> WebhookMessage:
    """Send a message again, with the same webhook-id, whatever happened to it before."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    message = await _endpoint_message(session, endpoint, message_id)
    message.status = "pending"
    enqueue_delivery(session, message, endpoint.enterprise_id)
    return message


async def send_test_event(
    session: AsyncSession, principal: Principal, endpoint_id: int
) -> WebhookMessage:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    body = {"package": "0", "name": "Signflow test event", "status": "TEST", "documents": []}
    message = WebhookMessage(
        msg_id=new_message_id(),
        endpoint_id=endpoint.id,
        event="TEST",
        body=json.dumps(body, separators=(",", ":")).encode(),
    )
    session.add(message)
    await session.flush()
    enqueue_delivery(session, message, endpoint.enterprise_id)
    return message
