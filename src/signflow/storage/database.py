"""Blobs as rows of the `blobs` table, for deployments whose processes share only the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.db import utcnow
from signflow.models.blob import Blob
from signflow.storage.base import CHUNK_SIZE, BlobNotFound, BlobStore, check_sha256, sha256_of


class DatabaseBlobStore(BlobStore):
    """Each call runs in its own short transaction, not the caller's.

    So a request that rolls back may leave an unreferenced blob behind (harmless:
    content-addressed, and collectable later). On SQLite, write blobs before the
    request's own transaction writes: SQLite has one writer at a time.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def put(self, data: bytes) -> str:
        sha256 = sha256_of(data)
        async with self._sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            now = utcnow()
            # Stored already: only its `created_at` moves to now (in use again: BlobStore).
            statement = (
                insert(Blob)
                .values(sha256=sha256, size=len(data), data=data, created_at=now)
                .on_conflict_do_update(index_elements=["sha256"], set_={"created_at": now})
            )
            await session.execute(statement)
        return sha256

    async def get(self, sha256: str) -> bytes:
        check_sha256(sha256)
        async with self._sessions() as session:
            data = await session.scalar(select(Blob.data).where(Blob.sha256 == sha256))
        if data is None:
            raise BlobNotFound(sha256)
        return bytes(data)

    async def exists(self, sha256: str) -> bool:
        check_sha256(sha256)
        async with self._sessions() as session:
            found = await session.scalar(select(Blob.sha256).where(Blob.sha256 == sha256))
        return found is not None

    async def size(self, sha256: str) -> int:
        check_sha256(sha256)
        async with self._sessions() as session:
            size = await session.scalar(select(Blob.size).where(Blob.sha256 == sha256))
        if size is None:
            raise BlobNotFound(sha256)
        return size

    async def delete(self, sha256: str) -> bool:
        check_sha256(sha256)
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(Blob).where(Blob.sha256 == sha256))
        return bool(getattr(result, "rowcount", 0))

    async def delete_if_untouched_since(self, sha256: str, since: dt.datetime) -> bool:
        check_sha256(sha256)
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(Blob).where(Blob.sha256 == sha256, Blob.created_at < since)
            )
        return bool(getattr(result, "rowcount", 0))

    async def open_stream(
        self, sha256: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        size = await self.size(sha256)
        return self._chunks(sha256, size, chunk_size)

    async def _chunks(self, sha256: str, size: int, chunk_size: int) -> AsyncIterator[bytes]:
        # One slice per query (substr is 1-based on both SQLite and PostgreSQL), so a
        # download holds one chunk in memory, not the whole blob.
        for offset in range(0, size, chunk_size):
            async with self._sessions() as session:
                chunk = await session.scalar(
                    select(func.substr(Blob.data, offset + 1, chunk_size)).where(
                        Blob.sha256 == sha256
                    )
                )
            if chunk is None:
                raise BlobNotFound(sha256)
            yield bytes(chunk)
