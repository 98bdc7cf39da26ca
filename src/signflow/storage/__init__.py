"""Blob stores (filesystem; database) behind one interface."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.storage.base import BlobNotFound, BlobStore, InvalidBlobId
from signflow.storage.database import DatabaseBlobStore
from signflow.storage.filesystem import FilesystemBlobStore

BLOB_STORE_KINDS = ("filesystem", "database")

__all__ = [
    "BLOB_STORE_KINDS",
    "BlobNotFound",
    "BlobStore",
    "DatabaseBlobStore",
    "FilesystemBlobStore",
    "InvalidBlobId",
    "create_blob_store",
]


def create_blob_store(
    kind: str, data_dir: Path, session_factory: async_sessionmaker[AsyncSession]
) -> BlobStore:
    """The configured store: "filesystem" keeps blobs in data_dir/blobs, "database" in `blobs`."""
    if kind == "filesystem":
        return FilesystemBlobStore(data_dir / "blobs")
    if kind == "database":
        return DatabaseBlobStore(session_factory)
    raise ValueError(f"Unknown blob store {kind!r}; choose one of {', '.join(BLOB_STORE_KINDS)}")
