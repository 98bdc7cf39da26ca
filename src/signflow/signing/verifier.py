"""Verification for the API: in threads, bounded in number and time, cached per version.

A verification is CPU-bound pyHanko work. It runs in a worker thread, at most
`verification_concurrency` at once, so the event loop keeps answering (/healthz
among others). A caller waits at most `verification_timeout_seconds` (the queue
included) and then gets a 503; the verification itself goes on and its result is
cached, so asking again later answers at once. Results are kept per document
version (the SHA-256 of its bytes) and set of trust roots for a while: the same
bytes give the same answer until a certificate's validity or the trust changes.
Requests for a version being verified wait for that one verification.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signflow.errors import ServiceUnavailable
from signflow.signing.verify import SignatureReport, verify_pdf

CACHE_SECONDS = 600.0
CACHE_SIZE = 512

Reports = list[SignatureReport]
CacheKey = tuple[str, str]


def roots_fingerprint(roots: Sequence[x509.Certificate]) -> str:
    digest = hashlib.sha256()
    for der in sorted(r.public_bytes(serialization.Encoding.DER) for r in roots):
        digest.update(hashlib.sha256(der).digest())
    return digest.hexdigest()


class Verifier:
    def __init__(
        self,
        timeout_seconds: float,
        concurrency: int,
        cache_seconds: float = CACHE_SECONDS,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._slots = asyncio.Semaphore(concurrency)
        self._cache: OrderedDict[CacheKey, tuple[float, Reports]] = OrderedDict()
        self._running: dict[CacheKey, asyncio.Task[Reports]] = {}
        self.runs = 0
        """Verifications actually run (not answered from the cache or a running one)."""
        self.active = 0
        """Verifications running in their threads now."""

    def cached(self, key: CacheKey) -> Reports | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        stored_at, reports = entry
        if time.monotonic() - stored_at > self.cache_seconds:
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return reports

    async def verify(
        self,
        sha256: str,
        roots: Sequence[x509.Certificate],
        load: Callable[[], Awaitable[bytes]],
    ) -> Reports:
        """The reports for the version with this SHA-256 (its bytes from `load`)."""
        key = (sha256, roots_fingerprint(roots))
        reports = self.cached(key)
        if reports is not None:
            return reports
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(self._run(key, roots, load))
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.timeout_seconds)
        except TimeoutError as exc:
            raise ServiceUnavailable(
                f"The verification did not finish within {self.timeout_seconds:g} s;"
                " it goes on, ask again later"
            ) from exc

    async def _run(
        self,
        key: CacheKey,
        roots: Sequence[x509.Certificate],
        load: Callable[[], Awaitable[bytes]],
    ) -> Reports:
        pdf = await load()
        async with self._slots:
            self.runs += 1
            self.active += 1
            try:
                return await asyncio.to_thread(verify_pdf, pdf, list(roots))
            finally:
                self.active -= 1

    def _finished(self, key: CacheKey, task: asyncio.Task[Reports]) -> None:
        self._running.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return  # the callers waiting get the error; nothing is cached
        self._cache[key] = (time.monotonic(), task.result())
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
