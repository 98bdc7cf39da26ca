"""B-LTA: an archive timestamp when a package completes, renewed by the worker."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Document, DocumentVersion, EnterpriseCa, Job, JobStatus
from signflow.outbox.worker import Worker
from signflow.workflow.archiving import ARCHIVE_JOB
from tests.factories import Tenant
from tests.signing.ades import ades_validate, passed
from tests.signing.tsa import LoopbackTsa, running_tsa
from tests.workflow.helpers import People, act, add_users, history_actions, new_package, share


@pytest.fixture(scope="module")
def tsa() -> Iterator[LoopbackTsa]:
    with running_tsa() as served:
        yield served


@pytest.fixture
def margin_days() -> int:
    return 30


@pytest.fixture
def settings_overrides(tsa: LoopbackTsa, tmp_path: Path, margin_days: int) -> dict[str, object]:
    pem = tmp_path / "tsa-root.pem"
    pem.write_bytes(tsa.root_pem())
    return {
        "signature_level": "B-LTA",
        "tsa_url": tsa.url,
        "trust_roots": str(pem),
        "archive_timestamp_margin_days": margin_days,
    }


async def signed_and_completed(people: People) -> tuple[int, int]:
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    for order, name, y in ((1, "AnaSigns", 72), (2, "BenSigns", 200)):
        box = {"x": 72, "y": y, "width": 150, "height": 50}
        response = await people.client.post(
            fields + "/digital_signature",
            json={"order": order, "page_no": 1, "field_name": name, "dimensions": box},
            headers=people.owner,
        )
        assert response.status_code == 200, response.text
    await share(people, package_id)
    sign = f"/v3/packages/{package_id}/documents/{document_id}/sign"
    for who, field in (("ana", "AnaSigns"), ("ben", "BenSigns")):
        response = await people.client.post(sign, json={"field_name": field}, headers=people[who])
        assert response.status_code == 200, response.text
        assert (await act(people, who, package_id, "finish")).status_code == 200
    return package_id, document_id


async def version_kinds(context: AppContext, document_id: int) -> list[str]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(DocumentVersion.kind)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.number)
        )
        return list(rows)


async def current_pdf(context: AppContext, document_id: int) -> bytes:
    async with transaction(context.sessions) as session:
        document = await session.get_one(Document, document_id)
        return await context.blobs.get(document.current_sha256)


async def enterprise_root(context: AppContext, tenant: Tenant) -> x509.Certificate:
    async with transaction(context.sessions) as session:
        record = await session.get_one(EnterpriseCa, tenant.enterprise_id)
        return x509.load_der_x509_certificate(record.cert_der)


async def pending_archive_jobs(context: AppContext) -> list[Job]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(Job).where(Job.kind == ARCHIVE_JOB, Job.status == JobStatus.PENDING.value)
        )
        return list(rows)


async def verification_types(
    client: httpx.AsyncClient, people: People, package_id: int
) -> list[tuple[str, str, bool]]:
    response = await client.get(f"/v3/packages/{package_id}/verification", headers=people.owner)
    assert response.status_code == 200, response.text
    [document] = response.json()
    return [(f["signature_type"], f["signature_status"], f["ltv"]) for f in document["fields"]]


async def validates_after_the_signers_expired(
    pdf: bytes, root: x509.Certificate, tsa: LoopbackTsa
) -> bool:
    """pyHanko's long-term validation two years and a day on, when the signer certificates
    (two years) have expired, with nothing from Signflow but the document and its root.
    The newest archive timestamp is checked as of then with the CRL the TSA's PKI would
    publish then (a relying party fetches it from the TSA, not from Signflow); everything
    older comes from the document alone. Without an archive timestamp this fails."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2 * 365 + 1)
    results = await asyncio.to_thread(
        ades_validate, pdf, [root, tsa.root], later, [tsa.crl_at(later)]
    )
    assert results, "the document has no signature"
    return all(passed(r) for r in results)


async def test_a_completed_package_gets_an_archive_timestamp_that_outlives_the_signers(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, tsa: LoopbackTsa
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, document_id = await signed_and_completed(people)
    lt = [("PADES_BASELINE_LT", "VALID", True)] * 2
    assert await verification_types(client, people, package_id) == lt
    root = await enterprise_root(context, tenant)
    assert not await validates_after_the_signers_expired(
        await current_pdf(context, document_id), root, tsa
    )

    await Worker(context).run_until_idle()

    assert await version_kinds(context, document_id) == [
        "ORIGINAL",
        "SIGNED",
        "SIGNED",
        "TIMESTAMPED",
    ]
    assert (await history_actions(context, package_id)).count("DOCUMENT_ARCHIVE_TIMESTAMPED") == 1
    lta = [("PADES_BASELINE_LTA", "VALID", True)] * 2
    assert await verification_types(client, people, package_id) == lta

    # Renewal is scheduled for the margin (30 days) before the TSA certificate expires.
    [job] = await pending_archive_jobs(context)
    renew_by = tsa.cert.not_valid_after_utc - dt.timedelta(days=30)
    assert abs(job.due_at.replace(tzinfo=dt.UTC) - renew_by) < dt.timedelta(minutes=1)

    # Two years and a day on, both signer certificates have expired: pyHanko's long-term
    # validation, without Signflow, still accepts both signatures.
    pdf = await current_pdf(context, document_id)
    assert await validates_after_the_signers_expired(pdf, root, tsa)


# The TSA certificate lasts ten years: with this margin it is always due for renewal.
@pytest.mark.parametrize("margin_days", [3650])
async def test_the_worker_renews_the_archive_timestamp_inside_the_margin(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, tsa: LoopbackTsa
):
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, document_id = await signed_and_completed(people)
    await Worker(context).run_until_idle()
    # Already inside the margin: the next run waits a day rather than asking at once.
    [job] = await pending_archive_jobs(context)
    wait = job.due_at.replace(tzinfo=dt.UTC) - utcnow().replace(tzinfo=dt.UTC)
    assert dt.timedelta(hours=23) < wait <= dt.timedelta(days=1)
    assert (await version_kinds(context, document_id))[-1] == "TIMESTAMPED"

    async with transaction(context.sessions) as session:
        await session.execute(update(Job).where(Job.id == job.id).values(due_at=utcnow()))
    await Worker(context).run_until_idle()

    assert (await version_kinds(context, document_id))[-2:] == ["TIMESTAMPED", "TIMESTAMPED"]
    history = await history_actions(context, package_id)
    assert history.count("DOCUMENT_ARCHIVE_TIMESTAMPED") == 2
    assert len(await pending_archive_jobs(context)) == 1
    lta = [("PADES_BASELINE_LTA", "VALID", True)] * 2
    assert await verification_types(client, people, package_id) == lta
    pdf = await current_pdf(context, document_id)
    root = await enterprise_root(context, tenant)
    assert await validates_after_the_signers_expired(pdf, root, tsa)
