"""`signflow backup DEST` and `signflow restore SOURCE`: a consistent copy of a Signflow.

A backup is a directory:

- `database.sqlite3` (SQLite, copied through SQLite's online backup API: one consistent
  snapshot while the server keeps writing) or `database.pgdump` (PostgreSQL, `pg_dump
  --format=custom`, itself one consistent snapshot). Signing keys are in it, sealed
  with SECRET_KEY, and so are the blobs when SIGNFLOW_BLOB_STORE=database.
- `blobs/`: the documents of the filesystem blob store. Blobs are written before the
  rows that name them and never change, so copying them after the database snapshot
  gives every blob the snapshot names.
- `secret_key`: only when the key is the one generated into DATA_DIR (development); a
  configured SIGNFLOW_SECRET_KEY is never written. Either way the manifest keeps a
  fingerprint of the key, so that a restore with another key stops before it starts
  (sealed keys could not be opened).
- `manifest.json`: the format, the database kind and its migration revision, and the
  SHA-256 and size of every other file. `restore` checks them all before it writes.

`restore` writes only into an empty target: no SQLite file / no table in the
PostgreSQL database, and no blob in DATA_DIR/blobs; then it applies the migrations.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

from signflow import __version__
from signflow.config import Settings
from signflow.migrate import migrate
from signflow.sealing import derive_key

FORMAT = "signflow-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PGDUMP_FILE = "database.pgdump"
BLOBS = "blobs"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """What went wrong, in one sentence with what to do."""


@dataclass(frozen=True)
class Summary:
    directory: Path
    database: str
    files: int
    blobs: int
    total_bytes: int

    def __str__(self) -> str:
        return (
            f"{self.directory}: {self.database} database, {self.blobs} blobs, "
            f"{self.files} files, {self.total_bytes} bytes"
        )


# --------------------------------------------------------------------------- helpers


def key_fingerprint(secret_key: str) -> str:
    """Tells two keys apart without revealing either (HKDF, then HMAC of a constant)."""
    derived = derive_key(secret_key, "signflow backup fingerprint")
    return hmac.new(derived, b"signflow", hashlib.sha256).hexdigest()[:32]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError(f"{url} names no SQLite file")
    return Path(database)


def libpq_environment(url: str) -> dict[str, str]:
    """pg_dump and pg_restore get the connection through PG* variables: a password never
    appears on a command line."""
    parsed: URL = make_url(url)
    env = {**os.environ}
    for name, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def postgres_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: apt-get install postgresql-client (the same major "
            "version as the server, or newer)"
        )
    return found


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_fetchval(url: str, query: str) -> Any:
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=10)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def _blob_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] != "incoming" and not path.name.startswith("."):
            yield path


# --------------------------------------------------------------------------- backup


def backup(settings: Settings, destination: Path) -> Summary:
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: give a new directory")
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = settings.effective_database_url
    if is_sqlite(url):
        kind, revision = "sqlite", _backup_sqlite(sqlite_path(url), destination / SQLITE_FILE)
    else:
        kind, revision = "postgresql", _backup_postgresql(url, destination / PGDUMP_FILE)
    blobs = 0
    if settings.blob_store == "filesystem":
        source_root = settings.data_dir / BLOBS
        for path in _blob_files(source_root):
            target = destination / BLOBS / path.relative_to(source_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            blobs += 1
    key_file = settings.data_dir / SECRET_KEY_FILE
    key_included = not settings.secret_key and key_file.is_file()
    if key_included:
        shutil.copyfile(key_file, destination / SECRET_KEY_FILE)
    files = []
    for path in sorted(destination.rglob("*")):
        if path.is_file():
            path.chmod(0o600)
            relative = path.relative_to(destination).as_posix()
            files.append(
                {"path": relative, "sha256": sha256_file(path), "size": path.stat().st_size}
            )
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "signflow_version": __version__,
        "database": {"kind": kind, "migration": revision},
        "blob_store": settings.blob_store,
        "secret_key": {
            "included": key_included,
            "fingerprint": key_fingerprint(settings.effective_secret_key),
        },
        "files": files,
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    (destination / MANIFEST).chmod(0o600)
    return Summary(destination, kind, len(files), blobs, sum(int(str(f["size"])) for f in files))


def _backup_sqlite(source: Path, target: Path) -> str:
    if not source.is_file():
        raise BackupError(f"no database at {source}: check SIGNFLOW_DATA_DIR")
    reader = sqlite3.connect(source, timeout=60)
    writer = sqlite3.connect(target)
    try:
        # One step: the copy is the database as of one moment, whatever is written meanwhile.
        reader.backup(writer)
        row = writer.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        writer.close()
        reader.close()
    return str(row[0]) if row else ""


def _backup_postgresql(url: str, target: Path) -> str:
    revision = asyncio.run(_pg_fetchval(url, "SELECT version_num FROM alembic_version"))
    done = subprocess.run(  # noqa: S603 (a fixed program and arguments)
        [
            postgres_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
        ],
        env=libpq_environment(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1:]}")
    return str(revision or "")


# --------------------------------------------------------------------------- restore


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest, after checking every file it lists (BackupError on the first fault)."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: not a Signflow backup")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{source} is a backup of format {manifest.get('format')!r}, not {FORMAT}"
        )
    for entry in manifest["files"]:
        file = source / entry["path"]
        if not file.is_file():
            raise BackupError(f"{entry['path']} is missing from the backup")
        if file.stat().st_size != entry["size"] or sha256_file(file) != entry["sha256"]:
            raise BackupError(f"{entry['path']} does not match its hash in the manifest")
    return manifest


def restore(settings: Settings, source: Path) -> Summary:
    manifest = read_manifest(source)
    url = settings.effective_database_url
    kind = manifest["database"]["kind"]
    if kind == "sqlite" and not is_sqlite(url):
        raise BackupError("this backup holds a SQLite database: unset SIGNFLOW_DATABASE_URL")
    if kind == "postgresql" and is_sqlite(url):
        raise BackupError("this backup holds a PostgreSQL dump: set SIGNFLOW_DATABASE_URL")
    if manifest["blob_store"] != settings.blob_store:
        raise BackupError(
            f"this backup was made with SIGNFLOW_BLOB_STORE={manifest['blob_store']}: set it so"
        )
    _check_empty_target(settings, url)
    _restore_secret_key(settings, source, manifest["secret_key"])
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / SQLITE_FILE, target)
    else:
        _restore_postgresql(url, source / PGDUMP_FILE)
    blobs = 0
    for entry in manifest["files"]:
        if entry["path"].startswith(f"{BLOBS}/"):
            target = settings.data_dir / entry["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / entry["path"], target)
            blobs += 1
    asyncio.run(migrate(url))
    return Summary(
        settings.data_dir,
        kind,
        len(manifest["files"]),
        blobs,
        sum(int(entry["size"]) for entry in manifest["files"]),
    )


def _check_empty_target(settings: Settings, url: str) -> None:
    if is_sqlite(url):
        if sqlite_path(url).exists():
            raise BackupError(f"{sqlite_path(url)} exists: restore into an empty data directory")
    else:
        tables = asyncio.run(
            _pg_fetchval(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        )
        if tables:
            name = make_url(url).database
            raise BackupError(
                f"the database {name!r} has {tables} tables: restore into an empty database "
                f"(createdb {name}_restored, and point SIGNFLOW_DATABASE_URL at it)"
            )
    if any(_blob_files(settings.data_dir / BLOBS)):
        raise BackupError(f"{settings.data_dir / BLOBS} holds blobs: restore into an empty one")


def _restore_secret_key(settings: Settings, source: Path, recorded: dict[str, Any]) -> None:
    key_file = settings.data_dir / SECRET_KEY_FILE
    if settings.secret_key:
        key = settings.secret_key
    elif key_file.is_file():
        key = key_file.read_text().strip()
    elif recorded["included"]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        shutil.copyfile(source / SECRET_KEY_FILE, key_file)
        key = key_file.read_text().strip()
    else:
        raise BackupError(
            "the backup was made with a configured SIGNFLOW_SECRET_KEY: set the same one"
        )
    if key_fingerprint(key) != recorded["fingerprint"]:
        raise BackupError(
            "SIGNFLOW_SECRET_KEY differs from the one the backup was made with: the signing "
            "keys sealed with it could not be opened; set the original key"
        )


def _restore_postgresql(url: str, dump: Path) -> None:
    done = subprocess.run(  # noqa: S603 (a fixed program and arguments)
        [
            postgres_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={make_url(url).database}",
            str(dump),
        ],
        env=libpq_environment(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip().splitlines()[-1:]}")
