"""Resolved tokens served from the process's cache, and never once a change of the host
has begun: logout, disabling, or any change another process of the host makes."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import event, inspect, select, update

from signflow.accounts.principal_cache import PrincipalCache
from signflow.accounts.principal_clock import GENERATION_STEP
from signflow.accounts.tokens import cached_principal, resolve_access_token
from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import read_transaction, transaction
from signflow.models import User
from tests.factories import Tenant, sign_in

PROFILE = "/v3/settings/profile"


def _cache(context: AppContext) -> PrincipalCache:
    cache: PrincipalCache = context.sessions.kw["info"]["signflow.principal_cache"]
    return cache


@pytest.fixture
async def token(client: httpx.AsyncClient, tenant: Tenant) -> str:
    tokens = await sign_in(client, tenant, tenant.user_email)
    return str(tokens["access_token"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_used_again_is_served_without_reading_it(
    client: httpx.AsyncClient, token: str, token_reads: list[str]
):
    first = await client.get(PROFILE, headers=_auth(token))
    second = await client.get(PROFILE, headers=_auth(token))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(token_reads) == 1


async def test_the_cached_principal_is_the_session_s_own(context: AppContext, token: str):
    for _ in range(2):
        async with read_transaction(context.sessions) as session:
            principal = await resolve_access_token(session, token)
            assert principal.user in session.sync_session
            assert principal.enterprise in session.sync_session
            assert await session.get(User, principal.user.id) is principal.user


async def test_a_logged_out_token_is_refused_at_once(client: httpx.AsyncClient, token: str):
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
    assert (await client.post("/v4/logout", headers=_auth(token))).status_code == 200
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 401


async def test_a_change_committed_by_another_process_ends_every_entry(
    client: httpx.AsyncClient, token: str, other_process: AppContext, tenant: Tenant
):
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
    async with transaction(other_process.sessions) as session:
        await session.execute(
            update(User).where(User.email == tenant.user_email).values(is_active=False)
        )
    refused = await client.get(PROFILE, headers=_auth(token))
    assert refused.status_code == 403
    assert refused.json()["Message"] == "Account is disabled"


async def test_while_another_process_changes_accounts_every_request_reads_its_token(
    client: httpx.AsyncClient,
    token: str,
    other_process: AppContext,
    tenant: Tenant,
    token_reads: list[str],
):
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
    async with transaction(other_process.sessions) as session:
        admin = await session.scalar(select(User).where(User.email == tenant.admin_email))
        assert admin is not None
        admin.name = "Renamed while in flight"
        await session.flush()
        for _ in range(2):
            assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
        assert len(token_reads) == 3
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
    assert len(token_reads) == 4


async def test_a_read_begun_while_a_change_was_in_flight_is_not_kept(
    context: AppContext, token: str, token_reads: list[str]
):
    clock = _cache(context).clock
    clock.begin_change()  # a change that may commit while the read below runs
    try:
        for _ in range(2):
            async with read_transaction(context.sessions) as session:
                await resolve_access_token(session, token)
    finally:
        clock.end_change()
    assert len(token_reads) == 2


async def test_entries_are_dropped_at_their_age_or_their_token_s_expiry(
    context: AppContext, token: str, token_reads: list[str]
):
    cache = _cache(context)
    async with read_transaction(context.sessions) as session:
        principal = await resolve_access_token(session, token)
    word = cache.clock.read()
    stale = PrincipalCache(cache.clock, ttl_seconds=0)
    stale.put("h", word, principal, time.time() + 3600)
    expired = PrincipalCache(cache.clock)
    expired.put("h", word, principal, time.time() - 1)
    fresh = PrincipalCache(cache.clock)
    fresh.put("h", word, principal, time.time() + 3600)
    moved = PrincipalCache(cache.clock)
    moved.put("h", word - GENERATION_STEP, principal, time.time() + 3600)
    async with read_transaction(context.sessions) as session:
        assert stale.get("h", session.sync_session) is None
        assert expired.get("h", session.sync_session) is None
        assert moved.get("h", session.sync_session) is None
        served = fresh.get("h", session.sync_session)
        assert served is not None
        assert served.user.id == principal.user.id


async def test_a_process_without_the_cache_reads_every_time(
    context: AppContext, token: str, tenant: Tenant
):
    settings = context.settings.model_copy(update={"principal_cache": "off"})
    uncached = AppContext.create(settings)
    reads: list[str] = []
    event.listen(
        uncached.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _k, statement, *_a: (
            reads.append(statement) if "token_grants" in statement else None
        ),
    )
    try:
        transport = httpx.ASGITransport(app=create_app(context=uncached))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for _ in range(2):
                assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
    finally:
        await uncached.close()
    assert len(reads) == 2


async def test_outside_a_transaction_a_cached_token_comes_detached(
    context: AppContext, token: str, token_reads: list[str]
):
    assert cached_principal(context.sessions, token) is None
    async with read_transaction(context.sessions) as session:
        resolved = await resolve_access_token(session, token)
    cached = cached_principal(context.sessions, token)
    assert cached is not None
    assert (cached.user.id, cached.enterprise.id, cached.grant_id) == (
        resolved.user.id,
        resolved.enterprise.id,
        resolved.grant_id,
    )
    assert inspect(cached.user).detached
    assert len(token_reads) == 1


async def test_a_password_change_ends_the_other_cached_sign_ins(
    client: httpx.AsyncClient, tenant: Tenant, token: str
):
    changer = str((await sign_in(client, tenant, tenant.user_email))["access_token"])
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 200
    assert (await client.get(PROFILE, headers=_auth(changer))).status_code == 200
    changed = await client.put(
        "/v3/settings/profile/password",
        headers=_auth(changer),
        json={"user_old_password": tenant.password, "user_new_password": "Another-secret-9"},
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(PROFILE, headers=_auth(token))).status_code == 401
    assert (await client.get(PROFILE, headers=_auth(changer))).status_code == 200
