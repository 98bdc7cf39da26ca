"""Signflow commands run as real processes, the way an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.servers import ROOT, Proc, free_port, wait_http

SIGNFLOW = str(Path(sys.executable).parent / "signflow")
# Settings a test must choose itself, never inherit from the shell that runs the tests.
INHERITED = ("SIGNFLOW_",)

__all__ = ["SIGNFLOW", "Proc", "clean_env", "free_port", "json_lines", "run", "serve", "start"]


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any SIGNFLOW_ setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED)}
    return {**env, **settings}


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SIGNFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def start(name: str, args: list[str], env: dict[str, str], workdir: Path) -> Proc:
    """A process in its own session (stopped by its group), with exactly `env`."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Proc(name, popen, log)


def serve(
    args: list[str], env: dict[str, str], workdir: Path, name: str = "serve"
) -> tuple[Proc, str]:
    """`signflow serve` on a free port, answering /healthz; (process, base URL)."""
    port = free_port()
    proc = start(name, [SIGNFLOW, "serve", "--port", str(port), *args], env, workdir)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(proc, f"{url}/healthz", timeout=120)
    except RuntimeError:
        proc.stop()
        raise
    return proc, url


def json_lines(log: Path) -> list[dict[str, Any]]:
    entries = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries
