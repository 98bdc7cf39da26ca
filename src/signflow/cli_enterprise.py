"""One enterprise's work for a CLI command: migrate, open a transaction, find the enterprise
named by --enterprise (or say which names exist), run the work and echo its lines."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction
from signflow.enterprise_setup import SetupError
from signflow.errors import SignflowError
from signflow.migrate import migrate as run_migrations
from signflow.models import Enterprise

Work = Callable[[AsyncSession, Settings, Enterprise], Awaitable[list[str]]]


def run_in_enterprise(name: str, work: Work) -> None:
    """Run the work in the named enterprise and echo its lines; a failure is one stderr line."""
    # Late import: cli.py adds the command groups to its app, so it cannot be imported at the top.
    from signflow.cli import _settings, fail

    settings = _settings()
    try:
        lines = asyncio.run(in_enterprise(settings, name, work))
    except (SetupError, SignflowError) as exc:
        fail(exc.message if isinstance(exc, SignflowError) else str(exc))
    for line in lines:
        typer.echo(line)


async def in_enterprise(settings: Settings, name: str, work: Work) -> list[str]:
    await run_migrations(settings.effective_database_url)
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            enterprise = await session.scalar(select(Enterprise).where(Enterprise.name == name))
            if enterprise is None:
                known = list(
                    await session.scalars(select(Enterprise.name).order_by(Enterprise.name))
                )
                raise SetupError(
                    f"no enterprise named {name!r}; --enterprise takes one of: "
                    + (", ".join(repr(k) for k in known) or "(none yet: run signflow bootstrap)")
                )
            return await work(session, settings, enterprise)
    finally:
        await context.close()
