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


LEVELS = {"B-T": "PADES_BASELINE_T", "B-LT": "PADES_BASELINE_LT"}


@pytest.fixture(params=sorted(LEVELS))
def level(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_overrides(tsa: tuple[str, x509.Certificate], level: str) -> dict[str, object]:
    return {"signature_level": level, "tsa_url": tsa[0]}


async def test_the_report_is_sealed_at_the_servers_level(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext, level: str
):
    _, package_id, _ = await signed_and_completed(client, tenant)
    await Worker(context).run_until_idle()
    async with transaction(context.sessions) as session:
        stored = await session.get_one(EvidenceReport, package_id)
        ca = await session.get_one(EnterpriseCa, tenant.enterprise_id)
    report = await context.blobs.get(stored.sha256)
    [seal] = await asyncio.to_thread(verify_pdf, report, [ca.cert_der])
    assert seal.signature_type == LEVELS[level]
    assert seal.ltv is (level == "B-LT")
    assert seal.timestamp_at is not None
    assert seal.timestamp_authority is not None and "Loopback TSA" in seal.timestamp_authority
