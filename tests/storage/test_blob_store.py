"""The BlobStore contract, run against every store."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
from collections.abc import AsyncIterator

import pytest

from signflow.db import utcnow
from signflow.errors import PayloadTooLarge
from signflow.storage import BlobNotFound, BlobStore, InvalidBlobId

MISSING = "0" * 64


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _collect(stream: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in stream]


async def test_put_returns_the_sha256_and_get_returns_the_bytes(store: BlobStore) -> None:
    data = b"%PDF-1.7 pretend"
    sha256 = await store.put(data)
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert await store.get(sha256) == data
    assert await store.exists(sha256)
    assert await store.size(sha256) == len(data)


async def test_put_is_idempotent(store: BlobStore) -> None:
    first = await store.put(b"same")
    second = await store.put(b"same")
    assert first == second
    assert await store.get(first) == b"same"


async def test_concurrent_puts_of_the_same_bytes_all_succeed(store: BlobStore) -> None:
    data = os.urandom(50_000)
    results = await asyncio.gather(*(store.put(data) for _ in range(8)))
    assert set(results) == {hashlib.sha256(data).hexdigest()}
    assert await store.get(results[0]) == data


async def test_empty_blob(store: BlobStore) -> None:
    sha256 = await store.put(b"")
    assert await store.get(sha256) == b""
    assert await _collect(await store.open_stream(sha256)) == []


async def test_missing_blob_is_a_clear_error(store: BlobStore) -> None:
    assert not await store.exists(MISSING)
    for call in (store.get, store.size, store.open_stream):
        with pytest.raises(BlobNotFound, match=f"Blob {MISSING} is missing"):
            await call(MISSING)


async def test_delete(store: BlobStore) -> None:
    sha256 = await store.put(b"to be removed")
    assert await store.delete(sha256) is True
    assert not await store.exists(sha256)
    assert await store.delete(sha256) is False
    with pytest.raises(BlobNotFound):
        await store.get(sha256)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "abc", "g" * 64, ""])
async def test_ids_that_are_not_sha256_are_refused(store: BlobStore, bad: str) -> None:
    for call in (store.get, store.exists, store.delete, store.size, store.open_stream):
        with pytest.raises(InvalidBlobId):
            await call(bad)


async def test_open_stream_yields_the_blob_in_chunks(store: BlobStore) -> None:
    data = os.urandom(2_500_000)
    sha256 = await store.put(data)
    chunks = await _collect(await store.open_stream(sha256, chunk_size=1_000_000))
    assert [len(c) for c in chunks] == [1_000_000, 1_000_000, 500_000]
    assert b"".join(chunks) == data


async def test_put_stream_hashes_and_stores(store: BlobStore) -> None:
    parts = [os.urandom(300_000) for _ in range(4)]
    sha256, size = await store.put_stream(_chunks(*parts))
    data = b"".join(parts)
    assert (sha256, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert await store.get(sha256) == data


async def test_put_stream_refuses_past_the_limit_and_stores_nothing(store: BlobStore) -> None:
    with pytest.raises(PayloadTooLarge, match="limit of 10 bytes"):
        await store.put_stream(_chunks(b"12345", b"67890", b"X"), max_bytes=10)
    assert not await store.exists(hashlib.sha256(b"1234567890X").hexdigest())
    sha256, size = await store.put_stream(_chunks(b"12345", b"67890"), max_bytes=10)
    assert size == 10
    assert await store.get(sha256) == b"1234567890"


async def test_delete_if_untouched_since_spares_a_blob_stored_again(store: BlobStore) -> None:
    sha256 = await store.put(b"shared bytes")
    before_second_put = utcnow()
    await asyncio.sleep(0.02)
    # Stored again (another upload of the same bytes): in use since then.
    assert await store.put(b"shared bytes") == sha256
    assert not await store.delete_if_untouched_since(sha256, before_second_put)
    assert await store.get(sha256) == b"shared bytes"
    # Nobody stored it after this moment: it goes.
    assert await store.delete_if_untouched_since(sha256, utcnow() + dt.timedelta(seconds=1))
    assert not await store.exists(sha256)
    assert not await store.delete_if_untouched_since(sha256, utcnow())
