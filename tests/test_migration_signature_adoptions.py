"""The signature-adoptions migration adds its table (one adoption per recipient entry and
acting user, gone with the recipient) on both databases, and goes back down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from signflow.db import create_engine
from signflow.migrate import alembic_config, upgrade
from tests.migration_rows import insert_draft_package, insert_enterprise, insert_user
from tests.test_migration_pki_key import empty_database, server_url  # noqa: F401

BEFORE = "aa0a99500001"
REVISION = "ad0000000001"
ADOPTION = sa.text(
    "INSERT INTO signature_adoptions (enterprise_id, recipient_id, user_id, method, initials, "
    "signature_png, initials_png, signature_sha256, initials_sha256, consent, adopted_at) "
    "VALUES (:e, :r, 0, 'drawn', 'AL', :png, :png, 'a', 'b', 'I agree', CURRENT_TIMESTAMP)"
)


async def test_adoptions_are_one_per_recipient_and_user_and_go_back_down(
    empty_database: str,  # noqa: F811
):
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, BEFORE)
        async with engine.begin() as connection:
            enterprise_id = await insert_enterprise(connection)
            owner_id = await insert_user(connection, enterprise_id)
            package_id = await insert_draft_package(connection, enterprise_id, owner_id)
            await connection.execute(
                sa.text(
                    "INSERT INTO recipients (public_id, package_id, position, signing_order, "
                    "email, name, role, email_notification, process_status, permissions, "
                    "authentication, access_duration, reminders, created_at) "
                    "VALUES ('r1', :p, 1, 1, "
                    "'a@x.test', 'Ana', 'SIGNER', true, 'IN_PROGRESS', '{}', '{}', '{}', '{}', "
                    "CURRENT_TIMESTAMP)"
                ),
                {"p": package_id},
            )
            recipient_id = await connection.scalar(sa.text("SELECT id FROM recipients"))
        await upgrade(engine, REVISION)
        values = {"e": enterprise_id, "r": recipient_id, "png": b"\x89PNG"}
        async with engine.begin() as connection:
            await connection.execute(ADOPTION, values)
        with pytest.raises(sa.exc.IntegrityError):  # one per recipient entry and user
            async with engine.begin() as connection:
                await connection.execute(ADOPTION, values)
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), BEFORE))
            tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            assert "signature_adoptions" not in tables
    finally:
        await engine.dispose()
