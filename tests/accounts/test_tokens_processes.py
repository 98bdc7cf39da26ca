"""Revocation reaches every API process at its commit: two real `signflow serve` processes
on one database (PostgreSQL, and one SQLite file); a token used by both while its logout
commits on one of them is refused by both from the moment the logout has answered."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.operations.processes import Proc, clean_env, run, serve

PASSWORD = "Revocation-test-1"
PROFILE = "/v3/settings/profile"
LOGOUT = "/v4/logout"
ROUNDS = 4


@dataclass(frozen=True)
class Use:
    process: int
    sent_at: float
    status: int


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def two_api_processes(database: str, tmp_path: Path) -> Iterator[tuple[list[str], dict]]:
    data_dir = tmp_path / "var"
    env = clean_env(
        SIGNFLOW_ENV="production",
        SIGNFLOW_SECRET_KEY=secrets.token_urlsafe(48),
        SIGNFLOW_DATA_DIR=str(data_dir),
        SIGNFLOW_DATABASE_URL=database,
        SIGNFLOW_BASE_URL="https://sign.example.test",
        SIGNFLOW_EMBEDDED_WORKER="false",
        SIGNFLOW_LOG_LEVEL="WARNING",
        SIGNFLOW_ENTERPRISE_RATE_PER_SECOND="0",
    )
    name = f"Revocation {secrets.token_hex(4)}"
    admin = f"admin-{secrets.token_hex(4)}@revocation.test"
    done = run(
        [
            "bootstrap",
            "--enterprise",
            name,
            "--admin-email",
            admin,
            "--admin-password",
            PASSWORD,
            "--json",
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout.strip().splitlines()[-1])
    procs: list[Proc] = []
    try:
        urls = []
        for n in (1, 2):
            proc, url = serve([], env, tmp_path, name=f"serve{n}")
            procs.append(proc)
            urls.append(url)
        yield urls, {**created, "username": admin}
    finally:
        for proc in procs:
            proc.stop()


async def _sign_in(client: httpx.AsyncClient, url: str, account: dict) -> str:
    response = await client.post(
        f"{url}/authenticate",
        data={
            "grant_type": "password",
            "client_id": account["client_id"],
            "client_secret": account["client_secret"],
            "username": account["username"],
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def _use_until(
    client: httpx.AsyncClient, url: str, process: int, token: str, stop: asyncio.Event
) -> list[Use]:
    uses: list[Use] = []
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        sent_at = time.monotonic()
        response = await client.get(f"{url}{PROFILE}", headers=headers)
        uses.append(Use(process, sent_at, response.status_code))
    return uses


async def _race_logout(urls: list[str], account: dict) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        token = await _sign_in(client, urls[0], account)
        stop = asyncio.Event()
        users = [
            asyncio.create_task(_use_until(client, url, n, token, stop))
            for n, url in enumerate(urls)
            for _ in range(3)
        ]
        try:
            await asyncio.sleep(0.3)  # every process has served the token many times
            logout = await client.post(
                f"{urls[0]}{LOGOUT}", headers={"Authorization": f"Bearer {token}"}
            )
            answered_at = time.monotonic()
            assert logout.status_code == 200, logout.text
            await asyncio.sleep(0.3)  # keep using it on both processes after the commit
        finally:
            stop.set()
            uses = [use for task in users for use in await task]

        for process in range(len(urls)):
            before = [u for u in uses if u.process == process and u.sent_at < answered_at]
            after = [u for u in uses if u.process == process and u.sent_at > answered_at]
            assert any(u.status == 200 for u in before), f"process {process} never served it"
            assert after, f"process {process} was not asked after the logout"
            assert {u.status for u in after} == {401}, (process, [u.status for u in after])
        assert {u.status for u in uses} <= {200, 401}


async def test_a_token_used_while_its_logout_commits_is_refused_by_every_process_after(
    two_api_processes: tuple[list[str], dict],
):
    urls, account = two_api_processes
    for _ in range(ROUNDS):
        await _race_logout(urls, account)
