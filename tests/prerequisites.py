"""The tools the tests need besides Python. A missing one fails the test that needs it,
naming the command that installs it; nothing is skipped for want of a tool.

`scripts/test-prerequisites` (run by `make test` and `.ci/run`) installs them all when the
machine allows it, or stops before the first test with the same commands. The one opt-out
is explicit: SIGNFLOW_TEST_POSTGRESQL=skip runs the SQLite half only.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

INSTALLER = "scripts/test-prerequisites"


def postgresql_wanted() -> bool:
    return os.environ.get("SIGNFLOW_TEST_POSTGRESQL", "").lower() != "skip"


def missing(what: str, install: str) -> NoReturn:
    pytest.fail(f"{what} is missing: run {INSTALLER}, or: {install}", pytrace=False)


def require_command(name: str, debian_package: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(name, f"apt-get install {debian_package}")
    return path


def postgresql_unavailable(where: str, error: Exception) -> NoReturn:
    """PostgreSQL does not answer: fail, unless the run chose SQLite only."""
    if postgresql_wanted():
        pytest.fail(
            f"PostgreSQL is unreachable at {where}: {error}. Start it, name another server "
            "with SIGNFLOW_TEST_DATABASE_URL, or run the SQLite half only with "
            f"SIGNFLOW_TEST_POSTGRESQL=skip ({INSTALLER} --check says what is missing)",
            pytrace=False,
        )
    pytest.skip(f"SIGNFLOW_TEST_POSTGRESQL=skip: PostgreSQL tests not run ({where})")
