"""`signflow principal-cache status` and `reset`, as an operator runs them, beside real
`signflow serve` processes: the reset is refused while any process uses the clock, and
otherwise turns a clock left stuck by a dead process back into a usable one."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bench.servers import ROOT
from signflow.accounts.principal_cache_setup import clock_path
from signflow.accounts.principal_clock import clock_state
from signflow.config import Settings
from tests.operations.processes import clean_env, run, serve

PASSWORD = "Principal-clock-1"


@pytest.fixture(params=["postgresql", "sqlite"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "sqlite":
        database = f"sqlite+aiosqlite:///{tmp_path / 'clock.db'}"
    else:
        database = str(request.getfixturevalue("postgres_url"))
    return clean_env(
        SIGNFLOW_ENV="production",
        SIGNFLOW_SECRET_KEY=secrets.token_urlsafe(48),
        SIGNFLOW_DATA_DIR=str(tmp_path / "var"),
        SIGNFLOW_DATABASE_URL=database,
        SIGNFLOW_BASE_URL="https://sign.example.test",
        SIGNFLOW_EMBEDDED_WORKER="false",
        SIGNFLOW_LOG_LEVEL="WARNING",
        SIGNFLOW_PRINCIPAL_CACHE="host",
    )


def _clock(env: dict[str, str]) -> Path:
    settings = Settings(
        env="test",
        secret_key=env["SIGNFLOW_SECRET_KEY"],
        database_url=env["SIGNFLOW_DATABASE_URL"],
        data_dir=Path(env["SIGNFLOW_DATA_DIR"]),
    )
    path = clock_path(settings)
    assert path is not None
    return path


def _die_between_steps(path: Path) -> None:
    """A process that begins a change of the clock and dies before its second step."""
    program = (
        "import os\nfrom pathlib import Path\n"
        "from signflow.accounts.principal_clock import PrincipalClock\n"
        f"PrincipalClock(Path({str(path)!r})).begin_change()\nos._exit(9)\n"
    )
    died = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert died.returncode == 9, died.stderr


def _status(env: dict[str, str]) -> dict[str, str]:
    done = run(["principal-cache", "status"], env)
    assert done.returncode == 0, done.stderr
    fields = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(": ")
        fields[name] = value
    return fields


def test_a_stuck_clock_is_reset_only_once_no_process_uses_it(env: dict[str, str], tmp_path: Path):
    bootstrapped = run(
        [
            "bootstrap",
            "--enterprise",
            f"Clock {secrets.token_hex(4)}",
            "--admin-email",
            f"admin-{secrets.token_hex(4)}@clock.test",
            "--admin-password",
            PASSWORD,
        ],
        env,
    )
    assert bootstrapped.returncode == 0, bootstrapped.stderr
    path = _clock(env)
    assert _status(env)["clock"] == str(path)
    assert _status(env)["in use"] == "no"

    proc, _url = serve([], env, tmp_path)
    try:
        _die_between_steps(path)
        stuck = _status(env)
        assert (stuck["in flight"], stuck["in use"]) == ("1", "yes")
        refused = run(["principal-cache", "reset"], env)
        assert refused.returncode == 1
        assert "in use by another process" in refused.stderr
        assert "stop them all" in refused.stderr
        assert _status(env) == stuck  # nothing changed
    finally:
        proc.stop()

    alone = _status(env)
    assert (alone["in flight"], alone["in use"]) == ("1", "no")
    assert "reset" in run(["principal-cache", "status"], env).stdout
    reset = run(["principal-cache", "reset"], env)
    assert reset.returncode == 0, reset.stderr
    after = _status(env)
    assert after["in flight"] == "0"
    assert int(after["generation"]) > int(stuck["generation"])
    state = clock_state(path)
    assert state is not None and (state.in_flight, state.in_use) == (0, False)

    proc, url = serve([], env, tmp_path, name="serve-again")  # maps the reset clock
    try:
        assert _status(env)["in use"] == "yes"
    finally:
        proc.stop()
    assert url


def test_without_a_clock_there_is_nothing_to_reset(env: dict[str, str]):
    status = run(["principal-cache", "status"], env)
    assert status.returncode == 0, status.stderr
    assert "no clock yet" in status.stdout
    reset = run(["principal-cache", "reset"], env)
    assert reset.returncode == 0, reset.stderr
    assert "nothing to reset" in reset.stdout


def test_an_in_memory_database_has_no_clock(env: dict[str, str]):
    memory = {**env, "SIGNFLOW_DATABASE_URL": "sqlite+aiosqlite:///:memory:"}
    done = run(["principal-cache", "status"], memory)
    assert done.returncode == 2
    assert "in memory" in done.stderr
