"""Resolved bearer tokens and API keys kept for a few seconds, while the principal clock
stands still.

An entry is the copy of what one read of the database returned for a token (its grant,
user, enterprise and acting admin) or for an API key (its id and prefix, its
enterprise), stamped with the clock's word read when that read's transaction began. It
serves a request only while the clock still shows exactly that word (no change of a
watched row has begun since, none was in flight then), the access token has not expired,
and for at most `TTL_SECONDS`. Entries are keyed by the token's (or the key's) SHA-256,
never by the secret. The argument is in docs/accounts.md ("The principal cache").
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar, cast

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from signflow.accounts.principal import ApiKeyPrincipal, Principal
from signflow.accounts.principal_clock import PrincipalClock, in_flight
from signflow.db import Base
from signflow.models import Enterprise, User

# The session info key of the process's cache (None: no cache).
PRINCIPAL_CACHE_INFO = "signflow.principal_cache"
TTL_SECONDS = 5.0
MAX_ENTRIES = 4096
# Bearer tokens and API keys share one table; their hashes never meet.
_BEARER = "t:"
_API_KEY = "k:"

RowT = TypeVar("RowT", bound=Base)


@dataclass(frozen=True, slots=True)
class _TokenRows:
    user: User  # detached copies, never handed out: each hit merges them into its session
    enterprise: Enterprise
    actor: User | None
    grant_id: int
    must_change_password: bool


@dataclass(frozen=True, slots=True)
class _KeyRows:
    enterprise: Enterprise  # a detached copy, merged into each hit's session
    key_id: int
    key_prefix: str


@dataclass(frozen=True, slots=True)
class _Entry:
    word: int
    fresh_until: float  # time.monotonic()
    expires_at: float  # the credential's expiry, as a Unix time
    rows: _TokenRows | _KeyRows


def detached_copy(row: RowT) -> RowT:
    """A detached instance with the row's loaded columns, shared by no session."""
    mapper = inspect(type(row))
    copy = cast(RowT, mapper.class_manager.new_instance())
    loaded = row.__dict__
    for attribute in mapper.column_attrs:
        if attribute.key in loaded:
            set_committed_value(copy, attribute.key, loaded[attribute.key])
    make_transient_to_detached(copy)
    return copy


class PrincipalCache:
    """Bearer tokens and API keys, each under its own namespace of one LRU table."""

    def __init__(self, clock: PrincipalClock, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self.clock = clock
        self._ttl = ttl_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, access_hash: str, session: Session) -> Principal | None:
        """The cached principal of the token, its rows merged into `session` without a
        statement; None when there is no valid entry."""
        rows = self._valid(_BEARER + access_hash)
        if not isinstance(rows, _TokenRows):
            return None
        return Principal(
            user=session.merge(rows.user, load=False),
            enterprise=session.merge(rows.enterprise, load=False),
            grant_id=rows.grant_id,
            actor=session.merge(rows.actor, load=False) if rows.actor is not None else None,
            must_change_password=rows.must_change_password,
        )

    def put(self, access_hash: str, word: int, principal: Principal, expires_at: float) -> None:
        """Keep what a read stamped with `word` (the clock at its transaction's begin)
        returned; nothing is kept when a change was in flight then."""
        if in_flight(word):
            return
        actor = principal.actor
        rows = _TokenRows(
            user=detached_copy(principal.user),
            enterprise=detached_copy(principal.enterprise),
            actor=detached_copy(actor) if actor is not None else None,
            grant_id=principal.grant_id,
            must_change_password=principal.must_change_password,
        )
        self._keep(_BEARER + access_hash, word, expires_at, rows)

    def get_api_key(self, key_hash: str, session: Session) -> ApiKeyPrincipal | None:
        """The cached holder of the API key, its enterprise merged into `session` without
        a statement; None when there is no valid entry."""
        rows = self._valid(_API_KEY + key_hash)
        if not isinstance(rows, _KeyRows):
            return None
        return ApiKeyPrincipal(
            enterprise=session.merge(rows.enterprise, load=False),
            key_id=rows.key_id,
            key_prefix=rows.key_prefix,
        )

    def put_api_key(self, key_hash: str, word: int, holder: ApiKeyPrincipal) -> None:
        """As `put`, for a key (keys do not expire: only revocation ends them)."""
        if in_flight(word):
            return
        rows = _KeyRows(
            enterprise=detached_copy(holder.enterprise),
            key_id=holder.key_id,
            key_prefix=holder.key_prefix,
        )
        self._keep(_API_KEY + key_hash, word, math.inf, rows)

    def _valid(self, key: str) -> _TokenRows | _KeyRows | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            entry.word != self.clock.read()
            or time.monotonic() >= entry.fresh_until
            or time.time() >= entry.expires_at
        ):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.rows

    def _keep(self, key: str, word: int, expires_at: float, rows: _TokenRows | _KeyRows) -> None:
        self._entries[key] = _Entry(
            word=word, fresh_until=time.monotonic() + self._ttl, expires_at=expires_at, rows=rows
        )
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


def principal_cache_of(session: AsyncSession) -> PrincipalCache | None:
    cache: PrincipalCache | None = session.info.get(PRINCIPAL_CACHE_INFO)
    return cache
