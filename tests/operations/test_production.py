"""Production is production: no demo, no secret in the output, no guessed public URL;
and in development `serve --port` links to the port it serves."""

from __future__ import annotations

import re
import secrets
import sqlite3
from pathlib import Path

import httpx

from tests.operations.processes import clean_env, run, serve

STRONG_SECRET = secrets.token_urlsafe(48)


def production_env(data_dir: Path, **more: str) -> dict[str, str]:
    settings = {
        "SIGNFLOW_ENV": "production",
        "SIGNFLOW_SECRET_KEY": STRONG_SECRET,
        "SIGNFLOW_DATA_DIR": str(data_dir),
    }
    return clean_env(**{**settings, **more})


def test_a_production_start_without_a_base_url_refuses_in_one_line(tmp_path: Path):
    for command in (["serve"], ["worker", "--once"]):
        done = run(command, production_env(tmp_path / "var"))
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            "error: SIGNFLOW_BASE_URL is not set: with SIGNFLOW_ENV=production set it to the "
            "public address people and receivers reach this server at, e.g. "
            "SIGNFLOW_BASE_URL=https://sign.example.com"
        ]
        assert not (tmp_path / "var" / "signflow.db").exists()  # stopped before migrating


def test_a_weak_secret_is_one_line_too(tmp_path: Path):
    env = production_env(tmp_path / "var", SIGNFLOW_SECRET_KEY="changeme")
    done = run(["migrate"], env)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: SIGNFLOW_SECRET_KEY is missing or weak")
    assert "Traceback" not in done.stdout + done.stderr


def test_production_on_an_empty_database_creates_no_demo_and_shows_no_secret(tmp_path: Path):
    data_dir = tmp_path / "var"
    env = production_env(data_dir, SIGNFLOW_BASE_URL="https://sign.example.test")
    proc, url = serve([], env, tmp_path)
    try:
        assert httpx.get(f"{url}/healthz").status_code == 200
    finally:
        proc.stop()
    output = proc.log.read_text()
    assert "no enterprise yet: create one with `signflow bootstrap" in output
    for secret_marker in ("demo", "password  ", "client_secret", "sfk_", "x-api-key"):
        assert secret_marker not in output.lower(), output
    with sqlite3.connect(data_dir / "signflow.db") as db:
        assert db.execute("SELECT count(*) FROM enterprises").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM applications").fetchone() == (0,)


def test_serve_port_is_the_development_links_port(tmp_path: Path):
    env = clean_env(SIGNFLOW_DATA_DIR=str(tmp_path / "var"))
    proc, url = serve([], env, tmp_path)
    try:
        port = url.rsplit(":", 1)[1]
        demo = proc.log.read_text()
        assert f"curl -s -X POST http://127.0.0.1:{port}/authenticate" in demo
        password = re.search(r"admin password  (\S+)", demo)
        client_secret = re.search(r"client_secret   (\S+)", demo)
        assert password and client_secret, demo
        token = httpx.post(
            f"{url}/authenticate",
            data={
                "grant_type": "password",
                "client_id": "demo-app",
                "client_secret": client_secret[1],
                "username": "admin@example.com",
                "password": password[1],
            },
        ).json()["access_token"]
        owner = {"Authorization": f"Bearer {token}"}
        package = httpx.post(f"{url}/v3/packages", json={"package_name": "Port"}, headers=owner)
        assert package.status_code == 200, package.text
        link = httpx.post(
            f"{url}/v4/links/progress",
            json={"package_id": package.json()["package_id"]},
            headers=owner,
        )
        assert link.status_code == 200, link.text
        # Written by the API process, which read its settings from the environment.
        assert link.json()["url"].startswith(f"http://127.0.0.1:{port}/web/progress/")
    finally:
        proc.stop()
