"""Verification off the event loop: bounded in time, cached per version, /healthz alive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from signflow.context import AppContext
from signflow.errors import ServiceUnavailable
from signflow.signing.service import verifier
from signflow.signing.signer import SignRequest
from signflow.signing.verifier import Verifier, roots_fingerprint
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.signing.pdfs import sized_pdf, text_pdf
from tests.signing.pki import Pki
from tests.signing.test_service import add_signer_and_fields, sign


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    pdf = text_pdf()
    for n in range(2):
        signer = pki.signer(f"Signer {n}", f"signer{n}@example.com")
        pdf = signer.sign(pdf, SignRequest(field_name=f"S{n}", rect=(50, 50 + 80 * n, 120, 40)))
    return pdf


def loader(pdf: bytes, loads: list[int]) -> Callable[[], Awaitable[bytes]]:
    async def load() -> bytes:
        loads.append(1)
        return pdf

    return load


async def test_a_version_is_verified_once_then_answered_from_the_cache(pki: Pki, signed: bytes):
    checker = Verifier(timeout_seconds=60, concurrency=2)
    loads: list[int] = []
    load = loader(signed, loads)
    first = await checker.verify("v1", [pki.ca.cert], load)
    again = await checker.verify("v1", [pki.ca.cert], load)
    assert [r.signature_status for r in first] == ["VALID", "VALID"]
    assert again == first
    assert (checker.runs, len(loads)) == (1, 1)
    # Other trust is another question: verified again, and answered differently.
    untrusted = await checker.verify("v1", [], load)
    assert [r.signature_status for r in untrusted] == ["UNTRUSTED", "UNTRUSTED"]
    assert checker.runs == 2


async def test_requests_for_a_version_being_verified_share_one_verification(
    pki: Pki, signed: bytes
):
    checker = Verifier(timeout_seconds=60, concurrency=2)
    loads: list[int] = []
    load = loader(signed, loads)
    answers = await asyncio.gather(*(checker.verify("v1", [pki.ca.cert], load) for _ in range(5)))
    assert all(answer == answers[0] for answer in answers)
    assert checker.runs == 1


async def test_a_slow_verification_is_a_503_and_its_result_is_kept(pki: Pki, signed: bytes):
    big = pki.signer("Big", "big@example.com").sign(
        sized_pdf(1_000_000), SignRequest(field_name="S", rect=(50, 50, 120, 40))
    )
    checker = Verifier(timeout_seconds=0.001, concurrency=1)
    load = loader(big, [])
    with pytest.raises(ServiceUnavailable, match=r"did not finish within 0\.001 s"):
        await checker.verify("big", [pki.ca.cert], load)
    deadline = time.monotonic() + 60
    while checker.cached(("big", _fingerprint(pki))) is None:
        assert time.monotonic() < deadline, "the verification never finished"
        await asyncio.sleep(0.05)
    answer = await checker.verify("big", [pki.ca.cert], load)
    assert [r.signature_status for r in answer] == ["VALID"]
    assert checker.runs == 1


def _fingerprint(pki: Pki) -> str:
    return roots_fingerprint([pki.ca.cert])


@pytest.fixture
def timeout_seconds() -> float:
    return 30.0


@pytest.fixture
def settings_overrides(timeout_seconds: float) -> dict[str, object]:
    return {"verification_concurrency": 4, "verification_timeout_seconds": timeout_seconds}


async def signed_packages(
    client: httpx.AsyncClient, context: AppContext, owner: dict[str, str], count: int
) -> list[int]:
    packages = []
    for n in range(count):
        package_id = await create_package(client, owner, f"Contract {n}")
        document_id = await upload_document(client, owner, package_id, sized_pdf(1_000_000))
        await add_signer_and_fields(
            context,
            package_id,
            document_id,
            [("ana@example.com", "Ana Ruiz", "digital_signature")],
        )
        await sign(context, package_id, 1)
        packages.append(package_id)
    return packages


@pytest.mark.parametrize("timeout_seconds", [0.001])
async def test_a_verification_past_the_time_limit_is_a_503_then_answered(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.admin_email)
    [package_id] = await signed_packages(client, context, owner, 1)
    url = f"/v3/packages/{package_id}/verification"
    slow = await client.get(url, headers=owner)
    assert slow.status_code == 503
    assert "did not finish within 0.001 s" in slow.text
    deadline = time.monotonic() + 60
    while verifier(context).active or verifier(context).runs == 0:
        assert time.monotonic() < deadline, "the verification never finished"
        await asyncio.sleep(0.05)
    cached = await client.get(url, headers=owner)
    assert cached.status_code == 200
    assert cached.json()[0]["fields"][0]["signature_status"] == "VALID"
    assert verifier(context).runs == 1


async def test_healthz_answers_while_four_verifications_run(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner = await bearer(client, tenant, tenant.admin_email)
    packages = await signed_packages(client, context, owner, 4)

    checks = [
        asyncio.create_task(client.get(f"/v3/packages/{p}/verification", headers=owner))
        for p in packages
    ]
    running = verifier(context)
    deadline = time.monotonic() + 60
    while running.runs < 4:  # each of the four has entered its thread
        assert time.monotonic() < deadline, "the verifications did not start"
        await asyncio.sleep(0.001)
    health = await client.get("/healthz")
    still_verifying = running.active
    assert health.status_code == 200
    # The fourth has only begun: /healthz answered while it ran, not after it.
    assert still_verifying >= 1, "/healthz waited for the verifications"
    answers = await asyncio.gather(*checks)
    assert [a.status_code for a in answers] == [200] * 4
    assert all(a.json()[0]["fields"][0]["signature_status"] == "VALID" for a in answers)
