from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from signflow.storage import DatabaseBlobStore, FilesystemBlobStore, create_blob_store


def test_filesystem_store_keeps_blobs_under_the_data_dir(
    tmp_path: Path, sqlite_engine: AsyncEngine
) -> None:
    store = create_blob_store("filesystem", tmp_path, async_sessionmaker(sqlite_engine))
    assert isinstance(store, FilesystemBlobStore)
    assert store.root == tmp_path / "blobs"


def test_database_store(tmp_path: Path, sqlite_engine: AsyncEngine) -> None:
    store = create_blob_store("database", tmp_path, async_sessionmaker(sqlite_engine))
    assert isinstance(store, DatabaseBlobStore)


def test_unknown_kind_names_the_choices(tmp_path: Path, sqlite_engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="choose one of filesystem, database"):
        create_blob_store("s3", tmp_path, async_sessionmaker(sqlite_engine))
