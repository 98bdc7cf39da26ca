"""B-LT through the workflow's signing core and the verification API, with and without
the timestamp authority's root in SIGNFLOW_TRUST_ROOTS."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Document, EnterpriseCa
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf
from tests.signing.ades import ades_with_time, passed
from tests.signing.test_service import add_signer_and_fields, sign
from tests.signing.tsa import LoopbackTsa, running_tsa


@pytest.fixture(scope="module")
def tsa() -> Iterator[LoopbackTsa]:
    with running_tsa() as served:
        yield served


@pytest.fixture
def trust_tsa() -> bool:
    return True


@pytest.fixture
def settings_overrides(tsa: LoopbackTsa, tmp_path: Path, trust_tsa: bool) -> dict[str, object]:
    overrides: dict[str, object] = {"signature_level": "B-LT", "tsa_url": tsa.url}
    if trust_tsa:
        pem = tmp_path / "tsa-root.pem"
        pem.write_bytes(tsa.root_pem())
        overrides["trust_roots"] = str(pem)
    return overrides


async def signed_twice(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> tuple[dict[str, str], int, int]:
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, make_pdf(texts=["Lease"]))
    await add_signer_and_fields(
        context,
        package_id,
        document_id,
        [
            ("ana@example.com", "Ana Ruiz", "digital_signature"),
            ("bo@example.com", "Bo Lee", "electronic_signature"),
        ],
    )
    await sign(context, package_id, 1)
    await sign(context, package_id, 2)
    return owner, package_id, document_id


async def fields(client: httpx.AsyncClient, owner: dict[str, str], package_id: int) -> list[dict]:
    response = await client.get(f"/v3/packages/{package_id}/verification", headers=owner)
    assert response.status_code == 200, response.text
    [document] = response.json()
    found: list[dict] = document["fields"]
    return found


async def test_b_lt_signatures_are_reported_and_validate_offline(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, tsa: LoopbackTsa
):
    owner, package_id, document_id = await signed_twice(client, context, tenant)
    reported = await fields(client, owner, package_id)
    assert [(f["signature_type"], f["signature_status"], f["ltv"]) for f in reported] == [
        ("PADES_BASELINE_LT", "VALID", True)
    ] * 2
    assert all("Loopback TSA" in f["timestamp_authority"] for f in reported)

    async with transaction(context.sessions) as session:
        document = await session.get_one(Document, document_id)
        pdf = await context.blobs.get(document.current_sha256)
        root = x509.load_der_x509_certificate(
            (await session.get_one(EnterpriseCa, tenant.enterprise_id)).cert_der
        )
    results = await asyncio.to_thread(ades_with_time, pdf, [root, tsa.root])
    assert [passed(r) for r in results] == [True, True], [r.failure_msg for r in results]


@pytest.mark.parametrize("trust_tsa", [False])
async def test_an_untrusted_timestamp_authority_is_reported_not_long_term(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner, package_id, _ = await signed_twice(client, context, tenant)
    reported = await fields(client, owner, package_id)
    assert [(f["signature_type"], f["signature_status"], f["ltv"]) for f in reported] == [
        ("PADES_BASELINE_T", "UNTRUSTED", False)
    ] * 2
