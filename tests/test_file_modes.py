"""Everything Signflow writes to disk is private to its user: directories 0700, files 0600.

The processes under test run with the common umask 022, which alone gives 0755 and 0644:
what is checked is that Signflow does not depend on the umask it was started with.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import create_engine
from signflow.identity.sms import LogSmsChannel
from signflow.notify.mailer import FileMailer
from signflow.storage.filesystem import FilesystemBlobStore
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.notify.test_mailer import invitation
from tests.workflow.helpers import make_pdf

OPEN_UMASK = 0o022
SIGNFLOW = Path(sys.executable).with_name("signflow")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def assert_private_tree(root: Path) -> list[Path]:
    """Every directory under root (root too) is 0700 and every file 0600; returns the files."""
    assert mode(root) == 0o700, root
    files: list[Path] = []
    for directory, subdirectories, names in os.walk(root):
        for name in subdirectories:
            assert mode(Path(directory) / name) == 0o700, Path(directory) / name
        for name in names:
            path = Path(directory) / name
            assert mode(path) == 0o600, f"{path}: {oct(mode(path))}"
            files.append(path)
    return files


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(OPEN_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def run_signflow(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("SIGNFLOW_")
    }
    environment.update(SIGNFLOW_DATA_DIR=str(data_dir), SIGNFLOW_LOG_FORMAT="text", **env)
    result = subprocess.run(
        [str(SIGNFLOW), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        umask=OPEN_UMASK,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_commands_create_a_private_data_directory(tmp_path: Path):
    data_dir = tmp_path / "deployment" / "var"
    run_signflow(data_dir, "migrate")
    run_signflow(
        data_dir,
        "bootstrap",
        "--enterprise",
        "Initech",
        "--admin-email",
        "boss@initech.test",
        "--admin-password",
        "a good long password",
        "--json",
    )
    files = {path.name for path in assert_private_tree(data_dir)}
    assert {"signflow.db", "secret_key"} <= files
    # The parent the command had to create is private too.
    assert mode(data_dir.parent) == 0o700


def test_the_commands_tighten_what_an_earlier_version_left_open(tmp_path: Path):
    data_dir = tmp_path / "var"
    blob = data_dir / "blobs" / "ab" / "cd" / ("abcd" + "0" * 60)
    mail = data_dir / "mail" / "old.eml"
    sms = data_dir / "sms" / "old.txt"
    for path in (blob, mail, sms, data_dir / "secret_key"):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        path.write_text("x" * 48)
        path.chmod(0o644)
    data_dir.chmod(0o755)
    elsewhere = tmp_path / "db" / "signflow.db"
    elsewhere.parent.mkdir()
    run_signflow(data_dir, "migrate", SIGNFLOW_DATABASE_URL=f"sqlite+aiosqlite:///{elsewhere}")
    elsewhere.chmod(0o644)
    result = run_signflow(
        data_dir, "migrate", SIGNFLOW_DATABASE_URL=f"sqlite+aiosqlite:///{elsewhere}"
    )
    assert "made 1 files and directories private" in result.stderr
    assert set(assert_private_tree(data_dir)) == {blob, mail, sms, data_dir / "secret_key"}
    assert mode(elsewhere) == 0o600


async def test_the_sqlite_database_and_its_journal_files_are_0600(tmp_path: Path, open_umask: None):
    path = tmp_path / "signflow.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT x FROM t"))).scalar() == 1
            wal, shm = (tmp_path / "signflow.db-wal"), (tmp_path / "signflow.db-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        await engine.dispose()


async def test_blobs_mail_sms_and_the_secret_key_are_private(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, open_umask: None
):
    data_dir = context.settings.data_dir
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    await upload_document(client, owner, package_id, make_pdf())  # spooled, then moved
    assert isinstance(context.blobs, FilesystemBlobStore)
    await context.blobs.put(b"a small blob, written directly")
    await FileMailer(data_dir / "mail").send(invitation())
    await LogSmsChannel(data_dir / "sms").send("+34600000000", "Your code is 123456")
    generated = Settings(data_dir=data_dir / "development").effective_secret_key
    assert generated
    files = assert_private_tree(data_dir)
    assert {path.parent.name for path in files} >= {"mail", "sms", "development"}
    assert sum(1 for path in files if data_dir / "blobs" in path.parents) >= 2
