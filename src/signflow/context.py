"""What a running Signflow process holds: settings, database, and shared services."""

from __future__ import annotations

import asyncio
import inspect
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from signflow.accounts.principal_cache import PRINCIPAL_CACHE_INFO
from signflow.accounts.principal_cache_setup import install_principal_cache
from signflow.accounts.rate_limit import EnterpriseRateLimiter
from signflow.config import Settings
from signflow.db import create_engine
from signflow.observability.pool import instrument_pool, release_pool_gauges
from signflow.outbox.enqueue import ENQUEUED_FLAG, JOBS_CHANNEL
from signflow.storage import BlobStore, create_blob_store

ServiceT = TypeVar("ServiceT")
# Every session carries its process's settings, for code that is handed only a session.
SETTINGS_INFO = "signflow.settings"
BLOBS_INFO = "signflow.blobs"


def settings_of(session: AsyncSession) -> Settings:
    settings: Settings = session.info[SETTINGS_INFO]
    return settings


def blobs_of(session: AsyncSession) -> BlobStore:
    blobs: BlobStore = session.info[BLOBS_INFO]
    return blobs


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    blobs: BlobStore
    # Services added by later capabilities (blob store, mailer, signers) register here.
    services: dict[str, Any] = field(default_factory=dict)
    rate_limiter: EnterpriseRateLimiter = field(default_factory=lambda: EnterpriseRateLimiter(0, 1))
    # Set after a commit that enqueued jobs, so this process's worker starts at once.
    jobs_committed: asyncio.Event = field(default_factory=asyncio.Event)
    # The payload of this context's job notifications on PostgreSQL: its own worker, woken
    # by `jobs_committed` already, ignores them.
    notify_origin: str = field(default_factory=lambda: secrets.token_hex(8))

    @classmethod
    def create(cls, settings: Settings, *, pre_ping: bool = True) -> AppContext:
        engine = create_engine(settings.effective_database_url, pre_ping=pre_ping)
        instrument_pool(engine)
        principal_cache = install_principal_cache(settings, engine.sync_engine)
        # A session class of our own, so the commit hook below sees only our sessions.
        session_class = type("SignflowSession", (Session,), {})
        sessions = async_sessionmaker(
            engine,
            expire_on_commit=False,
            sync_session_class=session_class,
            info={SETTINGS_INFO: settings, PRINCIPAL_CACHE_INFO: principal_cache},
        )
        blobs = create_blob_store(settings.blob_store, settings.data_dir, sessions)
        sessions.kw["info"][BLOBS_INFO] = blobs  # before any session: each copies the info
        limiter = EnterpriseRateLimiter(
            settings.enterprise_rate_per_second, settings.enterprise_rate_burst
        )
        context = cls(
            settings=settings, engine=engine, sessions=sessions, blobs=blobs, rate_limiter=limiter
        )

        @event.listens_for(session_class, "after_commit")
        def _wake_worker(session: Session) -> None:
            if session.info.pop(ENQUEUED_FLAG, False):
                context.jobs_committed.set()

        if engine.dialect.name == "postgresql":
            # Workers in other processes LISTEN; PostgreSQL delivers this at commit.
            @event.listens_for(session_class, "before_commit")
            def _notify_workers(session: Session) -> None:
                if session.info.get(ENQUEUED_FLAG):
                    session.execute(
                        text("SELECT pg_notify(:channel, :origin)"),
                        {"channel": JOBS_CHANNEL, "origin": context.notify_origin},
                    )

        return context

    def service(self, name: str, create: Callable[[], ServiceT]) -> ServiceT:
        """The process's one `name` service, made by `create` on first use."""
        if name not in self.services:
            self.services[name] = create()
        return cast(ServiceT, self.services[name])

    async def close(self) -> None:
        for service in self.services.values():
            closer = getattr(service, "aclose", None) or getattr(service, "close", None)
            if closer is not None:
                closing = closer()
                if inspect.isawaitable(closing):
                    await closing
        release_pool_gauges(self.engine)
        await self.engine.dispose()
