"""A `signflow worker` process for the crash tests, and a PostgreSQL context beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from signflow.context import AppContext
from tests.conftest import TEST_SECRET, make_settings, wipe


@pytest.fixture
async def pg_context(postgres_url: str, tmp_path: Path) -> AppContext:
    context = AppContext.create(
        make_settings(postgres_url, tmp_path / "var", webhook_allowed_networks="127.0.0.0/8")
    )
    await wipe(context)
    return context


def start_worker(postgres_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        SIGNFLOW_ENV="test",
        SIGNFLOW_SECRET_KEY=TEST_SECRET,
        SIGNFLOW_DATABASE_URL=postgres_url,
        SIGNFLOW_DATA_DIR=str(data_dir),
        SIGNFLOW_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        SIGNFLOW_JOB_LEASE_SECONDS="2",
        SIGNFLOW_LOG_LEVEL="WARNING",
    )
    signflow = Path(sys.executable).parent / "signflow"
    with (data_dir.parent / "worker.log").open("ab") as log:
        return subprocess.Popen([str(signflow), "worker"], env=env, stdout=log, stderr=log)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not stopped within 15 s."""
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
