"""Where a database's principal clock lives on this host, and a process's cache over it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from signflow.accounts.principal_cache import PrincipalCache
from signflow.accounts.principal_clock import clock_at
from signflow.accounts.principal_watch import watch_engine
from signflow.config import Settings
from signflow.db import is_sqlite, sqlite_file

CLOCK_SUFFIX = "-principal-clock"


def clock_path(settings: Settings) -> Path | None:
    """Beside a SQLite file (every process that opens the file finds it, whatever its
    data directory); for another database, in the data directory, named by a hash of
    the database's address. None for an in-memory SQLite database (one process)."""
    url = settings.effective_database_url
    if is_sqlite(url):
        database = sqlite_file(url)
        return None if database is None else Path(f"{database}{CLOCK_SUFFIX}")
    address = make_url(url).set(password=None).render_as_string(hide_password=False)
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return settings.data_dir / "principal-clock" / digest


def install_principal_cache(settings: Settings, engine: Engine) -> PrincipalCache | None:
    """Every process watches its writes (so a CLI command moves the clock the API
    processes read); only where the setting allows does it also keep a cache."""
    path = clock_path(settings)
    if path is None:
        return None
    clock = clock_at(path)
    watch_engine(engine, clock)
    if settings.effective_principal_cache != "host":
        return None
    return PrincipalCache(clock)
