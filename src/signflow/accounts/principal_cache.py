"""Resolved bearer tokens kept for a few seconds, while the principal clock stands still.

An entry is the copy of what one read of the database returned for a token (its grant,
user, enterprise and acting admin), stamped with the clock's word read when that read's
transaction began. It serves a request only while the clock still shows exactly that word
(no change of a watched row has begun since, none was in flight then), the access token
has not expired, and for at most `TTL_SECONDS`. Entries are keyed by the token's SHA-256,
never by the token. The argument is in docs/accounts.md ("The principal cache").
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar, cast

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from signflow.accounts.principal import Principal
from signflow.accounts.principal_clock import PrincipalClock, in_flight
from signflow.db import Base
from signflow.models import Enterprise, User

# The session info key of the process's cache (None: no cache).
PRINCIPAL_CACHE_INFO = "signflow.principal_cache"
TTL_SECONDS = 5.0
MAX_ENTRIES = 4096

RowT = TypeVar("RowT", bound=Base)


@dataclass(frozen=True, slots=True)
class _Entry:
    word: int
    fresh_until: float  # time.monotonic()
    expires_at: float  # the access token's expiry, as a Unix time
    user: User  # detached copies, never handed out: each hit merges them into its session
    enterprise: Enterprise
    actor: User | None
    grant_id: int
    must_change_password: bool


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
    def __init__(self, clock: PrincipalClock, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self.clock = clock
        self._ttl = ttl_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, access_hash: str, session: Session) -> Principal | None:
        """The cached principal of the token, its rows merged into `session` without a
        statement; None when there is no valid entry."""
        entry = self._entries.get(access_hash)
        if entry is None:
            return None
        if (
            entry.word != self.clock.read()
            or time.monotonic() >= entry.fresh_until
            or time.time() >= entry.expires_at
        ):
            del self._entries[access_hash]
            return None
        self._entries.move_to_end(access_hash)
        return Principal(
            user=session.merge(entry.user, load=False),
            enterprise=session.merge(entry.enterprise, load=False),
            grant_id=entry.grant_id,
            actor=session.merge(entry.actor, load=False) if entry.actor is not None else None,
            must_change_password=entry.must_change_password,
        )

    def put(self, access_hash: str, word: int, principal: Principal, expires_at: float) -> None:
        """Keep what a read stamped with `word` (the clock at its transaction's begin)
        returned; nothing is kept when a change was in flight then."""
        if in_flight(word):
            return
        actor = principal.actor
        self._entries[access_hash] = _Entry(
            word=word,
            fresh_until=time.monotonic() + self._ttl,
            expires_at=expires_at,
            user=detached_copy(principal.user),
            enterprise=detached_copy(principal.enterprise),
            actor=detached_copy(actor) if actor is not None else None,
            grant_id=principal.grant_id,
            must_change_password=principal.must_change_password,
        )
        self._entries.move_to_end(access_hash)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


def principal_cache_of(session: AsyncSession) -> PrincipalCache | None:
    cache: PrincipalCache | None = session.info.get(PRINCIPAL_CACHE_INFO)
    return cache
