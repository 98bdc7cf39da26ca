"""A real SMTP server (aiosmtpd) for the tests that read the mail people get, and the
statements that read a table, as the database is sent them."""

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import event

from signflow.context import AppContext
from tests.notify.conftest import smtp_server, smtp_server_factory

__all__ = ["key_reads", "other_process", "smtp_server", "smtp_server_factory", "token_reads"]


def _reads_of(context: AppContext, table: str) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if table in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(context.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(context.engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
def token_reads(context: AppContext) -> Iterator[list[str]]:
    """The statements that read a token."""
    yield from _reads_of(context, "token_grants")


@pytest.fixture
def key_reads(context: AppContext) -> Iterator[list[str]]:
    """The statements that read an API key."""
    yield from _reads_of(context, "api_keys")


@pytest.fixture
async def other_process(context: AppContext) -> AsyncIterator[AppContext]:
    """Another process of the host: its own engine, pool and cache, the same clock."""
    other = AppContext.create(context.settings)
    try:
        yield other
    finally:
        await other.close()
