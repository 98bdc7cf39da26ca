"""GET /metrics: requests by route template, signatures and verifications, deliveries,
the outbox read from the database, the pool; and its optional bearer token."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Job, JobStatus
from tests.factories import Tenant
from tests.workflow.helpers import People, add_users, new_package, share


async def scrape(
    client: httpx.AsyncClient, **headers: str
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = await client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_template_and_status(client: httpx.AsyncClient):
    before = await scrape(client)
    for package_id in (101, 102, 103):  # three URLs, one template
        assert (await client.get(f"/v3/packages/{package_id}/workflow")).status_code == 401
    assert (await client.get("/no/such/place/1")).status_code == 404
    assert (await client.get("/no/such/place/2")).status_code == 404
    after = await scrape(client)

    route = {"method": "GET", "route": "/v3/packages/{package_id}/workflow"}
    total = "signflow_http_requests_total"
    assert (
        value(after, total, **route, status="401") - value(before, total, **route, status="401")
        == 3
    )
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(after, total, **unmatched) - value(before, total, **unmatched) == 2
    count = "signflow_http_request_duration_seconds_count"
    assert value(after, count, **route) - value(before, count, **route) == 3
    # No series per concrete URL.
    assert not any("/v3/packages/101" in str(labels) for _, labels in after)


async def test_signatures_verifications_and_the_outbox(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature"
    box = {"x": 72, "y": 72, "width": 150, "height": 50}
    added = await client.post(
        fields,
        json={"order": 1, "page_no": 1, "field_name": "Ana", "dimensions": box},
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    await share(people, package_id)
    before = await scrape(client)
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "Ana"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    verified = await client.get(f"/v3/packages/{package_id}/verification", headers=people.owner)
    assert verified.status_code == 200, verified.text
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("signflow_signatures_total", outcome="ok") == 1
    assert grew("signflow_signature_duration_seconds_count") == 1
    assert grew("signflow_signature_duration_seconds_sum") > 0
    assert grew("signflow_verifications_total", outcome="ok") == 1
    assert grew("signflow_verification_duration_seconds_count") == 1

    # The share and the signature enqueued notifications; no worker runs in this test.
    async with transaction(context.sessions) as session:
        pending = (
            await session.scalars(
                Job.__table__.select().where(Job.status == JobStatus.PENDING.value)  # type: ignore[attr-defined]
            )
        ).all()
    assert value(after, "signflow_database_up") == 1
    assert value(after, "signflow_outbox_jobs", status="pending") == len(pending) > 0
    assert value(after, "signflow_workers_alive") == 0


async def test_the_oldest_due_job_age_is_read_from_the_database(
    client: httpx.AsyncClient, context: AppContext
):
    now = utcnow()
    async with transaction(context.sessions) as session:
        session.add_all(
            [
                Job(kind="test.metric", due_at=now - dt.timedelta(minutes=10)),
                Job(kind="test.metric", due_at=now - dt.timedelta(minutes=1)),
                Job(kind="test.metric", due_at=now + dt.timedelta(hours=1)),  # not due
                Job(kind="test.metric", status=JobStatus.RUNNING.value, due_at=now),
                Job(kind="test.metric", status=JobStatus.DONE.value, due_at=now),
            ]
        )
    samples = await scrape(client)
    assert value(samples, "signflow_outbox_jobs", status="pending") == 3
    assert value(samples, "signflow_outbox_jobs", status="running") == 1
    assert value(samples, "signflow_outbox_due_jobs") == 2
    assert 600 <= value(samples, "signflow_outbox_oldest_due_job_age_seconds") < 900


async def test_the_pool_in_use_is_counted(client: httpx.AsyncClient):
    samples = await scrape(client)
    # The scrape read the database and gave its connection back before the gauges were read.
    assert value(samples, "signflow_db_pool_capacity") > 0
    assert (
        0
        <= value(samples, "signflow_db_pool_connections_in_use")
        <= value(samples, "signflow_db_pool_connections_open")
    )


class TestToken:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"metrics_token": "scrape-me-please-0123456789"}

    async def test_metrics_need_the_bearer_token_when_one_is_set(self, client: httpx.AsyncClient):
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert "SIGNFLOW_METRICS_TOKEN" in wrong.json()["Message"]
        samples = await scrape(client, Authorization="Bearer scrape-me-please-0123456789")
        assert value(samples, "signflow_database_up") == 1
