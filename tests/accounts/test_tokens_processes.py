"""Revocation reaches every API process at its commit: two real `signflow serve` processes
on one database (PostgreSQL, and one SQLite file), each keeping resolved tokens in its
principal cache; a token used by both while its logout (or a password change that ends
the user's other sign-ins) commits on one of them is refused by both from the moment
the revocation has answered, including uses sent in the same instant as the revocation."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from signflow.accounts.principal_cache_setup import clock_path
from signflow.accounts.principal_clock import PrincipalClock, generation, in_flight
from signflow.config import Settings
from tests.operations.processes import Proc, clean_env, run, serve

PASSWORD = "Revocation-test-1"
OTHER_PASSWORD = "Revocation-test-2"
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
        SIGNFLOW_PRINCIPAL_CACHE="host",  # on PostgreSQL too (its default there is off)
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
        yield (
            urls,
            {**created, "username": admin, "enterprise": name, "env": env, "data_dir": data_dir},
        )
    finally:
        for proc in procs:
            proc.stop()


async def _sign_in(
    client: httpx.AsyncClient, url: str, account: dict, password: str = PASSWORD
) -> str:
    response = await client.post(
        f"{url}/authenticate",
        data={
            "grant_type": "password",
            "client_id": account["client_id"],
            "client_secret": account["client_secret"],
            "username": account["username"],
            "password": password,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def _use_until(
    client: httpx.AsyncClient,
    url: str,
    process: int,
    headers: dict[str, str],
    path: str,
    stop: asyncio.Event,
) -> list[Use]:
    uses: list[Use] = []
    while not stop.is_set():
        sent_at = time.monotonic()
        response = await client.get(f"{url}{path}", headers=headers)
        uses.append(Use(process, sent_at, response.status_code))
    return uses


Revocation = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def _race(
    urls: list[str],
    token: str,
    revoke: Revocation,
    refused: int,
    *,
    same_instant: bool,
    headers: dict[str, str] | None = None,
    path: str = PROFILE,
) -> None:
    """Use `token` (or the credential in `headers`) on every process in a loop; revoke it
    on the first; every use sent after the revocation answered must get `refused`. With
    `same_instant`, one use per process is also sent together with the revocation (in
    the same event-loop step)."""
    headers = headers or {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as client:
        stop = asyncio.Event()
        users = [
            asyncio.create_task(_use_until(client, url, n, headers, path, stop))
            for n, url in enumerate(urls)
            for _ in range(3)
        ]
        try:
            await asyncio.sleep(0.3)  # every process has served (and cached) the token
            if same_instant:
                together = [client.get(f"{url}{path}", headers=headers) for url in urls]
                revocation, *alongside = await asyncio.gather(revoke(client), *together)
                assert {r.status_code for r in alongside} <= {200, refused}
            else:
                revocation = await revoke(client)
            answered_at = time.monotonic()
            assert revocation.status_code == 200, revocation.text
            await asyncio.sleep(0.3)  # keep using it on both processes after the commit
        finally:
            stop.set()
            uses = [use for task in users for use in await task]

    for process in range(len(urls)):
        before = [u for u in uses if u.process == process and u.sent_at < answered_at]
        after = [u for u in uses if u.process == process and u.sent_at > answered_at]
        assert any(u.status == 200 for u in before), f"process {process} never served it"
        assert after, f"process {process} was not asked after the revocation"
        assert {u.status for u in after} == {refused}, (process, [u.status for u in after])
    assert {u.status for u in uses} <= {200, refused}


async def _race_logout(urls: list[str], account: dict, *, same_instant: bool) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        token = await _sign_in(client, urls[0], account)

    def logout(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(f"{urls[0]}{LOGOUT}", headers={"Authorization": f"Bearer {token}"})

    await _race(urls, token, logout, 401, same_instant=same_instant)


async def test_a_token_used_while_its_logout_commits_is_refused_by_every_process_after(
    two_api_processes: tuple[list[str], dict],
):
    urls, account = two_api_processes
    for _ in range(ROUNDS):
        await _race_logout(urls, account, same_instant=False)


async def test_a_token_used_in_the_instant_of_its_logout_is_refused_by_every_process_after(
    two_api_processes: tuple[list[str], dict],
):
    urls, account = two_api_processes
    for _ in range(ROUNDS):
        await _race_logout(urls, account, same_instant=True)


async def _race_password_change(urls: list[str], account: dict, old: str, new: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        used = await _sign_in(client, urls[0], account, old)
        changer = await _sign_in(client, urls[1], account, old)

    def change(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.put(
            f"{urls[1]}/v3/settings/profile/password",
            headers={"Authorization": f"Bearer {changer}"},
            json={"user_old_password": old, "user_new_password": new},
        )

    await _race(urls, used, change, 401, same_instant=True)


async def test_a_password_change_on_one_process_ends_the_other_sign_ins_on_every_process(
    two_api_processes: tuple[list[str], dict],
):
    urls, account = two_api_processes
    await _race_password_change(urls, account, PASSWORD, OTHER_PASSWORD)
    await _race_password_change(urls, account, OTHER_PASSWORD, PASSWORD)


def test_a_cli_command_moves_the_clock_the_api_processes_read(
    two_api_processes: tuple[list[str], dict],
):
    _urls, account = two_api_processes
    env, data_dir = account["env"], account["data_dir"]
    settings = Settings(
        env="test",
        secret_key=env["SIGNFLOW_SECRET_KEY"],
        database_url=env["SIGNFLOW_DATABASE_URL"],
        data_dir=data_dir,
    )
    path = clock_path(settings)
    assert path is not None
    clock = PrincipalClock(path)
    before = clock.read()
    listed = run(["apikey", "list", "--enterprise", account["enterprise"]], env)
    assert listed.returncode == 0, listed.stderr
    key_id = listed.stdout.split("\t", 1)[0].strip()
    assert clock.read() == before  # reading moves nothing
    revoked = run(["apikey", "revoke", "--enterprise", account["enterprise"], key_id], env)
    assert revoked.returncode == 0, revoked.stderr
    after = clock.read()
    assert (generation(after), in_flight(after)) == (generation(before) + 2, 0)
