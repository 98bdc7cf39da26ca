"""`signflow application list|embedding --enterprise NAME`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from signflow.cli import app
from tests.test_cli import bootstrap, data_dir  # noqa: F401


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_application_embedding_is_set_listed_and_checked(data_dir: Path):  # noqa: F811
    bootstrap("--client-id", "initech-app", "--client-secret", "s3cret-s3cret")
    assert "initech-app\torigins: -\tcallback: -" in run(
        "application", "list", "--enterprise", "Initech"
    )
    out = run(
        "application",
        "embedding",
        "--enterprise",
        "Initech",
        "--client-id",
        "initech-app",
        "--origin",
        "https://erp.initech.test",
        "--origin",
        "http://127.0.0.1:8080",
        "--callback",
        "https://erp.initech.test/back",
    )
    expected = (
        "initech-app\torigins: https://erp.initech.test http://127.0.0.1:8080\t"
        "callback: https://erp.initech.test/back"
    )
    assert expected in out
    assert expected in run("application", "list", "--enterprise", "Initech")
    embedding = ["application", "embedding", "--enterprise", "Initech"]
    refused = CliRunner().invoke(
        app, [*embedding, "--client-id", "initech-app", "--origin", "http://erp.initech.test"]
    )
    assert refused.exit_code != 0 and "must be an https origin" in refused.output
    unknown = CliRunner().invoke(app, [*embedding, "--client-id", "nope"])
    assert unknown.exit_code != 0 and "no application 'nope'" in unknown.output
    # Unchanged by the refusals.
    assert expected in run("application", "list", "--enterprise", "Initech")
