"""Uploads spooled to disk while they arrive, then stored without a copy in memory."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from signflow.errors import PayloadTooLarge
from signflow.storage import BlobStore, FilesystemBlobStore
from signflow.storage.spool import spool


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_spool_writes_hashes_and_sizes(tmp_path: Path) -> None:
    parts = [b"a" * 700_000, b"b" * 700_000, b"c"]
    spooled = await spool(_chunks(*parts), directory=tmp_path / "in")
    data = b"".join(parts)
    assert spooled.size == len(data)
    assert spooled.sha256 == hashlib.sha256(data).hexdigest()
    assert spooled.path.parent == tmp_path / "in"
    assert await spooled.read_bytes() == data
    spooled.discard()
    spooled.discard()  # twice is harmless
    assert not spooled.path.exists()


async def test_spool_refuses_past_the_limit_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(PayloadTooLarge):
        await spool(_chunks(b"x" * 600, b"x" * 600), directory=tmp_path, max_bytes=1000)
    assert list(tmp_path.iterdir()) == []


async def test_put_file_stores_the_spooled_upload(store: BlobStore, tmp_path: Path) -> None:
    data = b"%PDF-1.7 spooled" * 10_000
    spooled = await spool(_chunks(data), directory=store.spool_directory or tmp_path)
    sha256 = await store.put_file(spooled)
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert await store.get(sha256) == data
    spooled.discard()
    again = await spool(_chunks(data), directory=store.spool_directory or tmp_path)
    assert await store.put_file(again) == sha256  # already there: stored once
    again.discard()


async def test_filesystem_put_file_moves_the_file_into_place(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    spooled = await spool(_chunks(b"moved"), directory=store.spool_directory)
    sha256 = await store.put_file(spooled)
    assert not spooled.path.exists()
    assert store.path_of(sha256).read_bytes() == b"moved"
