"""`signflow apikey create|list|revoke --enterprise NAME`."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from signflow.cli import app
from tests.test_cli import bootstrap, data_dir  # noqa: F401


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_apikey_create_list_revoke(data_dir: Path):  # noqa: F811
    bootstrap()
    created = run("apikey", "create", "--enterprise", "Initech", "--name", "erp")
    key = created.split("x-api-key (shown only now): ")[1].split()[0]
    assert key.startswith("sfk_")
    listed = run("apikey", "list", "--enterprise", "Initech")
    assert "erp" in listed and key not in listed
    found = re.search(r"^id (\d+)  name erp$", created, re.MULTILINE)
    assert found, created
    key_id = found.group(1)
    assert f"revoked {key_id}" in run("apikey", "revoke", "--enterprise", "Initech", key_id)
    assert "revoked 20" in run("apikey", "list", "--enterprise", "Initech")
    unknown = CliRunner().invoke(app, ["apikey", "list", "--enterprise", "Nope"])
    assert unknown.exit_code != 0
