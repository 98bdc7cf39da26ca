"""Metrics of several API processes: `serve --workers 2` counts in files that any of them
adds up on /metrics (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.operations.processes import clean_env, json_lines, serve


def healthz_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "signflow_http_requests_total"
                and sample.labels.get("route") == "/healthz"
            ):
                return sample.value
    return 0.0


def test_every_scrape_adds_up_both_processes(tmp_path: Path):
    env = clean_env(SIGNFLOW_DATA_DIR=str(tmp_path / "var"), SIGNFLOW_LOG_FORMAT="json")
    proc, url = serve(["--workers", "2"], env, tmp_path)
    try:
        # Until each process has answered a /healthz (its access line says which pid).
        deadline = time.monotonic() + 90
        pids: set[int] = set()
        while len(pids) < 2 and time.monotonic() < deadline:
            assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
            pids = {
                int(entry["pid"])
                for entry in json_lines(proc.log)
                if entry.get("message") == "GET /healthz 200"
            }
        assert len(pids) == 2, proc.tail(40)
        answered = sum(
            1 for entry in json_lines(proc.log) if entry.get("message") == "GET /healthz 200"
        )
        # Several scrapes, landing on either process: each sees the sum over both.
        scraped_by: set[int] = set()
        for _ in range(12):
            page = httpx.get(f"{url}/metrics", timeout=10)
            assert page.status_code == 200
            assert healthz_count(page.text) == answered
            scraped_by = {
                int(entry["pid"])
                for entry in json_lines(proc.log)
                if entry.get("message") == "GET /metrics 200"
            }
        assert (tmp_path / "var" / "metrics").is_dir()
        assert any((tmp_path / "var" / "metrics").glob("counter_*.db"))
    finally:
        proc.stop()
    assert scraped_by  # at least one scrape was logged; which process does not matter
