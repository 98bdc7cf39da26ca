"""The blob store interface: content-addressed bytes, keyed by their SHA-256.

SignflowError
├── BadRequest
│   └── InvalidBlobId     not a lowercase SHA-256 hex digest
└── BlobNotFound (500)    a blob the caller expected is missing: a storage fault
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from pathlib import Path

from signflow.errors import BadRequest, PayloadTooLarge, SignflowError
from signflow.storage.spool import SpooledFile

CHUNK_SIZE = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(SignflowError):
    """Callers reach blobs through rows that reference them, so a missing one is a server fault."""

    status_code = 500

    def __init__(self, sha256: str) -> None:
        super().__init__(f"Blob {sha256} is missing from the blob store", value=sha256)
        self.sha256 = sha256


class InvalidBlobId(BadRequest):
    pass


def check_sha256(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise InvalidBlobId(f"{sha256[:80]!r} is not a blob id (64 lowercase hex digits)")
    return sha256


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The upload is larger than the limit of {max_bytes} bytes")


class BlobStore(ABC):
    """Content-addressed storage. Writing the same bytes twice stores them once.

    Writing bytes the store holds already marks the blob as used now (its "touched"
    time), so that removing blobs no row references any more (retention/blobs.py) can
    leave alone one a request has just stored again and not yet committed a row for.
    """

    @abstractmethod
    async def put(self, data: bytes) -> str:
        """Store `data`; return its SHA-256 hex digest."""

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> tuple[str, int]:
        """Store a stream; return (sha256, size). PayloadTooLarge past `max_bytes`.

        This default collects the chunks in memory; stores that can spool to disk override it.
        """
        parts: list[bytes] = []
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise too_large(max_bytes)
            parts.append(chunk)
        data = b"".join(parts)
        return await self.put(data), size

    @property
    def spool_directory(self) -> Path | None:
        """Where uploads are spooled before put_file (None: the system's temporary dir)."""
        return None

    async def put_file(self, spooled: SpooledFile) -> str:
        """Store a spooled upload; return its SHA-256. The file may be moved away.

        This default reads it into memory; stores that keep files on disk override it."""
        data = await spooled.read_bytes()
        sha256 = await self.put(data)
        if sha256 != spooled.sha256:  # pragma: no cover  (changed on disk meanwhile)
            raise RuntimeError("the spooled upload changed before it was stored")
        return sha256

    @abstractmethod
    async def get(self, sha256: str) -> bytes:
        """The blob's bytes; BlobNotFound if it is missing."""

    @abstractmethod
    async def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    async def size(self, sha256: str) -> int:
        """The blob's size in bytes; BlobNotFound if it is missing."""

    @abstractmethod
    async def delete(self, sha256: str) -> bool:
        """Remove the blob; True if it existed."""

    @abstractmethod
    async def delete_if_untouched_since(self, sha256: str, since: dt.datetime) -> bool:
        """Remove the blob unless it was written (or written again) at or after `since`;
        True if it was removed."""

    @abstractmethod
    async def open_stream(
        self, sha256: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        """Check the blob exists (BlobNotFound if not), then return an iterator over its chunks.

        Awaited before iterating, so a missing blob fails before a response starts streaming.
        """
