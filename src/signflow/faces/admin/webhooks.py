"""Webhook endpoints for enterprise admins, under /v3/webhooks and /v4/webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from signflow.faces.routing import ReadOnly, SessionDep, SettingsDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from signflow.webhooks.endpoints import (
    EndpointChanges,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    get_message,
    list_endpoints,
    list_messages,
    redeliver,
    rotate_secret,
    send_test_event,
    update_endpoint,
)

router = APIRouter(route_class=TransactionalRoute, tags=["webhooks"])


class EndpointCreate(VendorModel):
    url: str = Field(min_length=8, max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    events: list[str] | None = Field(default=None, max_length=20)


class EndpointUpdate(VendorModel):
    url: str | None = Field(default=None, min_length=8, max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    events: list[str] | None = Field(default=None, max_length=20)
    enabled: bool | None = None


class EndpointBody(VendorModel):
    id: int
    url: str
    description: str | None
    events: list[str] | None
    enabled: bool
    disabled_reason: str | None
    created_on: str


class EndpointWithSecret(EndpointBody):
    secret: str


class AttemptBody(VendorModel):
    attempted_on: str
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryBody(VendorModel):
    delivery_id: int
    webhook_id: str
    event: str
    package_id: int | None
    status: str
    created_on: str
    delivered_on: str | None
    attempts: list[AttemptBody]


class AttemptDetail(AttemptBody):
    response: str | None


class DeliveryDetail(DeliveryBody):
    """A delivery with what was sent (the signed body) and, per attempt, the start of the
    answer received."""

    payload: str
    attempts: list[AttemptDetail]  # type: ignore[assignment]


class DeliveryQueued(VendorModel):
    delivery_id: int
    webhook_id: str


def endpoint_body(endpoint: WebhookEndpoint) -> EndpointBody:
    return EndpointBody(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        events=endpoint.events,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        created_on=endpoint.created_at.isoformat(),
    )


def delivery_body(message: WebhookMessage, attempts: list[WebhookAttempt]) -> DeliveryBody:
    return DeliveryBody(
        delivery_id=message.id,
        webhook_id=message.msg_id,
        event=message.event,
        package_id=message.package_id,
        status=message.status,
        created_on=message.created_at.isoformat(),
        delivered_on=message.delivered_at.isoformat() if message.delivered_at else None,
        attempts=[
            AttemptBody(
                attempted_on=attempt.attempted_at.isoformat(),
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                error=attempt.error,
            )
            for attempt in attempts
        ],
    )


@router.post("/webhooks", status_code=201, response_model=EndpointWithSecret)
async def add_endpoint(
    body: EndpointCreate, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> EndpointWithSecret:
    endpoint, secret = await create_endpoint(
        session,
        settings,
        principal,
        url=body.url,
        description=body.description,
        events=body.events,
    )
    return EndpointWithSecret(**endpoint_body(endpoint).model_dump(), secret=secret)


@router.get("/webhooks", dependencies=[ReadOnly], response_model=list[EndpointBody])
async def get_endpoints(
    principal: PrincipalDep, session: SessionDep, response: Response
) -> list[EndpointBody]:
    endpoints = await list_endpoints(session, principal)
    response.headers["x-total-records"] = str(len(endpoints))
    return [endpoint_body(endpoint) for endpoint in endpoints]


@router.get("/webhooks/{endpoint_id}", dependencies=[ReadOnly], response_model=EndpointBody)
async def get_one_endpoint(
    endpoint_id: int, principal: PrincipalDep, session: SessionDep
) -> EndpointBody:
    return endpoint_body(await get_endpoint(session, principal, endpoint_id))


@router.put("/webhooks/{endpoint_id}", response_model=EndpointBody)
async def change_endpoint(
    endpoint_id: int,
    body: EndpointUpdate,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
) -> EndpointBody:
    changes = EndpointChanges(
        url=body.url,
        description=body.description,
        events=body.events,
        clear_events="events" in body.model_fields_set and body.events is None,
        enabled=body.enabled,
    )
    endpoint = await update_endpoint(session, settings, principal, endpoint_id, changes)
    return endpoint_body(endpoint)


@router.delete("/webhooks/{endpoint_id}")
async def remove_endpoint(
    endpoint_id: int, principal: PrincipalDep, session: SessionDep
) -> Response:
    await delete_endpoint(session, principal, endpoint_id)
    return empty_ok()


@router.post("/webhooks/{endpoint_id}/secret", response_model=EndpointWithSecret)
async def rotate_endpoint_secret(
    endpoint_id: int, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> EndpointWithSecret:
    endpoint, secret = await rotate_secret(session, settings, principal, endpoint_id)
    return EndpointWithSecret(**endpoint_body(endpoint).model_dump(), secret=secret)


@router.get(
    "/webhooks/{endpoint_id}/deliveries", dependencies=[ReadOnly], response_model=list[DeliveryBody]
)
async def get_deliveries(
    endpoint_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DeliveryBody]:
    found, total = await list_messages(session, principal, endpoint_id, limit, offset)
    response.headers["x-total-records"] = str(total)
    return [delivery_body(message, attempts) for message, attempts in found]


def delivery_detail(message: WebhookMessage, attempts: list[WebhookAttempt]) -> DeliveryDetail:
    summary = delivery_body(message, [])
    return DeliveryDetail(
        **summary.model_dump(exclude={"attempts"}),
        payload=message.body.decode("utf-8", errors="replace"),
        attempts=[
            AttemptDetail(
                attempted_on=attempt.attempted_at.isoformat(),
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                error=attempt.error,
                response=attempt.response_excerpt,
            )
            for attempt in attempts
        ],
    )


@router.get(
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}",
    dependencies=[ReadOnly],
    response_model=DeliveryDetail,
)
async def get_delivery(
    endpoint_id: int, delivery_id: int, principal: PrincipalDep, session: SessionDep
) -> DeliveryDetail:
    return delivery_detail(*await get_message(session, principal, endpoint_id, delivery_id))


@router.post(
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryQueued
)
async def redeliver_one(
    endpoint_id: int, delivery_id: int, principal: PrincipalDep, session: SessionDep
) -> DeliveryQueued:
    message = await redeliver(session, principal, endpoint_id, delivery_id)
    return DeliveryQueued(delivery_id=message.id, webhook_id=message.msg_id)


@router.post("/webhooks/{endpoint_id}/test", response_model=DeliveryQueued)
async def send_test(
    endpoint_id: int, principal: PrincipalDep, session: SessionDep
) -> DeliveryQueued:
    message = await send_test_event(session, principal, endpoint_id)
    return DeliveryQueued(delivery_id=message.id, webhook_id=message.msg_id)
