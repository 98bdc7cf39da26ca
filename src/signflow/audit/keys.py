"""The keys of the history, derived from SECRET_KEY per enterprise and never stored.

Each purpose has its own key, so a value made for one (a personal-data digest kept in
an erased row) can never be passed off as another (a chain link or a checkpoint).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from functools import lru_cache

from signflow.sealing import derive_key


@dataclass(frozen=True)
class HistoryKeys:
    link: bytes
    """Keys each entry's link (its entry_hash)."""
    personal: bytes
    """Keys the digests of personal data the links cover (what erasure leaves behind)."""
    head: bytes
    """Keys the package's head seal (history_head_mac)."""
    checkpoint: bytes
    """Keys the enterprise's checkpoints."""


@lru_cache(maxsize=1024)
def history_keys(secret_key: str, enterprise_id: int) -> HistoryKeys:
    def key(purpose: str) -> bytes:
        return derive_key(secret_key, f"signflow history {purpose} enterprise {enterprise_id}")

    return HistoryKeys(
        link=key("link"), personal=key("personal"), head=key("head"), checkpoint=key("checkpoint")
    )


def mac(key: bytes, message: bytes) -> str:
    return hmac.digest(key, message, "sha256").hex()


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a, b)
