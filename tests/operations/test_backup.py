"""`signflow backup` under write load, `signflow restore` elsewhere: the restored instance
passes `signflow audit verify --all` and every signed document validates (the API's
verification and poppler's pdfsig)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from signflow.app import create_app
from signflow.context import AppContext
from signflow.migrate import migrate
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import Tenant, bearer, make_tenant
from tests.operations.processes import SIGNFLOW, clean_env
from tests.signing.checks import assert_pdfsig_valid
from tests.workflow.helpers import People, act, add_users, new_package, share

BOX = {"x": 72, "y": 72, "width": 150, "height": 50}


def env_for(database_url: str, data_dir: Path) -> dict[str, str]:
    return clean_env(
        SIGNFLOW_ENV="test",
        SIGNFLOW_SECRET_KEY=TEST_SECRET,
        SIGNFLOW_DATABASE_URL=database_url,
        SIGNFLOW_DATA_DIR=str(data_dir),
        SIGNFLOW_LOG_LEVEL="WARNING",
    )


async def signflow(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        SIGNFLOW, *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def signed_package(people: People) -> tuple[int, int]:
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    field = await people.client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={"order": 1, "page_no": 1, "field_name": "Ana", "dimensions": BOX},
        headers=people.owner,
    )
    assert field.status_code == 200, field.text
    await share(people, package_id)
    signed = await people.client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "Ana"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    return package_id, document_id


@pytest.fixture
async def restore_target(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """Where the backup goes back to: a new SQLite file, or a new empty PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'signflow.db'}"
        return
    url = make_url(database_url)
    name = f"signflow_restored_{os.getpid()}"
    admin = url.set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def test_backup_under_load_restores_to_a_verifiable_instance(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    database_url: str,
    restore_target: str,
    tmp_path: Path,
):
    people = await People(client, context, tenant).start("ana")
    signed = [await signed_package(people) for _ in range(2)]

    writes = 0
    stop = asyncio.Event()

    async def keep_writing() -> None:
        nonlocal writes
        while not stop.is_set():
            package_id, _ = await new_package(people, name=f"Load {writes}")
            await add_users(people, package_id, [("ana", "SIGNER")])
            writes += 1

    load = asyncio.create_task(keep_writing())
    try:
        while writes < 2:  # the load is under way before the backup starts
            await asyncio.sleep(0.05)
        during = writes
        data_dir = context.settings.data_dir
        code, out, err = await signflow(
            "backup", str(tmp_path / "backup"), env=env_for(database_url, data_dir)
        )
        assert code == 0, err
        written_meanwhile = writes - during
    finally:
        stop.set()
        await load
    assert written_meanwhile > 0, "no write happened while the backup ran"
    assert out.startswith(f"backup written to {tmp_path / 'backup'}: ")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {f["path"].split("/")[0] for f in manifest["files"]} >= {"blobs"}
    assert manifest["secret_key"]["included"] is False  # a configured key is never copied

    restored_dir = tmp_path / "restored"
    restored_env = env_for(restore_target, restored_dir)
    code, out, err = await signflow("restore", str(tmp_path / "backup"), env=restored_env)
    assert code == 0, err
    code, out, err = await signflow("audit", "verify", "--all", env=restored_env)
    assert code == 0, out + err
    summary = out.strip().splitlines()[-1]
    restored_count = int(summary.split()[0])
    assert summary == f"{restored_count} packages checked, 0 broken"
    # Everything acknowledged before the backup began is there; what came later may be.
    assert 2 + during <= restored_count <= 2 + writes

    restored = AppContext.create(make_settings(restore_target, restored_dir))
    try:
        transport = httpx.ASGITransport(app=create_app(context=restored))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
            owner = await bearer(api, tenant, tenant.user_email)
            for package_id, document_id in signed:
                report = await api.get(f"/v3/packages/{package_id}/verification", headers=owner)
                assert report.status_code == 200, report.text
                [document] = report.json()
                assert [f["signature_status"] for f in document["fields"]] == ["VALID"]
                pdf = await api.get(
                    f"/v3/packages/{package_id}/documents/{document_id}", headers=owner
                )
                assert pdf.status_code == 200
                assert_pdfsig_valid(pdf.content, count=1)
    finally:
        await restored.close()


async def test_restore_checks_the_manifest_the_key_and_an_empty_target(tmp_path: Path):
    # The checks come before any database work: SQLite is enough.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'signflow.db'}"
    (tmp_path / "var").mkdir()
    await migrate(database_url)
    context = AppContext.create(make_settings(database_url, tmp_path / "var"))
    try:
        tenant = await make_tenant(context, "Backupco")
        transport = httpx.ASGITransport(app=create_app(context=context))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await new_package(await People(client, context, tenant).start("ana"))
    finally:
        await context.close()
    source_env = env_for(context.settings.effective_database_url, context.settings.data_dir)
    assert (await signflow("backup", str(tmp_path / "b"), env=source_env))[0] == 0

    # Into the instance it came from: not empty.
    code, _, err = await signflow("restore", str(tmp_path / "b"), env=source_env)
    assert (code, err.strip().splitlines()[-1]) == (
        1,
        f"error: {make_url(context.settings.effective_database_url).database} exists: "
        "restore into an empty data directory",
    )
    # A blob changed after the backup: named, nothing written.
    blob = next((tmp_path / "b" / "blobs").rglob("*"), None)
    while blob is not None and blob.is_dir():
        blob = next(blob.iterdir())
    assert blob is not None
    blob.write_bytes(blob.read_bytes() + b"tampered")
    target = tmp_path / "elsewhere"
    code, _, err = await signflow(
        "restore", str(tmp_path / "b"), env=env_for(f"sqlite+aiosqlite:///{target}/s.db", target)
    )
    relative = blob.relative_to(tmp_path / "b").as_posix()
    assert (code, err.strip()) == (1, f"error: {relative} does not match its hash in the manifest")
    assert not (target / "s.db").exists()
    # Another secret key: refused before anything is written.
    other = env_for(f"sqlite+aiosqlite:///{target}/s.db", target)
    other["SIGNFLOW_SECRET_KEY"] = "another-secret-key-that-is-long-enough-0123456789"
    blob.write_bytes(blob.read_bytes().removesuffix(b"tampered"))
    code, _, err = await signflow("restore", str(tmp_path / "b"), env=other)
    assert code == 1
    assert err.strip().startswith("error: SIGNFLOW_SECRET_KEY differs from the one the backup")
    assert not (target / "s.db").exists()
