"""Package notifications end to end: the change writes its messages → the worker signs and
delivers them to a real receiver."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus, Package, Recipient, WebhookAttempt, WebhookMessage
from signflow.outbox.enqueue import enqueue
from signflow.outbox.worker import Worker
from signflow.workflow.events import DocumentEvent, PackageEvent, write_package_event
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf
from tests.webhooks.receiver import Receiver, Reply


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allowed_networks": "127.0.0.0/8", "webhook_timeout_seconds": 2.0}


@pytest.fixture
async def admin(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    return await bearer(client, tenant, tenant.admin_email)


async def register(
    client: httpx.AsyncClient, admin: dict[str, str], url: str, **extra: object
) -> dict[str, object]:
    response = await client.post("/v3/webhooks", json={"url": url, **extra}, headers=admin)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def package_with_document(
    client: httpx.AsyncClient, admin: dict[str, str], pdf: bytes
) -> tuple[int, int]:
    package_id = await create_package(client, admin, "Lease 2026")
    document_id = await upload_document(client, admin, package_id, pdf, "lease.pdf")
    return package_id, document_id


async def emit(
    context: AppContext,
    package_id: int,
    status: str,
    *,
    recipient_id: int | None = None,
    message: str | None = None,
    document_statuses: dict[int, str] | None = None,
) -> None:
    """A change's notification, written as the workflow writes it, in its transaction."""
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        await write_package_event(
            session,
            package,
            PackageEvent(status),
            recipient=await session.get_one(Recipient, recipient_id) if recipient_id else None,
            message=message,
            document_statuses=(
                {key: DocumentEvent(value) for key, value in document_statuses.items()}
                if document_statuses is not None
                else None
            ),
        )


async def queue_event(context: AppContext, package_id: int, status: str) -> None:
    """A package event as earlier versions queued it, for the worker to fan out."""
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        enqueue(
            session,
            "package.event",
            {"package_id": package_id, "status": status},
            ordering_key=f"package-events:{package_id}",
            enterprise_id=package.enterprise_id,
        )


async def test_a_package_event_arrives_signed_with_the_spec_body(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    pdf = make_pdf(texts=["lease"])
    package_id, document_id = await package_with_document(client, admin, pdf)
    endpoint = await register(client, admin, receiver.url(), description="ERP")
    assert str(endpoint["secret"]).startswith("whsec_")
    await emit(context, package_id, "CREATE")
    await Worker(context).run_until_idle()

    [request] = receiver.requests
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert body == {
        "package": str(package_id),
        "name": "Lease 2026",
        "status": "CREATE",
        "documents": [
            {
                "code": str(document_id),
                "name": "lease.pdf",
                "status": "CREATE",
                "url": body["documents"][0]["url"],
            }
        ],
    }
    verified = Webhook(str(endpoint["secret"])).verify(request.body, request.headers)
    assert verified == body
    # The document link downloads without a token.
    link = body["documents"][0]["url"].removeprefix("http://testserver")
    download = await client.get(link)
    assert download.status_code == 200
    assert download.content == pdf
    forged = await client.get(link[:-3] + "abc")
    assert forged.status_code == 404


async def test_signer_message_and_tags_appear_only_where_the_spec_says(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    await client.put(
        f"/v3/packages/{package_id}",
        json={"package_name": "Lease 2026", "tags": ["hr"]},
        headers=admin,
    )
    async with transaction(context.sessions) as session:
        recipient = Recipient(
            public_id="r_81",
            package_id=package_id,
            position=1,
            signing_order=1,
            email="ana@example.com",
            name="Ana Ruiz",
        )
        session.add(recipient)
        await session.flush()
        recipient_id = recipient.id
    await register(client, admin, receiver.url())
    await emit(context, package_id, "NOTIFICATION", recipient_id=recipient_id)
    await emit(context, package_id, "REJECTED", recipient_id=recipient_id, message="Wrong rent")
    await Worker(context).run_until_idle()
    notification, rejected = (json.loads(r.body) for r in receiver.requests)
    signer = {"id": "r_81", "name": "Ana Ruiz", "email": "ana@example.com", "phone": None}
    assert notification == {
        "package": str(package_id),
        "name": "Lease 2026",
        "status": "NOTIFICATION",
        "signer": signer,
        "tags": ["hr"],
    }
    assert rejected == {
        "package": str(package_id),
        "name": "Lease 2026",
        "status": "REJECTED",
        "signer": signer,
        "message": "Wrong rent",
        "tags": ["hr"],
    }


async def test_failures_retry_on_schedule_and_keep_their_webhook_id(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    endpoint = await register(client, admin, receiver.url())
    receiver.replies["/hook"] = Reply(status=500)
    await emit(context, package_id, "CREATE")
    before = utcnow()
    await Worker(context).run_until_idle()
    async with transaction(context.sessions) as session:
        job = await session.scalar(select(Job).where(Job.kind == "webhook.deliver"))
        assert job is not None
    assert job.status == JobStatus.PENDING
    assert dt.timedelta(seconds=3.9) <= job.due_at - before <= dt.timedelta(seconds=7)

    receiver.replies["/hook"] = Reply(status=200)
    async with transaction(context.sessions) as session:
        await session.execute(update(Job).where(Job.id == job.id).values(due_at=utcnow()))
    await Worker(context).run_until_idle()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]

    deliveries = await client.get(f"/v3/webhooks/{endpoint['id']}/deliveries", headers=admin)
    [delivery] = deliveries.json()
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempts"])


async def test_retry_after_is_honoured(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    await register(client, admin, receiver.url())
    receiver.replies["/hook"] = Reply(status=429, headers={"Retry-After": "120"})
    await emit(context, package_id, "CREATE")
    before = utcnow()
    await Worker(context).run_until_idle()
    async with transaction(context.sessions) as session:
        job = await session.scalar(select(Job).where(Job.kind == "webhook.deliver"))
    assert job is not None
    assert job.due_at - before >= dt.timedelta(seconds=119)


async def test_410_disables_the_endpoint(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    endpoint = await register(client, admin, receiver.url())
    receiver.replies["/hook"] = Reply(status=410)
    await emit(context, package_id, "CREATE")
    await Worker(context).run_until_idle()
    got = (await client.get(f"/v3/webhooks/{endpoint['id']}", headers=admin)).json()
    assert got["enabled"] is False
    assert "410" in got["disabled_reason"]
    await emit(context, package_id, "EXPIRED")
    await Worker(context).run_until_idle()
    assert len(receiver.requests) == 1


async def test_a_redirect_is_a_failure_not_followed(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    await register(client, admin, receiver.url())
    receiver.replies["/hook"] = Reply(status=302, headers={"Location": receiver.url("/other")})
    await emit(context, package_id, "CREATE")
    await Worker(context).run_until_idle()
    assert [r.path for r in receiver.requests] == ["/hook"]
    async with transaction(context.sessions) as session:
        message = await session.scalar(select(WebhookMessage))
    assert message is not None and message.status == "pending"


async def test_deliveries_finishing_together_each_record_their_attempt(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    receiver.replies["/b"] = Reply(body=b"thanks")
    await register(client, admin, receiver.url("/a"))
    await register(client, admin, receiver.url("/b"))
    await emit(context, package_id, "CREATE")
    started = utcnow()
    assert await Worker(context).run_once() == 2  # one claim, one round of outcomes
    async with transaction(context.sessions) as session:
        rows = (
            await session.execute(
                select(WebhookMessage, WebhookAttempt)
                .join(WebhookAttempt, WebhookAttempt.message_id == WebhookMessage.id)
                .order_by(WebhookMessage.id)
            )
        ).all()
    assert len(rows) == 2
    for message, attempt in rows:
        assert (message.status, message.attempts) == ("delivered", 1)
        assert message.delivered_at == attempt.attempted_at
        assert attempt.attempted_at >= started
        assert (attempt.status_code, attempt.error) == (200, None)
        assert attempt.latency_ms >= 0
    assert sorted(attempt.response_excerpt for _, attempt in rows) == ["ok", "thanks"]


async def test_event_filters_and_one_message_per_endpoint(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    await register(client, admin, receiver.url("/all"))
    await register(client, admin, receiver.url("/done"), events=["SIGNED_PACKAGE"])
    await emit(context, package_id, "CREATE")
    await emit(context, package_id, "SIGNED_PACKAGE")
    await Worker(context).run_until_idle()
    paths = sorted((r.path, json.loads(r.body)["status"]) for r in receiver.requests)
    assert paths == [("/all", "CREATE"), ("/all", "SIGNED_PACKAGE"), ("/done", "SIGNED_PACKAGE")]
    finish = next(r for r in receiver.requests if r.path == "/done")
    assert [d["status"] for d in json.loads(finish.body)["documents"]] == ["FINISH"]


async def test_a_queued_event_of_an_earlier_version_notifies_once(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, document_id = await package_with_document(client, admin, make_pdf())
    await register(client, admin, receiver.url())
    await queue_event(context, package_id, "SIGNED_PACKAGE")
    worker = Worker(context)
    [event] = await worker.claim()
    # Running the handler again before its outcome is recorded writes nothing more.
    await worker.run_job(event)
    await worker.run_job(event)
    result = await worker.run_job(event)
    await worker.record(event, result)
    # As if the answer to the recording commit was lost: recording again does nothing.
    await worker.record(event, result)
    # Its one delivery, and the evidence report those versions asked for here.
    assert await worker.run_until_idle() == 2
    [request] = receiver.requests
    body = json.loads(request.body)
    assert (body["status"], body["documents"][0]["code"]) == ("SIGNED_PACKAGE", str(document_id))
    async with transaction(context.sessions) as session:
        messages = list(await session.scalars(select(WebhookMessage)))
        kinds = sorted(job.kind for job in await session.scalars(select(Job)))
    assert [message.source_job_id for message in messages] == [event.id]
    assert kinds == ["evidence.generate", "package.event", "webhook.deliver"]


async def test_secret_rotation_signs_with_both_secrets(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    endpoint = await register(client, admin, receiver.url())
    rotated = await client.post(f"/v3/webhooks/{endpoint['id']}/secret", headers=admin)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    await emit(context, package_id, "CREATE")
    await Worker(context).run_until_idle()
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (str(endpoint["secret"]), new_secret):
        Webhook(secret).verify(request.body, request.headers)


async def test_redeliver_and_test_event(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    endpoint = await register(client, admin, receiver.url())
    test = await client.post(f"/v4/webhooks/{endpoint['id']}/test", headers=admin)
    assert test.status_code == 200
    await Worker(context).run_until_idle()
    again = await client.post(
        f"/v4/webhooks/{endpoint['id']}/deliveries/{test.json()['delivery_id']}/redeliver",
        headers=admin,
    )
    assert again.status_code == 200
    await Worker(context).run_until_idle()
    first, second = receiver.requests
    assert json.loads(first.body)["status"] == "TEST"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == test.json()["webhook_id"]


async def test_a_slow_endpoint_does_not_delay_a_healthy_one(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    receiver.replies["/slow"] = Reply(delay=5.0)
    await register(client, admin, receiver.url("/slow"))
    await register(client, admin, receiver.url("/fast"))
    stop = asyncio.Event()
    worker = asyncio.create_task(Worker(context).run_forever(stop))
    try:
        await emit(context, package_id, "CREATE")
        # The slow receiver holds its delivery for the whole 2 s timeout; the fast one
        # must be delivered while that is still pending.
        for _ in range(60):
            if await delivered_paths(context) == ["/fast"]:
                break
            await asyncio.sleep(0.025)
        assert await delivered_paths(context) == ["/fast"]
    finally:
        stop.set()
        await worker


async def delivered_paths(context: AppContext) -> list[str]:
    from signflow.models import WebhookEndpoint

    async with transaction(context.sessions) as session:
        rows = await session.execute(
            select(WebhookEndpoint.url)
            .join(WebhookMessage, WebhookMessage.endpoint_id == WebhookEndpoint.id)
            .where(WebhookMessage.status == "delivered")
        )
        return [url.rsplit("/", 1)[-1].join(["/", ""]) for (url,) in rows]


async def test_endpoint_registration_rules(
    client: httpx.AsyncClient, admin: dict[str, str], tenant: Tenant, other_tenant: Tenant
):
    refused = await client.post("/v3/webhooks", json={"url": "http://10.0.0.5/hook"}, headers=admin)
    assert refused.status_code == 400
    assert "Message" in refused.json()
    bad_event = await client.post(
        "/v3/webhooks", json={"url": "https://example.com/h", "events": ["NOPE"]}, headers=admin
    )
    assert bad_event.status_code == 400
    created = await register(client, admin, "https://example.com/hook")
    user = await bearer(client, tenant, tenant.user_email)
    assert (await client.get("/v3/webhooks", headers=user)).status_code == 403
    other_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    for method in ("GET", "DELETE"):
        response = await client.request(
            method, f"/v3/webhooks/{created['id']}", headers=other_admin
        )
        assert response.status_code == 404
    assert (await client.get("/v3/webhooks", headers=other_admin)).json() == []
    listed = await client.get("/v3/webhooks", headers=admin)
    assert listed.headers["x-total-records"] == "1"
    assert "secret" not in listed.json()[0]
    updated = await client.put(
        f"/v3/webhooks/{created['id']}",
        json={"enabled": False, "events": ["CREATE"]},
        headers=admin,
    )
    assert updated.json()["enabled"] is False
    assert updated.json()["events"] == ["CREATE"]
    deleted = await client.delete(f"/v3/webhooks/{created['id']}", headers=admin)
    assert deleted.status_code == 200


async def test_reject_and_expired_bodies(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, document_id = await package_with_document(client, admin, make_pdf())
    second = await upload_document(client, admin, package_id, make_pdf(), "annex.pdf")
    await register(client, admin, receiver.url())
    await emit(
        context,
        package_id,
        "DOCUMENT_REJECT",
        document_statuses={document_id: "REJECT"},
    )
    await emit(context, package_id, "EXPIRED")
    await Worker(context).run_until_idle()
    rejected, expired = (json.loads(r.body) for r in receiver.requests)
    assert [(d["code"], d["status"]) for d in rejected["documents"]] == [
        (str(document_id), "REJECT"),
        (str(second), "CREATE"),
    ]
    assert set(rejected) == {"package", "name", "status", "documents"}
    assert [d["status"] for d in expired["documents"]] == ["EXPIRED", "EXPIRED"]
    assert set(expired) == {"package", "name", "status", "documents"}


async def test_an_endpoint_failing_for_five_days_is_disabled_and_admins_emailed(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    from signflow.models import WebhookEndpoint

    package_id, _ = await package_with_document(client, admin, make_pdf())
    endpoint = await register(client, admin, receiver.url())
    receiver.replies["/hook"] = Reply(status=503)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(WebhookEndpoint).values(failing_since=utcnow() - dt.timedelta(days=5, minutes=1))
        )
    await emit(context, package_id, "CREATE")
    await Worker(context).run_until_idle()
    got = (await client.get(f"/v3/webhooks/{endpoint['id']}", headers=admin)).json()
    assert got["enabled"] is False
    assert "5 days" in got["disabled_reason"]
    mail = sorted((context.settings.data_dir / "mail").glob("*.eml"))
    assert len(mail) == 1
    assert "admin@acme.test" in mail[0].read_text()


async def test_a_notification_is_written_with_its_change_and_one_claim_sends_it(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    await register(client, admin, receiver.url())
    await emit(context, package_id, "CREATE")
    async with transaction(context.sessions) as session:
        [message] = await session.scalars(select(WebhookMessage))
        [delivery] = await session.scalars(select(Job))
    assert (message.status, message.event) == ("pending", "CREATE")
    assert (delivery.kind, delivery.payload) == ("webhook.deliver", {"msg_id": message.msg_id})
    assert await Worker(context).run_once() == 1
    [request] = receiver.requests
    assert request.headers["webhook-id"] == message.msg_id


async def test_a_rolled_back_change_writes_no_notification(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    await register(client, admin, receiver.url())
    with pytest.raises(RuntimeError, match="the change failed"):
        async with transaction(context.sessions) as session:
            package = await session.get_one(Package, package_id)
            await write_package_event(session, package, PackageEvent.CREATE)
            raise RuntimeError("the change failed")
    async with transaction(context.sessions) as session:
        assert list(await session.scalars(select(WebhookMessage))) == []
        assert list(await session.scalars(select(Job))) == []
    assert await Worker(context).run_until_idle() == 0
    assert receiver.requests == []


async def test_an_endpoint_deleted_while_a_change_notifies_it_waits_for_that_change(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    endpoint = await register(client, admin, receiver.url())
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        # Its message is inserted at commit, after the delete below has started.
        await write_package_event(session, package, PackageEvent.CREATE)
        deleting = asyncio.create_task(
            client.delete(f"/v3/webhooks/{endpoint['id']}", headers=admin)
        )
        await asyncio.sleep(0.3)
        # Without the change's lock on the endpoint, the delete would commit first and
        # the change would fail on its message's foreign key.
        assert not deleting.done()
    deleted = await deleting
    assert deleted.status_code == 200, deleted.text
    async with transaction(context.sessions) as session:
        assert list(await session.scalars(select(WebhookMessage))) == []


async def test_a_notification_waits_behind_an_earlier_one_of_its_endpoint_and_package(
    client: httpx.AsyncClient, admin: dict[str, str], context: AppContext, receiver: Receiver
):
    package_id, _ = await package_with_document(client, admin, make_pdf())
    await register(client, admin, receiver.url())
    receiver.replies["/hook"] = Reply(500)
    await emit(context, package_id, "CREATE")
    worker = Worker(context)
    assert await worker.run_once() == 1  # the delivery, which failed
    receiver.replies["/hook"] = Reply(200)
    await emit(context, package_id, "DOCUMENT_REJECT")
    # The first delivery waits for its retry, and the second waits behind it.
    assert await worker.run_once() == 0
    assert len(receiver.requests) == 1
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Job).where(Job.status == JobStatus.PENDING.value).values(due_at=utcnow())
        )
    assert await Worker(context).run_until_idle() == 2
    statuses = [json.loads(request.body)["status"] for request in receiver.requests]
    assert statuses == ["CREATE", "CREATE", "DOCUMENT_REJECT"]
