"""Uploads spooled to a temporary file while they arrive, hashed on the way, so a large
body is never held in memory: intake reads the file, the blob store moves it into place."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from signflow.errors import PayloadTooLarge
from signflow.file_modes import private_directory

# Chunks are gathered up to this size before one write (each write is a thread hop).
WRITE_BATCH = 1024 * 1024


@dataclass
class SpooledFile:
    """A finished upload on disk: its path, SHA-256 and size. `discard` when done; a blob
    store that takes the file over (FilesystemBlobStore.put_file) moves it away."""

    path: Path
    sha256: str
    size: int

    async def read_bytes(self) -> bytes:
        return await asyncio.to_thread(self.path.read_bytes)

    def discard(self) -> None:
        _remove(self.path)


async def spool(
    chunks: AsyncIterator[bytes],
    *,
    directory: Path | None = None,
    max_bytes: int | None = None,
    too_large: Callable[[], PayloadTooLarge] = PayloadTooLarge,
) -> SpooledFile:
    """Write the chunks to a new temporary file in `directory` (the system's temporary
    directory by default), hashing them; raises `too_large()` once past `max_bytes`."""
    if directory is not None:
        await asyncio.to_thread(private_directory, directory)
    fd, name = await asyncio.to_thread(tempfile.mkstemp, dir=directory, prefix="upload-")
    path = Path(name)
    digest = hashlib.sha256()
    size = 0
    batch: list[bytes] = []
    batched = 0
    try:
        with os.fdopen(fd, "wb") as file:
            async for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise too_large()
                batch.append(chunk)
                batched += len(chunk)
                if batched >= WRITE_BATCH:
                    await asyncio.to_thread(_write, file, digest, batch)
                    batch, batched = [], 0
            if batch:
                await asyncio.to_thread(_write, file, digest, batch)
    except BaseException:
        _remove(path)
        raise
    return SpooledFile(path, digest.hexdigest(), size)


def _write(file: BinaryIO, digest: hashlib._Hash, batch: list[bytes]) -> None:
    for chunk in batch:
        digest.update(chunk)
        file.write(chunk)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
