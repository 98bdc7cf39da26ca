"""API key revocation reaches every API process at its commit: two real `signflow serve`
processes on one database (PostgreSQL, and one SQLite file), each keeping resolved keys
in its principal cache; a key used by both while it is revoked (by the admin API on one
of them, by `signflow apikey revoke`, or by its enterprise being disabled from another
process) is refused by both from the moment the revocation has answered."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Awaitable

import httpx

from bench.servers import ROOT
from tests.accounts.test_tokens_processes import (
    _race,
    _sign_in,
    database,
    two_api_processes,
)
from tests.operations.processes import run

__all__ = ["database", "two_api_processes"]  # the fixtures, for pytest

LIST = "/JSON/list/flat"
ROUNDS = 3


async def _new_key(url: str, admin: dict[str, str]) -> tuple[int, str]:
    async with httpx.AsyncClient(timeout=30) as client:
        created = await client.post(
            f"{url}/v3/enterprise/apikeys", json={"name": "race"}, headers=admin
        )
    assert created.status_code == 201, created.text
    body = created.json()
    return int(body["id"]), str(body["key"])


async def _admin(url: str, account: dict) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=30) as client:
        return {"Authorization": f"Bearer {await _sign_in(client, url, account)}"}


def _as_response(done: subprocess.CompletedProcess[str]) -> httpx.Response:
    """A command's outcome in the shape the race expects of a revocation."""
    return httpx.Response(200 if done.returncode == 0 else 500, text=done.stderr)


async def test_a_key_used_while_the_admin_api_revokes_it_is_refused_by_every_process_after(
    two_api_processes: tuple[list[str], dict],
):
    urls, account = two_api_processes
    admin = await _admin(urls[0], account)
    for round_ in range(ROUNDS):
        key_id, key = await _new_key(urls[1], admin)

        def revoke(client: httpx.AsyncClient, key_id: int = key_id) -> Awaitable[httpx.Response]:
            return client.delete(f"{urls[0]}/v3/enterprise/apikeys/{key_id}", headers=admin)

        await _race(
            urls,
            key,
            revoke,
            401,
            same_instant=round_ % 2 == 1,
            headers={"x-api-key": key},
            path=LIST,
        )


async def test_a_key_used_while_the_cli_revokes_it_is_refused_by_every_process_after(
    two_api_processes: tuple[list[str], dict],
):
    urls, account = two_api_processes
    admin = await _admin(urls[0], account)
    key_id, key = await _new_key(urls[0], admin)

    async def revoke(_client: httpx.AsyncClient) -> httpx.Response:
        command = ["apikey", "revoke", "--enterprise", account["enterprise"], str(key_id)]
        return _as_response(await asyncio.to_thread(run, command, account["env"]))

    await _race(urls, key, revoke, 401, same_instant=True, headers={"x-api-key": key}, path=LIST)


async def test_a_key_used_while_its_enterprise_is_disabled_is_refused_by_every_process_after(
    two_api_processes: tuple[list[str], dict],
):
    """Disabled by another process of the host (there is no API for it): an UPDATE of
    `enterprises` through the application's own engine, as any command would."""
    urls, account = two_api_processes
    program = textwrap.dedent(
        f"""
        import asyncio
        from sqlalchemy import update
        from signflow.config import Settings
        from signflow.context import AppContext
        from signflow.db import transaction
        from signflow.models import Enterprise

        async def main():
            context = AppContext.create(Settings())
            try:
                async with transaction(context.sessions) as session:
                    await session.execute(
                        update(Enterprise)
                        .where(Enterprise.name == {account["enterprise"]!r})
                        .values(is_active=False)
                    )
            finally:
                await context.close()

        asyncio.run(main())
        """
    )

    async def disable(_client: httpx.AsyncClient) -> httpx.Response:
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", program],
            env=account["env"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return _as_response(done)

    key = account["api_key"]
    await _race(urls, key, disable, 403, same_instant=True, headers={"x-api-key": key}, path=LIST)
