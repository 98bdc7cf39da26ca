"""Rows a migration test writes with plain SQL, at a revision older than the models: an
enterprise, a user and a draft package, with the columns every revision since the
keyed-history one requires (`extra` adds the columns a later revision requires)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert(table: str, columns: str, values: str, extra: dict[str, object]) -> sa.TextClause:
    names = "".join(f", {name}" for name in extra)
    params = "".join(f", :{name}" for name in extra)
    return sa.text(f"INSERT INTO {table} ({columns}{names}) VALUES ({values}{params}) RETURNING id")


async def insert_enterprise(connection: AsyncConnection) -> int:
    statement = _insert(
        "enterprises",
        "name, is_active, created_at, pki_key",
        "'Acme', true, CURRENT_TIMESTAMP, 'k'",
        {},
    )
    return int((await connection.execute(statement)).scalar_one())


async def insert_user(
    connection: AsyncConnection,
    enterprise_id: int,
    email: str = "o@acme.test",
    role: str = "user",
    **extra: object,
) -> int:
    statement = _insert(
        "users",
        "enterprise_id, email, name, role, can_integrate, is_active, must_change_password, "
        "created_at",
        ":e, :email, 'Owner', :role, false, true, false, CURRENT_TIMESTAMP",
        extra,
    )
    values = {"e": enterprise_id, "email": email, "role": role, **extra}
    return int((await connection.execute(statement, values)).scalar_one())


async def insert_draft_package(
    connection: AsyncConnection, enterprise_id: int, owner_id: int, name: str = "P", **extra: object
) -> int:
    statement = _insert(
        "packages",
        "enterprise_id, owner_id, name, workflow_mode, workflow_type, continue_on_decline, "
        "status, tags, archived, created_at, modified_at",
        ":e, :o, :name, 'ME_AND_OTHERS', 'SERIAL', false, 'DRAFT', '[]', false, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP",
        extra,
    )
    values = {"e": enterprise_id, "o": owner_id, "name": name, **extra}
    return int((await connection.execute(statement, values)).scalar_one())
