"""Throttling of sign-in tries that cannot be raced or turned against the real user.

A try is paid for before its secret is checked: `reserve` takes one try from each of
the caller's buckets in a short transaction of its own, committed before the (slow)
check runs, and refuses with 429 when any bucket is spent. A try proven right is given
back (`settle_success`); a wrong one simply stays counted. So a hundred guesses sent at
once get `SIGNIN_MAX_FAILURES` checks between them, never more, and a crash in the
middle counts against the caller.

The buckets of a try (all counted in a window of `SIGNIN_WINDOW_SECONDS`):

- `user:<email>|<address>` and `client:<client_id>|<address>`: one account, or one
  integration's client secret, from one client address (`SIGNIN_MAX_FAILURES`). A
  right answer clears it. Someone guessing from elsewhere never touches it, so they
  cannot lock the real user or application out.
- `address:<address>`: every try from one address (`SIGNIN_ADDRESS_MAX_FAILURES`),
  against guessing many accounts from one place.
- `user:<email>`: one account from every address (`SIGNIN_ACCOUNT_MAX_FAILURES`),
  against guessing one account from many places. Past this ceiling the account is not
  locked: each further try must wait twice as long as the one before (1 s, 2 s, 4 s, ...
  up to the window), counted from the last try.

Client secrets have no application-wide bucket: wrong secrets from one address never
stop the application's grants from another.

Atomicity: each bucket row is upserted and returned in one statement, which on
PostgreSQL locks it until the transaction ends, so tries on one bucket queue and each
sees the count the one before left; rows are taken in key order, so two tries never
wait for each other in a circle. On SQLite, write transactions are serialised anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.db import dialect_insert, utcnow
from signflow.errors import TooManyRequests
from signflow.models import AuthFailure

SIGNIN_THROTTLED = "Too many failed sign-in attempts; try again later"
# Keys stay well inside the column (400): longer parts can match no account anyway.
_LONGEST_PART = 160
_NO_ADDRESS = "-"


@dataclass(frozen=True)
class Bucket:
    key: str
    limit: int
    # Counts several callers' tries: a right answer gives one back instead of clearing it.
    shared: bool = False
    # Past the limit, each further try waits twice as long instead of being refused.
    backoff: bool = False


def _part(value: str) -> str:
    if len(value) <= _LONGEST_PART:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _address_bucket(settings: Settings, address: str) -> Bucket:
    return Bucket(f"address:{address}", settings.signin_address_max_failures, shared=True)


def client_buckets(settings: Settings, client_id: str, address: str | None) -> tuple[Bucket, ...]:
    """The buckets of a client secret: this client from this address, and the address."""
    where = _part(address or _NO_ADDRESS)
    return (
        Bucket(f"client:{_part(client_id)}|{where}", settings.signin_max_failures),
        _address_bucket(settings, where),
    )


def user_buckets(settings: Settings, email: str, address: str | None) -> tuple[Bucket, ...]:
    """The buckets of a password: the account from this address, the address, the account."""
    account, where = _part(email.strip().lower()), _part(address or _NO_ADDRESS)
    return (
        Bucket(f"user:{account}|{where}", settings.signin_max_failures),
        _address_bucket(settings, where),
        Bucket(f"user:{account}", settings.signin_account_max_failures, shared=True, backoff=True),
    )


@dataclass(frozen=True)
class _Counted:
    count: int
    window_started_at: dt.datetime
    last_attempt_at: dt.datetime | None


def _seconds_to_wait(
    bucket: Bucket, counted: _Counted, now: dt.datetime, window: dt.timedelta
) -> float:
    window_ends = counted.window_started_at + window
    if window_ends <= now or counted.count < bucket.limit:
        return 0.0
    if not bucket.backoff:
        return (window_ends - now).total_seconds()
    # The window's end resets the count anyway: never wait past it.
    gap = min(2.0 ** (counted.count - bucket.limit), window.total_seconds())
    since = now - (counted.last_attempt_at or counted.window_started_at)
    return min(gap - since.total_seconds(), (window_ends - now).total_seconds())


async def reserve(session: AsyncSession, settings: Settings, buckets: Iterable[Bucket]) -> None:
    """Take one try from every bucket, or none and raise 429 with `Retry-After`.

    Run it in a transaction that commits before the secret is checked, and that holds
    no other row locks: the bucket rows stay locked until it ends."""
    now = utcnow()
    window = dt.timedelta(seconds=settings.signin_window_seconds)
    insert = dialect_insert(session)
    taken = []
    for bucket in sorted(buckets, key=lambda b: b.key):
        # An upsert that changes nothing, to create the row if missing and lock it.
        statement = (
            insert(AuthFailure)
            .values(key=bucket.key, count=0, window_started_at=now)
            .on_conflict_do_update(
                index_elements=[AuthFailure.key], set_={"count": AuthFailure.count}
            )
            .returning(
                AuthFailure.count, AuthFailure.window_started_at, AuthFailure.last_attempt_at
            )
        )
        row = (await session.execute(statement)).one()
        taken.append((bucket, _Counted(row[0], row[1], row[2])))
    waits = [_seconds_to_wait(bucket, counted, now, window) for bucket, counted in taken]
    if max(waits, default=0.0) > 0:
        raise TooManyRequests(SIGNIN_THROTTLED, retry_after=math.ceil(max(waits)))
    for bucket, counted in taken:
        expired = counted.window_started_at + window <= now
        await session.execute(
            update(AuthFailure)
            .where(AuthFailure.key == bucket.key)
            .values(
                count=1 if expired else counted.count + 1,
                window_started_at=now if expired else counted.window_started_at,
                last_attempt_at=now,
            )
            .execution_options(synchronize_session=False)
        )


async def settle_success(session: AsyncSession, buckets: Iterable[Bucket]) -> None:
    """The secret was right: clear the caller's own buckets, give back the shared try."""
    for bucket in buckets:
        if bucket.shared:
            await session.execute(
                update(AuthFailure)
                .where(AuthFailure.key == bucket.key)
                .values(count=case((AuthFailure.count > 0, AuthFailure.count - 1), else_=0))
                .execution_options(synchronize_session=False)
            )
        else:
            await session.execute(
                delete(AuthFailure)
                .where(AuthFailure.key == bucket.key)
                .execution_options(synchronize_session=False)
            )
