"""Blobs as files under a root directory: root/ab/cd/<sha256>."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from signflow.file_modes import private_directory
from signflow.storage.base import (
    CHUNK_SIZE,
    BlobNotFound,
    BlobStore,
    check_sha256,
    sha256_of,
    too_large,
)
from signflow.storage.spool import SpooledFile


class FilesystemBlobStore(BlobStore):
    """Each blob is written to a temporary file in its final directory, fsynced, then renamed
    into place, so a reader never sees a partial blob, even after a crash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / "incoming"

    def path_of(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, data: bytes) -> str:
        sha256 = sha256_of(data)
        await asyncio.to_thread(self._write, sha256, data)
        return sha256

    def _write(self, sha256: str, data: bytes) -> None:
        target = self.path_of(sha256)
        if _touch_existing(target):
            return
        private_directory(target.parent)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            Path(temp).replace(target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                Path(temp).unlink()
            raise
        _fsync_directory(target.parent)

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> tuple[str, int]:
        """Spool to a temporary file while hashing, so a large upload is held once, on disk."""
        await asyncio.to_thread(private_directory, self._incoming)
        fd, temp_name = await asyncio.to_thread(
            tempfile.mkstemp, dir=self._incoming, prefix="upload-"
        )
        temp = Path(temp_name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as file:
                async for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise too_large(max_bytes)
                    digest.update(chunk)
                    await asyncio.to_thread(file.write, chunk)
                await asyncio.to_thread(_flush_and_sync, file)
            sha256 = digest.hexdigest()
            await asyncio.to_thread(self._move_into_place, temp, sha256)
        finally:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(temp.unlink)
        return sha256, size

    @property
    def spool_directory(self) -> Path:
        return self._incoming  # on the blobs' file system, so put_file is a rename

    async def put_file(self, spooled: SpooledFile) -> str:
        """Move the spooled file into place (fsynced first): no copy, nothing in memory."""
        check_sha256(spooled.sha256)
        await asyncio.to_thread(self._adopt, spooled.path, spooled.sha256)
        return spooled.sha256

    def _adopt(self, temp: Path, sha256: str) -> None:
        if _touch_existing(self.path_of(sha256)):
            return
        with temp.open("rb+") as file:
            os.fsync(file.fileno())
        if temp.parent.resolve().stat().st_dev == self.root.resolve().stat().st_dev:
            self._move_into_place(temp, sha256)
        else:  # spooled elsewhere: copy it in, atomically
            self._write(sha256, temp.read_bytes())

    def _move_into_place(self, temp: Path, sha256: str) -> None:
        target = self.path_of(sha256)
        if _touch_existing(target):
            return
        private_directory(target.parent)
        temp.replace(target)
        _fsync_directory(target.parent)

    async def get(self, sha256: str) -> bytes:
        path = self.path_of(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def size(self, sha256: str) -> int:
        path = self.path_of(sha256)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    async def delete(self, sha256: str) -> bool:
        path = self.path_of(sha256)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    async def delete_if_untouched_since(self, sha256: str, since: dt.datetime) -> bool:
        return await asyncio.to_thread(self._delete_if_untouched, self.path_of(sha256), since)

    @staticmethod
    def _delete_if_untouched(path: Path, since: dt.datetime) -> bool:
        try:
            if path.stat().st_mtime >= since.timestamp():
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    async def open_stream(
        self, sha256: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        path = self.path_of(sha256)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None
        return _read_chunks(file, chunk_size)


async def _read_chunks(file: BinaryIO, chunk_size: int) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(file.read, chunk_size):
            yield chunk
    finally:
        await asyncio.to_thread(file.close)


def _touch_existing(path: Path) -> bool:
    """Whether the blob is stored already; if so, its modification time becomes now (the
    blob is in use again: see BlobStore)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _flush_and_sync(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry itself is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
