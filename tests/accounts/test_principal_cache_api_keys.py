"""API keys (the x-api-key of /JSON) served from the process's principal cache, and never
once a change of the host has begun: revocation by the admin API or another process, a
disabled enterprise; the api user's state is read by each request that needs it."""

from __future__ import annotations

import base64

import httpx
from sqlalchemy import inspect, select, update

from signflow.accounts.api_keys import (
    cached_api_key,
    create_api_key,
    resolve_api_key,
    revoke_api_key,
)
from signflow.accounts.principal_cache import PrincipalCache
from signflow.accounts.principal_clock import PrincipalClock, generation, in_flight
from signflow.context import AppContext
from signflow.db import read_transaction, transaction
from signflow.models import ApiKey, Enterprise, User
from tests.factories import Tenant, bearer, sign_in
from tests.workflow.helpers import make_pdf

LIST = "/JSON/list/flat"


def _clock(context: AppContext) -> PrincipalClock:
    cache: PrincipalCache = context.sessions.kw["info"]["signflow.principal_cache"]
    return cache.clock


def _key(value: str) -> dict[str, str]:
    return {"x-api-key": value}


async def _key_id(context: AppContext, value: str) -> int:
    async with read_transaction(context.sessions) as session:
        holder = await resolve_api_key(session, value)
    return holder.key_id


def _new_request() -> dict[str, object]:
    return {
        "filedata": {"content": base64.b64encode(make_pdf()).decode(), "state": "tosign"},
        "filename": "contract.pdf",
    }


async def test_a_key_used_again_is_served_without_reading_it(
    client: httpx.AsyncClient, tenant: Tenant, key_reads: list[str]
):
    first = await client.get(LIST, headers=_key(tenant.api_key))
    second = await client.get(LIST, headers=_key(tenant.api_key))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(key_reads) == 1


async def test_a_request_with_a_body_checks_a_cached_key_without_reading_it(
    client: httpx.AsyncClient, tenant: Tenant, key_reads: list[str]
):
    for _ in range(2):
        created = await client.post(
            "/JSON/signatureRequest", json=_new_request(), headers=_key(tenant.api_key)
        )
        assert created.status_code == 200, created.text
    assert len(key_reads) == 1


async def test_the_cached_enterprise_is_the_session_s_own(context: AppContext, tenant: Tenant):
    for _ in range(2):
        async with read_transaction(context.sessions) as session:
            holder = await resolve_api_key(session, tenant.api_key)
            assert holder.enterprise in session.sync_session
            assert await session.get(Enterprise, tenant.enterprise_id) is holder.enterprise
            assert holder.key_prefix == tenant.api_key[:12]


async def test_outside_a_transaction_a_cached_key_comes_detached(
    context: AppContext, tenant: Tenant, key_reads: list[str]
):
    assert cached_api_key(context.sessions, tenant.api_key) is None
    resolved_id = await _key_id(context, tenant.api_key)
    cached = cached_api_key(context.sessions, tenant.api_key)
    assert cached is not None
    assert (cached.key_id, cached.enterprise.id) == (resolved_id, tenant.enterprise_id)
    assert inspect(cached.enterprise).detached
    assert cached_api_key(context.sessions, None) is None
    assert len(key_reads) == 1


async def test_a_key_revoked_by_the_admin_api_is_refused_at_once(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    assert (await client.get(LIST, headers=_key(tenant.api_key))).status_code == 200
    key_id = await _key_id(context, tenant.api_key)
    revoked = await client.delete(f"/v3/enterprise/apikeys/{key_id}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    refused = await client.get(LIST, headers=_key(tenant.api_key))
    assert refused.status_code == 401
    assert refused.json()["message"] == "The API key is not valid"
    body = await client.post(
        "/JSON/signatureRequest", json=_new_request(), headers=_key(tenant.api_key)
    )
    assert body.status_code == 401


async def test_a_key_revoked_by_another_process_is_refused_at_once(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_process: AppContext
):
    assert (await client.get(LIST, headers=_key(tenant.api_key))).status_code == 200
    key_id = await _key_id(context, tenant.api_key)
    async with transaction(other_process.sessions) as session:
        await revoke_api_key(session, tenant.enterprise_id, key_id)
    assert (await client.get(LIST, headers=_key(tenant.api_key))).status_code == 401


async def test_revoking_a_key_moves_the_clock_before_it_runs_and_after_its_commit(
    context: AppContext, tenant: Tenant
):
    """What makes every cache of the host drop the key: without both steps the tests
    above would be served the revoked key from the cache."""
    key_id = await _key_id(context, tenant.api_key)
    clock = _clock(context)
    before = clock.read()
    async with transaction(context.sessions) as session:
        await revoke_api_key(session, tenant.enterprise_id, key_id)
        during = clock.read()
        assert (generation(during), in_flight(during)) == (generation(before) + 1, 1)
    after = clock.read()
    assert (generation(after), in_flight(after)) == (generation(before) + 2, 0)


async def test_a_disabled_enterprise_s_cached_key_is_refused_at_once(
    client: httpx.AsyncClient, tenant: Tenant, other_process: AppContext
):
    assert (await client.get(LIST, headers=_key(tenant.api_key))).status_code == 200
    async with transaction(other_process.sessions) as session:
        await session.execute(
            update(Enterprise).where(Enterprise.id == tenant.enterprise_id).values(is_active=False)
        )
    refused = await client.get(LIST, headers=_key(tenant.api_key))
    assert refused.status_code == 403
    assert refused.json()["message"] == "Account is disabled"


async def test_disabled_users_are_seen_by_a_request_with_a_cached_key(
    client: httpx.AsyncClient, tenant: Tenant, other_process: AppContext
):
    """The key's holder is the enterprise: the user a new request is created for is read
    by that request, so disabling every user takes effect with the key still cached."""
    created = await client.post(
        "/JSON/signatureRequest", json=_new_request(), headers=_key(tenant.api_key)
    )
    assert created.status_code == 200, created.text
    async with transaction(other_process.sessions) as session:
        await session.execute(
            update(User).where(User.enterprise_id == tenant.enterprise_id).values(is_active=False)
        )
    refused = await client.post(
        "/JSON/signatureRequest", json=_new_request(), headers=_key(tenant.api_key)
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["message"] == "err.no.api.user"


async def test_a_read_begun_while_a_change_was_in_flight_is_not_kept(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, key_reads: list[str]
):
    clock = _clock(context)
    clock.begin_change()  # a change that may commit while the reads below run
    try:
        for _ in range(2):
            assert (await client.get(LIST, headers=_key(tenant.api_key))).status_code == 200
    finally:
        clock.end_change()
    assert len(key_reads) == 2


async def test_a_cached_bearer_token_is_no_api_key(client: httpx.AsyncClient, tenant: Tenant):
    token = str((await sign_in(client, tenant, tenant.user_email))["access_token"])
    assert (
        await client.get("/v3/settings/profile", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    assert (await client.get(LIST, headers=_key(token))).status_code == 401


async def test_a_new_key_works_and_another_enterprise_s_key_sees_only_its_own(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    async with transaction(context.sessions) as session:
        _, value = await create_api_key(session, tenant.enterprise_id, "second")
    mine = await client.post("/JSON/signatureRequest", json=_new_request(), headers=_key(value))
    assert mine.status_code == 200, mine.text
    document = mine.json()["documentId"]
    for _ in range(2):
        theirs = await client.get(
            f"/JSON/document/metadata/{document}", headers=_key(other_tenant.api_key)
        )
        assert theirs.status_code == 404
        ours = await client.get(f"/JSON/document/metadata/{document}", headers=_key(value))
        assert ours.status_code == 200
    async with read_transaction(context.sessions) as session:
        stored = await session.scalar(select(ApiKey).where(ApiKey.name == "second"))
        assert stored is not None and stored.revoked_at is None
