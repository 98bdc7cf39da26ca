from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from signflow.storage import FilesystemBlobStore


async def test_blob_lives_at_root_ab_cd_sha256(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    sha256 = await store.put(b"hello")
    path = tmp_path / sha256[:2] / sha256[2:4] / sha256
    assert path.read_bytes() == b"hello"
    assert store.path_of(sha256) == path


async def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a" * 1000
        yield b"b" * 1000

    await store.put(b"one")
    await store.put_stream(chunks())
    leftovers = [
        p for p in tmp_path.rglob("*") if p.is_file() and p.name.startswith((".", "upload-"))
    ]
    assert leftovers == []
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [hashlib.sha256(b"one").hexdigest(), hashlib.sha256(b"a" * 1000 + b"b" * 1000).hexdigest()]
    )


async def test_a_failed_stream_leaves_no_file(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)

    async def broken() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put_stream(broken())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


async def test_an_existing_blob_is_not_rewritten(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    sha256 = await store.put(b"content")
    before = store.path_of(sha256).stat().st_ino
    await store.put(b"content")
    assert store.path_of(sha256).stat().st_ino == before
