"""Schemathesis over the whole OpenAPI document (SigningHub v3/v4, OKdokument, our admin
routes), in-process against the ASGI app, authenticated as a seeded enterprise's admin (and
its API key on /JSON), with positive and negative examples for every operation.

Checks: no 5xx, ever; status codes, Content-Types, bodies and required headers as the
document declares them (src/signflow/faces/openapi.py makes it describe the real answers,
each dialect's error shape included); operations that declare security refuse calls
without it. Half the generated cases are pointed at the seeded enterprise's real objects,
so handlers run past the "not found" answer.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.python import asgi

from signflow.app import create_app
from signflow.context import AppContext
from tests.conftest import make_settings, wipe
from tests.factories import make_tenant
from tests.hardening.tenants import World, build_world

MAX_EXAMPLES = 6
# The OCSP responder's DER request body is bytes, sent as they are.
schemathesis.serializer.alias("application/ocsp-request", "application/octet-stream")

# Not checked: `positive_data_acceptance`, because schema-valid data is legitimately refused
# with 400 by business rules the document cannot express (a field name the document does not
# have, a package in the wrong state, a grant without its credentials); and the stateful
# checks (`use_after_free`, `ensure_resource_availability`), which need API links.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.ignored_auth,
    checks.missing_required_header,
]


@dataclass
class Target:
    app: FastAPI
    world: World


async def _seed(database_url: str, data_dir: Path) -> World:
    context = AppContext.create(make_settings(database_url, data_dir, **SETTINGS))
    try:
        await wipe(context)
        app = create_app(context=context)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            tenant = await make_tenant(context, "Acme")
            await make_tenant(context, "Globex")
            return await build_world(client, context, tenant, "http://127.0.0.1:9")
    finally:
        await context.close()


SETTINGS: dict[str, object] = {
    "embedded_worker": False,
    "enterprise_rate_per_second": 0,
    "webhook_allowed_networks": "127.0.0.0/8",
    # Generated wrong passwords (sign-ins, the password change) would otherwise throttle the
    # admin's own sign-in, which the logout cases need; the throttles have tests of their own.
    "signin_max_failures": 1000,
    "signin_address_max_failures": 1000,
    "signin_account_max_failures": 1000,
}


@pytest.fixture
def fuzz_target(database_url: str, tmp_path: Path) -> Iterator[Target]:
    world = asyncio.run(_seed(database_url, tmp_path / "var"))
    # The app starts its own context in schemathesis' event loop (its lifespan).
    app = create_app(make_settings(database_url, tmp_path / "var", **SETTINGS))
    try:
        yield Target(app, world)
    finally:
        asgi.shutdown_lifespans()


def real_ids(world: World, path: str) -> dict[str, object]:
    ids: dict[str, object] = {
        "package_id": world.package_id,
        "document_id": world.document_id,
        "order": 1,
        "page_no": 1,
        "log_id": world.log_id,
        "endpoint_id": world.endpoint_id,
        "delivery_id": world.delivery_id,
        "key_id": world.key_id,
        "signature_request_id": world.request_id,
        "enterprise_id": world.tenant.enterprise_id,
        "pki_key": world.pki_key,
    }
    if path.startswith("/JSON/document"):
        ids["document_id"] = world.request_document_id
    return ids


def call(case: Any, target: Target) -> None:
    world = target.world
    path = case.operation.path
    meta = case._meta
    positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
    if positive and case.path_parameters and zlib.crc32(repr(case).encode()) % 2:
        ids = real_ids(world, path)
        for name in case.path_parameters:
            if name in ids:
                case.path_parameters[name] = ids[name]
    if path.startswith("/JSON/"):
        headers = dict(world.api)
    elif path.endswith("/logout"):  # would revoke the token every other case uses
        client = asgi.get_client(target.app)
        tokens = client.post(
            "http://testserver/authenticate",
            data={
                "grant_type": "password",
                "client_id": world.tenant.client_id,
                "client_secret": world.tenant.client_secret,
                "username": world.tenant.admin_email,
                "password": world.tenant.password,
            },
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    else:
        headers = dict(world.admin)
    # /readyz answers 503 by design while no worker beats (none runs here); its status
    # codes and body are still held to the document.
    wanted = (
        [c for c in CHECKS if c is not checks.not_a_server_error] if path == "/readyz" else CHECKS
    )
    case.call_and_validate(headers=headers, checks=wanted)


@pytest.mark.slow
def test_the_api_answers_as_its_openapi_document_says(fuzz_target: Target) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_target.app)
    # Auth is checked by `ignored_auth`; unknown query parameters are ignored, as HTTP APIs do.
    schema.config.generation.update(
        deterministic=True,
        database="none",
        with_security_parameters=False,
        allow_extra_parameters=False,
    )
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
            )
            def run(case: Any) -> None:
                call(case, fuzz_target)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (no parameters, free strings)
                continue
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{mode.value} {operation.label}: {exc}"[:3000])
    assert operations > 150
    assert not failures, "\n\n".join(failures)
