from __future__ import annotations

import asyncio
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


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def bootstrap_args(enterprise: str, email: str, *extra: str) -> list[str]:
    return [
        "bootstrap",
        "--enterprise",
        enterprise,
        "--admin-email",
        email,
        "--admin-password",
        "a good long password",
        *extra,
    ]


def count_rows(data_dir: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / "signflow.db") as db:
        (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)


def test_bootstrap_with_another_enterprises_admin_is_one_line_with_the_fix(data_dir: Path):
    bootstrap()
    code, output = invoke(*bootstrap_args("Initrode", "boss@initech.test"))
    assert code == 1
    assert output.strip().splitlines() == [
        "error: boss@initech.test is a user of enterprise 'Initech', not 'Initrode': run "
        "bootstrap with --enterprise Initech, or give another --admin-email"
    ]
    assert count_rows(data_dir, "enterprises") == 1  # nothing half-made


def test_bootstrap_with_another_enterprises_client_id_is_one_line(data_dir: Path):
    bootstrap("--client-id", "initech-app")
    code, output = invoke(
        *bootstrap_args("Initrode", "boss@initrode.test", "--client-id", "initech-app")
    )
    assert code == 1
    assert output.strip().splitlines() == [
        "error: the client id 'initech-app' belongs to enterprise 'Initech': run bootstrap "
        "with --enterprise Initech, or choose another --client-id"
    ]
    assert count_rows(data_dir, "enterprises") == 1


def test_bootstrap_again_without_client_id_resets_the_existing_application(data_dir: Path):
    first = bootstrap("--client-id", "payroll")
    code, output = invoke(*bootstrap_args("Initech", "boss@initech.test"))
    assert code == 0, output
    assert count_rows(data_dir, "applications") == 1
    assert output.startswith(
        f"Signflow found enterprise 'Initech' (id {first['enterprise_id']}), set the admin "
        "password of boss@initech.test and a new secret for 'payroll'."
    )
    assert "demo" not in output.lower()
    assert "a good long password" not in output  # the typed password is not repeated


def test_bootstrap_of_the_demo_enterprise_keeps_its_one_application(data_dir: Path):
    import asyncio

    from signflow.config import Settings
    from signflow.enterprise_setup import DEMO_ENTERPRISE, create_demo_enterprise

    assert invoke("migrate")[0] == 0
    demo = asyncio.run(create_demo_enterprise(Settings(data_dir=data_dir), "first password 123"))
    assert demo is not None
    code, output = invoke(*bootstrap_args(DEMO_ENTERPRISE, "admin@example.com", "--json"))
    assert code == 0, output
    body = json.loads(output.strip().splitlines()[-1])
    assert body["client_id"] == "demo-app"
    assert count_rows(data_dir, "applications") == 1
    assert count_rows(data_dir, "enterprises") == 1


def test_bootstrap_of_a_new_enterprise_says_it_created_it(data_dir: Path):
    result = CliRunner().invoke(app, bootstrap_args("Initech", "boss@initech.test"))
    assert result.exit_code == 0, result.output
    output = result.stdout
    assert output.startswith("Signflow created enterprise 'Initech' (id ")
    assert "client_id       initech-app" in output
    assert '--data-urlencode password="$ADMIN_PASSWORD"' in output


def test_apikey_for_an_unknown_enterprise_names_the_known_ones(data_dir: Path):
    bootstrap()
    code, output = invoke("apikey", "list", "--enterprise", "Initrode")
    assert code == 1
    assert output.strip().splitlines() == [
        "error: no enterprise named 'Initrode'; --enterprise takes one of: 'Initech'"
    ]


def _draft_package(enterprise_id: int, name: str) -> int:
    """A draft with a history of its own, written through the core."""
    from sqlalchemy import select

    from signflow.audit.history import SYSTEM, record
    from signflow.config import Settings
    from signflow.context import AppContext
    from signflow.db import transaction
    from signflow.models import Package, User

    async def create() -> int:
        context = AppContext.create(Settings())
        try:
            async with transaction(context.sessions) as session:
                owner = await session.scalar(
                    select(User).where(User.enterprise_id == enterprise_id)
                )
                assert owner is not None
                package = Package(enterprise_id=enterprise_id, owner_id=owner.id, name=name)
                session.add(package)
                await session.flush()
                await record(session, package.id, "PACKAGE_CREATED", SYSTEM, {"package_name": name})
                return package.id
        finally:
            await context.close()

    return asyncio.run(create())


def test_packages_delete_records_the_deletion_and_refuses_what_policy_keeps(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    enterprise_id = int(str(bootstrap()["enterprise_id"]))
    kept = _draft_package(enterprise_id, "Kept")
    gone = _draft_package(enterprise_id, "Gone")
    runner = CliRunner()

    unknown = runner.invoke(app, ["packages", "delete", "--enterprise", "Initech", "999999"])
    assert unknown.exit_code == 1
    assert "error: enterprise 'Initech' has no package 999999" in unknown.output

    deleted = runner.invoke(
        app, ["packages", "delete", "--enterprise", "Initech", str(gone), "--operator", "ops"]
    )
    assert deleted.exit_code == 0, deleted.output
    assert f"deleted package {gone} (DRAFT) for good" in deleted.output
    listed = runner.invoke(app, ["packages", "deletions", "--enterprise", "Initech"])
    assert listed.exit_code == 0, listed.output
    assert f"package {gone}\tDRAFT\toperator\tby ops\thistory 1 entries" in listed.output
    assert f"package {kept}" not in listed.output

    verified = runner.invoke(app, ["audit", "verify", "--all"])
    assert verified.exit_code == 0, verified.output
    assert "1 packages checked, 0 broken" in verified.output

    monkeypatch.setenv("SIGNFLOW_LEGAL_HOLD", "true")
    held = runner.invoke(app, ["packages", "delete", "--enterprise", "Initech", str(kept)])
    assert held.exit_code == 1
    assert "not deleted: A legal hold is in force" in held.output

    off = runner.invoke(app, ["retention", "run"])
    assert off.exit_code == 1
    assert "SIGNFLOW_RETENTION_DAYS is 0" in off.output
    monkeypatch.setenv("SIGNFLOW_RETENTION_DAYS", "30")
    monkeypatch.delenv("SIGNFLOW_LEGAL_HOLD")
    ran = runner.invoke(app, ["retention", "run"])
    assert ran.exit_code == 0, ran.output
    assert "purged 0 packages, 0 failed" in ran.output


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_a_long_term_level_without_a_tsa_is_a_startup_error_naming_the_setting(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, level: str
):
    monkeypatch.setenv("SIGNFLOW_SIGNATURE_LEVEL", level)
    monkeypatch.delenv("SIGNFLOW_TSA_URL", raising=False)
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert f"SIGNFLOW_SIGNATURE_LEVEL={level} needs SIGNFLOW_TSA_URL" in result.output
    assert not (data_dir / "signflow.db").exists()
