"""`signflow serve --workers 2`: every API process writes its access lines."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.operations.processes import clean_env, json_lines, serve

TEXT_ACCESS = re.compile(r"signflow\.access \[pid (\d+)\]: \[([\w-]+)\] GET /healthz 200")


def access_lines_by_pid(log: Path, fmt: str) -> dict[int, list[str]]:
    """pid -> the request ids of its access lines for our probes."""
    seen: dict[int, list[str]] = {}
    if fmt == "json":
        for entry in json_lines(log):
            if entry["logger"] == "signflow.access" and entry["message"] == "GET /healthz 200":
                assert isinstance(entry["duration_ms"], float | int)
                seen.setdefault(entry["pid"], []).append(entry.get("request_id", ""))
    else:
        for match in TEXT_ACCESS.finditer(log.read_text(errors="replace")):
            seen.setdefault(int(match[1]), []).append(match[2])
    return seen


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_two_api_processes_both_write_access_lines_with_request_ids(tmp_path: Path, fmt: str):
    env = clean_env(SIGNFLOW_DATA_DIR=str(tmp_path / "var"), SIGNFLOW_LOG_FORMAT=fmt)
    proc, url = serve(["--workers", "2"], env, tmp_path)
    try:
        seen: dict[int, list[str]] = {}
        probed: set[int] = set()
        deadline = time.monotonic() + 90
        number = 0
        # Each request on a new connection: the kernel hands connections to either process.
        while len(probed) < 2 and time.monotonic() < deadline:
            number += 1
            answer = httpx.get(
                f"{url}/healthz", headers={"x-request-id": f"probe-{number}"}, timeout=10
            )
            assert answer.status_code == 200
            assert answer.headers["x-request-id"] == f"probe-{number}"
            seen = access_lines_by_pid(proc.log, fmt)
            probed = {pid for pid, ids in seen.items() if any(i.startswith("probe-") for i in ids)}
        assert len(seen) == len(probed) == 2, proc.tail(60)
        assert proc.pid not in seen  # the supervisor serves nothing itself
        for request_ids in seen.values():
            # Every line carries a request id: the client's where it sent one.
            assert all(request_ids)
    finally:
        proc.stop()
