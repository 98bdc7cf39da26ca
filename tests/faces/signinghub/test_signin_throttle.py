"""Sign-in throttles that cannot be raced, and that an attacker cannot turn against the
real user or integration (issue 22, findings 2 and 3).

Each client address is the ASGI scope's client (`tests.factories.client_at`): the
address the server sees. Concurrency is real: the requests run at once in the test's
event loop against the app and the real database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select, update

from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import read_transaction, transaction
from signflow.models import AuthFailure, User
from tests.factories import PASSWORD, Tenant, client_at

ATTACKER = "203.0.113.66"
USER_HOME = "198.51.100.10"
INTEGRATION = "192.0.2.20"
THROTTLED = {
    "error": "too_many_requests",
    "error_description": "Too many failed sign-in attempts; try again later",
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # The defaults but a small account-wide ceiling, so that its backoff can be reached.
    return {"signin_max_failures": 5, "signin_account_max_failures": 6}


@pytest.fixture
def app(context: AppContext) -> FastAPI:
    return create_app(context=context)


def password_form(tenant: Tenant, password: str, username: str | None = None) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "username": username or tenant.user_email,
        "password": password,
    }


def client_form(tenant: Tenant, secret: str | None = None) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_secret": secret or tenant.client_secret,
    }


async def test_a_hundred_parallel_guesses_get_five_checks_and_no_token_after_the_fifth_failure(
    app: FastAPI, context: AppContext, tenant: Tenant
):
    failures = 0
    fifth_failure = asyncio.Event()

    async def guess(client: httpx.AsyncClient, password: str) -> httpx.Response:
        nonlocal failures
        response = await client.post("/authenticate", data=password_form(tenant, password))
        if response.status_code == 400:
            failures += 1
            if failures == 5:
                fifth_failure.set()
        return response

    async def the_right_one_after_the_fifth_failure(client: httpx.AsyncClient) -> httpx.Response:
        await fifth_failure.wait()  # the other guesses are still being sent or answered
        return await guess(client, PASSWORD)

    async with client_at(app, ATTACKER) as attacker:
        answers = await asyncio.gather(
            *(guess(attacker, f"guess number {n}") for n in range(99)),
            the_right_one_after_the_fifth_failure(attacker),
        )
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(400) == 5, statuses
    assert statuses.count(429) == 95, statuses
    assert 200 not in statuses
    right = answers[-1]
    assert right.status_code == 429
    assert right.json() == THROTTLED
    assert 1 <= int(right.headers["retry-after"]) <= 900
    async with read_transaction(context.sessions) as session:
        counted = await session.scalar(
            select(AuthFailure.count).where(AuthFailure.key == f"user:{tenant.user_email}")
        )
    assert counted == 5  # the refused guesses took nothing

    # The real user, elsewhere, is not locked out by any of it.
    async with client_at(app, USER_HOME) as user:
        response = await user.post("/authenticate", data=password_form(tenant, PASSWORD))
    assert response.status_code == 200, response.text


async def test_wrong_passwords_from_one_address_do_not_stop_the_right_one_from_another(
    app: FastAPI, tenant: Tenant
):
    async with client_at(app, ATTACKER) as attacker, client_at(app, USER_HOME) as user:
        for n in range(5):
            wrong = await attacker.post("/authenticate", data=password_form(tenant, f"no {n}"))
            assert wrong.status_code == 400
        refused = await attacker.post("/authenticate", data=password_form(tenant, PASSWORD))
        assert refused.status_code == 429
        assert refused.json() == THROTTLED
        signed_in = await user.post("/authenticate", data=password_form(tenant, PASSWORD))
        assert signed_in.status_code == 200, signed_in.text
        # Another account from the attacker's address is not locked either.
        other = await attacker.post(
            "/authenticate", data=password_form(tenant, PASSWORD, tenant.admin_email)
        )
        assert other.status_code == 200, other.text


async def test_wrong_client_secrets_from_one_address_do_not_stop_the_application_elsewhere(
    app: FastAPI, tenant: Tenant
):
    async with client_at(app, ATTACKER) as attacker, client_at(app, INTEGRATION) as integration:
        for n in range(5):
            wrong = await attacker.post("/authenticate", data=client_form(tenant, f"bad {n}"))
            assert wrong.status_code == 401
            assert wrong.json()["error"] == "invalid_client"
        refused = await attacker.post("/authenticate", data=client_form(tenant))
        assert refused.status_code == 429
        assert "retry-after" in refused.headers

        granted = await integration.post("/authenticate", data=client_form(tenant))
        assert granted.status_code == 200, granted.text
        refreshed = await integration.post(
            "/authenticate",
            data={
                "grant_type": "refresh_token",
                "client_id": tenant.client_id,
                "client_secret": tenant.client_secret,
                "refresh_token": granted.json()["refresh_token"],
            },
        )
        assert refreshed.status_code == 200, refreshed.text
        through_the_app = await integration.post(
            "/authenticate", data=password_form(tenant, PASSWORD)
        )
        assert through_the_app.status_code == 200, through_the_app.text


async def _set_back_last_try(context: AppContext, email: str, seconds: float) -> None:
    """Let `seconds` pass for the account-wide bucket (rather than sleeping)."""
    async with transaction(context.sessions) as session:
        row = await session.get_one(AuthFailure, f"user:{email}")
        assert row.last_attempt_at is not None
        await session.execute(
            update(AuthFailure)
            .where(AuthFailure.key == row.key)
            .values(last_attempt_at=row.last_attempt_at - dt.timedelta(seconds=seconds))
        )


async def test_past_the_account_ceiling_tries_back_off_instead_of_locking_the_account(
    app: FastAPI, context: AppContext, tenant: Tenant
):
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        async with client_at(app, address) as attacker:
            for n in range(2):
                wrong = await attacker.post("/authenticate", data=password_form(tenant, f"{n}"))
                assert wrong.status_code == 400
    # Six failures in all: the account-wide ceiling of this module's settings.
    async with client_at(app, USER_HOME) as user, client_at(app, "203.0.113.4") as attacker:
        waiting = await user.post("/authenticate", data=password_form(tenant, PASSWORD))
        assert waiting.status_code == 429
        assert waiting.headers["retry-after"] == "1"

        await _set_back_last_try(context, tenant.user_email, 5)
        wrong = await attacker.post("/authenticate", data=password_form(tenant, "seventh"))
        assert wrong.status_code == 400
        doubled = await user.post("/authenticate", data=password_form(tenant, PASSWORD))
        assert doubled.status_code == 429
        assert doubled.headers["retry-after"] == "2"

        await _set_back_last_try(context, tenant.user_email, 5)
        signed_in = await user.post("/authenticate", data=password_form(tenant, PASSWORD))
        assert signed_in.status_code == 200, signed_in.text


# argon2 with these costs takes about 0.4 s of CPU: far longer than ten /healthz.
SLOW_HASHER = PasswordHasher(time_cost=8, memory_cost=64 * 1024, parallelism=1)
SLOW_SIGNINS = 4


async def test_password_checks_do_not_hold_up_other_requests(
    app: FastAPI, client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    slow_hash = await asyncio.to_thread(SLOW_HASHER.hash, PASSWORD)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(User).where(User.email == tenant.user_email).values(password_hash=slow_hash)
        )

    async with client_at(app, USER_HOME) as user:
        signins = [
            asyncio.create_task(user.post("/authenticate", data=password_form(tenant, PASSWORD)))
            for _ in range(SLOW_SIGNINS)
        ]
        # In flight: every sign-in has paid for its try and is being checked.
        while not any(task.done() for task in signins):
            async with read_transaction(context.sessions) as session:
                in_flight = await session.scalar(
                    select(AuthFailure.count).where(AuthFailure.key == f"user:{tenant.user_email}")
                )
            if in_flight == SLOW_SIGNINS:
                break
            await asyncio.sleep(0.01)
        assert not any(task.done() for task in signins), "a sign-in answered before all began"
        answered = 0
        while answered < 10 and not any(task.done() for task in signins):
            health = await client.get("/healthz")
            assert health.status_code == 200
            answered += 1
        assert answered == 10, "the server stopped answering while passwords were checked"
        assert not any(task.done() for task in signins)
        answers = await asyncio.gather(*signins)
    assert [answer.status_code for answer in answers] == [200] * SLOW_SIGNINS


async def test_overlong_names_are_counted_and_refused_without_a_server_error(
    app: FastAPI, tenant: Tenant
):
    long_name = "x" * 5000
    async with client_at(app, ATTACKER) as attacker:
        for _ in range(5):
            user = await attacker.post(
                "/authenticate", data=password_form(tenant, "pw", f"{long_name}@acme.test")
            )
            assert user.status_code == 400
            assert user.json()["error"] == "invalid_grant"
            client = await attacker.post(
                "/authenticate", data=client_form(tenant) | {"client_id": long_name}
            )
            assert client.status_code == 401
        again = await attacker.post(
            "/authenticate", data=password_form(tenant, "pw", f"{long_name}@acme.test")
        )
        assert again.status_code == 429
