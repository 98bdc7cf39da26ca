from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signflow.cli import app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SIGNFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SIGNFLOW_DATABASE_URL", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    umask = os.umask(0o022)
    os.umask(umask)
    yield tmp_path
    # The CLI configures logging onto CliRunner's stderr, which is closed afterwards, and
    # sets the process umask (077): neither may leak into the other tests.
    root.handlers, root.level = handlers, level
    os.umask(umask)


def bootstrap(*extra: str) -> dict[str, object]:
    result = CliRunner().invoke(
        app,
        [
            "bootstrap",
            "--enterprise",
            "Initech",
            "--admin-email",
            "boss@initech.test",
            "--admin-password",
            "a good long password",
            "--json",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    body: dict[str, object] = json.loads(result.output.strip().splitlines()[-1])
    return body


def test_bootstrap_prints_the_credentials_as_json(data_dir: Path):
    body = bootstrap("--client-id", "initech-app", "--client-secret", "s3cret-s3cret")
    assert set(body) == {"enterprise_id", "admin_email", "client_id", "client_secret", "api_key"}
    assert body["client_id"] == "initech-app"
    assert body["client_secret"] == "s3cret-s3cret"
    assert str(body["api_key"]).startswith("sfk_")
    assert (data_dir / "signflow.db").exists()


def test_bootstrap_finds_what_exists(data_dir: Path):
    first = bootstrap()
    second = bootstrap()
    assert first["enterprise_id"] == second["enterprise_id"]
    assert first["client_id"] == second["client_id"]
    # Secrets are kept only as hashes: a second call issues new ones.
    assert first["api_key"] != second["api_key"]


def test_migrate_is_idempotent(data_dir: Path):
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0
    assert "up to date" in again.output


def test_bootstrap_creates_the_enterprise_ca_and_seal(data_dir: Path):
    import asyncio

    from sqlalchemy import select

    from signflow.config import Settings
    from signflow.context import AppContext
    from signflow.db import transaction
    from signflow.models import EnterpriseCa, SigningCredential

    body = bootstrap()

    async def keys() -> tuple[int, list[str]]:
        context = AppContext.create(Settings(data_dir=data_dir))
        try:
            async with transaction(context.sessions) as session:
                cas = list(await session.scalars(select(EnterpriseCa.enterprise_id)))
                kinds = list(await session.scalars(select(SigningCredential.kind)))
                return cas[0], kinds
        finally:
            await context.close()

    enterprise_id, kinds = asyncio.run(keys())
    assert enterprise_id == body["enterprise_id"]
    assert kinds == ["seal"]
