"""An app session ends at its expiry and after the idle time. Over HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import AppSession
from signflow.web.app.session import IDLE_SECONDS
from tests.factories import Tenant
from tests.web.app.helpers import browser, sign_in


async def _age(context: AppContext, **values: dt.datetime) -> None:
    async with transaction(context.sessions) as session:
        await session.execute(update(AppSession).values(**values))


async def test_an_expired_session_ends(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.user_email)
        assert (await client.get("/app/")).status_code == 200
        await _age(context, expires_at=utcnow() - dt.timedelta(seconds=1))
        assert (await client.get("/app/")).status_code == 303


async def test_an_idle_session_ends(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.user_email)
        await _age(context, last_seen_at=utcnow() - dt.timedelta(seconds=IDLE_SECONDS - 120))
        assert (await client.get("/app/")).status_code == 200  # and it is seen again now
        await _age(context, last_seen_at=utcnow() - dt.timedelta(seconds=IDLE_SECONDS + 1))
        assert (await client.get("/app/")).status_code == 303
