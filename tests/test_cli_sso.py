"""`signflow sso`: the operator sets, shows and clears an enterprise's single sign-on;
the client secret is sealed and never printed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import EnterpriseSso
from tests.test_cli import bootstrap, data_dir, invoke  # noqa: F401


def _sealed() -> bytes | None:
    async def read() -> bytes | None:
        context = AppContext.create(Settings())
        try:
            async with transaction(context.sessions) as session:
                return await session.scalar(select(EnterpriseSso.client_secret_sealed))
        finally:
            await context.close()

    return asyncio.run(read())


def test_set_show_and_clear(data_dir: Path) -> None:  # noqa: F811
    bootstrap()
    code, out = invoke(
        "sso",
        "set",
        "--enterprise",
        "Initech",
        "--issuer",
        "https://login.initech.test/",
        "--client-id",
        "signflow",
        "--client-secret",
        "cli-provider-secret",
        "--auto-create-users",
    )
    assert code == 0, out
    assert "issuer: https://login.initech.test" in out
    assert "create users on first sign-in: yes" in out
    assert "/app/sso/" in out and "cli-provider-secret" not in out
    sealed = _sealed()
    assert sealed and b"cli-provider-secret" not in sealed
    code, shown = invoke("sso", "show", "--enterprise", "Initech")
    assert code == 0 and "cli-provider-secret" not in shown and "client id: signflow" in shown
    code, out = invoke("sso", "clear", "--enterprise", "Initech")
    assert code == 0 and "off" in out
    assert invoke("sso", "show", "--enterprise", "Initech")[1].strip() == (
        "single sign-on is not set up"
    )


def test_mistakes_are_one_line_errors(data_dir: Path) -> None:  # noqa: F811
    bootstrap()
    code, out = invoke(
        "sso", "set", "--enterprise", "Nobody", "--issuer", "https://x.test", "--client-id", "c"
    )
    assert code == 1 and "no enterprise named 'Nobody'" in out
    code, out = invoke(
        "sso", "set", "--enterprise", "Initech", "--issuer", "http://x.test", "--client-id", "c"
    )
    assert code == 1 and "issuer must be an https URL" in out
    code, out = invoke(
        "sso", "set", "--enterprise", "Initech", "--issuer", "https://x.test", "--client-id", "c"
    )
    assert code == 1 and "client_secret is required" in out
