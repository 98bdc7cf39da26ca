"""The evidence report is sealed at the server's PAdES level, like the documents."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import EnterpriseCa, EvidenceReport
from signflow.outbox.worker import Worker
from signflow.signing.verify import verify_pdf
from tests.audit.test_evidence import signed_and_completed
from tests.factories import Tenant
from tests.signing.tsa import LoopbackTsa, running_tsa


@pytest.fixture(scope="module")
def tsa() -> Iterator[LoopbackTsa]:
    with running_tsa() as served:
        yield served


LEVELS = {"B-T": "PADES_BASELINE_T", "B-LT": "PADES_BASELINE_LT"}


@pytest.fixture(params=sorted(LEVELS))
def level(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_overrides(tsa: LoopbackTsa, level: str, tmp_path: Path) -> dict[str, object]:
    root = tmp_path / "tsa-root.pem"
    root.write_bytes(tsa.root_pem())
    return {"signature_level": level, "tsa_url": tsa.url, "trust_roots": str(root)}


async def test_the_report_is_sealed_at_the_servers_level(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext, level: str, tsa: LoopbackTsa
):
    _, package_id, _ = await signed_and_completed(client, tenant)
    await Worker(context).run_until_idle()
    async with transaction(context.sessions) as session:
        stored = await session.get_one(EvidenceReport, package_id)
        ca = await session.get_one(EnterpriseCa, tenant.enterprise_id)
    report = await context.blobs.get(stored.sha256)
    [seal] = await asyncio.to_thread(verify_pdf, report, [ca.cert_der, tsa.root])
    assert seal.signature_type == LEVELS[level]
    assert seal.ltv is (level == "B-LT")
    assert seal.timestamp_at is not None
    assert seal.timestamp_authority is not None and "Loopback TSA" in seal.timestamp_authority
