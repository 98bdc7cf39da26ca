from __future__ import annotations

import pytest
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import READ_ONLY, WriteInReadOnlyTransaction, transaction
from signflow.models import Enterprise
from tests.factories import Tenant


async def test_a_read_only_transaction_reads_and_refuses_writes(
    context: AppContext, tenant: Tenant
) -> None:
    async with transaction(context.sessions) as session:
        await session.connection(execution_options={READ_ONLY: True})
        name = await session.scalar(
            select(Enterprise.name).where(Enterprise.id == tenant.enterprise_id)
        )
        assert name == tenant.name
        with pytest.raises(WriteInReadOnlyTransaction, match="UPDATE"):
            await session.execute(
                update(Enterprise).where(Enterprise.id == tenant.enterprise_id).values(name="x")
            )
    async with transaction(context.sessions) as session:
        name = await session.scalar(
            select(Enterprise.name).where(Enterprise.id == tenant.enterprise_id)
        )
    assert name == tenant.name
