"""Every change of a row a token resolves through moves the principal clock: before the
statement runs (in flight until the transaction ends) and again after its end, committed
or rolled back; whatever the path (the ORM's flush, a bulk statement, Core text)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.sql.util import find_tables

from signflow.accounts.api_keys import create_api_key
from signflow.accounts.principal_clock import PrincipalClock, generation, in_flight
from signflow.accounts.principal_watch import WATCHED_TABLES, changes_watched_rows
from signflow.accounts.tokens import _GRANT_WITH_PEOPLE
from signflow.context import AppContext
from signflow.db import Base, transaction
from signflow.models import ApiKey, Enterprise, User
from tests.factories import Tenant, sign_in


def _clock(context: AppContext) -> PrincipalClock:
    cache = context.sessions.kw["info"]["signflow.principal_cache"]
    assert cache is not None
    clock: PrincipalClock = cache.clock
    return clock


def _watched_mappers() -> list[Mapper[Base]]:
    return [
        mapper
        for mapper in Base.registry.mappers
        if getattr(mapper.local_table, "name", None) in WATCHED_TABLES
    ]


def test_the_watched_tables_are_every_table_a_token_or_an_api_key_resolves_through():
    token_tables = {table.name for table in find_tables(_GRANT_WITH_PEOPLE, check_columns=True)}
    assert {"token_grants", "users", "enterprises"} <= token_tables
    resolved = token_tables | {ApiKey.__tablename__, Enterprise.__tablename__, User.__tablename__}
    assert resolved <= WATCHED_TABLES
    assert {mapper.local_table.name for mapper in _watched_mappers()} == WATCHED_TABLES  # type: ignore[attr-defined]


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, tenant: Tenant) -> Tenant:
    await sign_in(client, tenant, tenant.user_email)  # a token grant to change
    return tenant


def _first_column(mapper: Mapper[Base]) -> str:
    primary = {column.key for column in mapper.primary_key}
    return next(attr.key for attr in mapper.column_attrs if attr.key not in primary)


WAYS = ["orm_flush", "bulk_update", "bulk_delete", "core_text"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("table", sorted(WATCHED_TABLES))
async def test_a_change_moves_the_clock_before_it_runs_and_after_its_commit(
    context: AppContext, signed_in: Tenant, table: str, way: str
):
    mapper = next(m for m in _watched_mappers() if m.local_table.name == table)  # type: ignore[attr-defined]
    model, column = mapper.class_, _first_column(mapper)
    clock = _clock(context)
    before = clock.read()
    async with transaction(context.sessions) as session:
        row = await session.scalar(select(model).limit(1))
        assert row is not None
        assert clock.read() == before  # reading moves nothing
        if way == "orm_flush":
            flag_modified(row, column)
            await session.flush()
        elif way == "bulk_update":
            await session.execute(
                update(model)
                .where(mapper.primary_key[0] == row.id)
                .values({column: getattr(model, column)})
                .execution_options(synchronize_session=False)
            )
        elif way == "bulk_delete":
            await session.execute(delete(model).where(mapper.primary_key[0] == -1))
        else:
            connection = await session.connection()
            await connection.execute(text(f'UPDATE "{table}" SET id = id WHERE id = -1'))
        during = clock.read()
        assert in_flight(during) == 1
        assert generation(during) == generation(before) + 1
    after = clock.read()
    assert (generation(after), in_flight(after)) == (generation(before) + 2, 0)


async def test_a_rolled_back_change_moves_the_clock_too(context: AppContext, signed_in: Tenant):
    clock = _clock(context)
    before = clock.read()
    with pytest.raises(LookupError):
        async with transaction(context.sessions) as session:
            user = await session.scalar(select(User).limit(1))
            assert user is not None
            user.is_active = False
            await session.flush()
            assert in_flight(clock.read()) == 1
            raise LookupError("rolled back")
    after = clock.read()
    assert (generation(after), in_flight(after)) == (generation(before) + 2, 0)


async def test_one_transaction_of_many_changes_is_one_change(
    context: AppContext, signed_in: Tenant
):
    clock = _clock(context)
    before = clock.read()
    async with transaction(context.sessions) as session:
        await session.execute(update(User).values(name=User.name))
        await session.execute(update(Enterprise).values(name=Enterprise.name))
        assert in_flight(clock.read()) == 1
    assert generation(clock.read()) == generation(before) + 2


async def test_new_rows_and_other_tables_move_nothing(context: AppContext, tenant: Tenant):
    clock = _clock(context)
    before = clock.read()
    async with transaction(context.sessions) as session:
        await create_api_key(session, tenant.enterprise_id, "new")  # an INSERT into api_keys
        await session.execute(text("UPDATE packages SET name = name WHERE id = -1"))
    assert clock.read() == before


@pytest.mark.parametrize(
    ("statement", "changes"),
    [
        ("UPDATE users SET is_active=? WHERE users.id = ?", True),
        ('UPDATE "token_grants" SET revoked_at=$1', True),
        ("DELETE FROM enterprises WHERE id = 1", True),
        ("UPDATE OR IGNORE api_keys SET name = 'x'", True),
        ("WITH gone AS (SELECT 1) UPDATE public.users SET name = 'x'", True),
        ("TRUNCATE users, packages RESTART IDENTITY CASCADE", True),
        ('TRUNCATE "packages", "users"', True),
        ('TRUNCATE "packages"', False),
        ("INSERT INTO users (email) VALUES (?) ON CONFLICT (email) DO UPDATE SET name = 'x'", True),
        ("INSERT OR REPLACE INTO token_grants (id) VALUES (1)", True),
        ("INSERT INTO users (email) VALUES (?)", False),
        ("INSERT INTO users (email) VALUES (?) ON CONFLICT DO NOTHING", False),
        ("SELECT * FROM users FOR UPDATE OF users", False),
        ("UPDATE packages SET name = 'users'", False),
        ("UPDATE users_archive SET name = 'x'", False),
    ],
)
def test_which_statements_are_changes(statement: str, changes: bool):
    assert changes_watched_rows(statement) is changes
