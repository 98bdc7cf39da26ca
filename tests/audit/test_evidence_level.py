"""The evidence report is sealed at the server's PAdES level, like the documents."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import EnterpriseCa, EvidenceReport
from signflow.outbox.worker import Worker
from signflow.signing.verify import verify_pdf
from tests.audit.test_evidence import signed_and_completed
from tests.factories import Tenant
from tests.signing.pki import make_pki
from tests.signing.tsa import running_tsa


@pytest.fixture(scope="module")
def tsa() -> Iterator[tuple[str, x509.Certificate]]:
    with running_tsa(make_pki().ca) as served:
        yield served


@pytest.fixture
def settings_overrides(tsa: tuple[str, x509.Certificate]) -> dict[str, object]:
    return {"signature_level": "B-T", "tsa_url": tsa[0]}


async def test_the_report_carries_the_timestamp_of_a_b_t_server(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    _, package_id, _ = await signed_and_completed(client, tenant)
    await Worker(context).run_until_idle()
    async with transaction(context.sessions) as session:
        stored = await session.get_one(EvidenceReport, package_id)
        ca = await session.get_one(EnterpriseCa, tenant.enterprise_id)
    report = await context.blobs.get(stored.sha256)
    [seal] = await asyncio.to_thread(verify_pdf, report, [ca.cert_der])
    assert seal.signature_type == "PADES_BASELINE_T"
    assert seal.timestamp_at is not None
    assert seal.timestamp_authority is not None and "Loopback TSA" in seal.timestamp_authority
