"""scripts/test-prerequisites: what `make test` and `.ci/run` do before the first test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "test-prerequisites"
# What the script itself runs: a bare machine still has these.
BASICS = ("bash", "dirname", "basename", "timeout", "seq", "sleep", "apt-get")


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run_on_a_bare_machine(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The script in a checkout without node_modules, on a PATH holding only the basics."""
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "tests" / "web").mkdir(parents=True)
    shutil.copy2(SCRIPT, checkout / "scripts")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in BASICS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return subprocess.run(
        [str(checkout / "scripts" / "test-prerequisites"), "--check"],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bare_machine_is_told_each_missing_tool_and_the_command(tmp_path: Path):
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/signflow_test"
    done = run_on_a_bare_machine(tmp_path, SIGNFLOW_TEST_DATABASE_URL=url)
    assert done.returncode == 1
    told = done.stderr
    for tool in (
        "pdfsig",
        "pdftoppm",
        "qpdf",
        "chromium",
        "soffice",
        "certutil",
        "axe-core",
        "softhsm2-util",
        "openssl",
        "PostgreSQL",
    ):
        assert tool in told, told
    packages = (
        "poppler-utils qpdf chromium libreoffice-writer-nogui libnss3-tools curl jq"
        " softhsm2 openssl npm"
    )
    sudo = "" if os.geteuid() == 0 else "sudo "
    assert f"install with: {sudo}apt-get install -y --no-install-recommends {packages}" in told
    assert "npm install --no-save --no-package-lock" in told
    assert "SIGNFLOW_TEST_POSTGRESQL=skip" in told


def test_choosing_sqlite_only_drops_postgresql_from_the_list(tmp_path: Path):
    done = run_on_a_bare_machine(tmp_path, SIGNFLOW_TEST_POSTGRESQL="skip")
    assert done.returncode == 1
    assert "PostgreSQL" not in done.stderr
    assert "postgresql" not in done.stderr.split("install with:")[1].splitlines()[0]
    assert "qpdf" in done.stderr


def test_this_machine_has_everything_the_tests_need():
    done = subprocess.run(
        [str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_make_test_and_ci_run_the_same_install_step():
    makefile = (REPO / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/test-prerequisites" in test_recipe
    assert test_recipe.index("scripts/test-prerequisites") < test_recipe.index("pytest")
    assert "\nscripts/test-prerequisites\n" in (REPO / ".ci" / "run").read_text()
