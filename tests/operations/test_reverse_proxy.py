"""Behind a reverse proxy: with SIGNFLOW_FORWARDED_ALLOW_IPS naming it, each client is
known by its own address (X-Forwarded-For), so one client's failed sign-ins do not
throttle the others."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.operations.processes import clean_env, serve


def failed_sign_in(url: str, client_secret: str, client: str, number: int) -> int:
    answer = httpx.post(
        f"{url}/authenticate",
        data={
            "grant_type": "password",
            "client_id": "demo-app",
            "client_secret": client_secret,
            "username": f"nobody-{number}@example.com",
            "password": "wrong password",
        },
        headers={"X-Forwarded-For": client},
        timeout=30,
    )
    return answer.status_code


@pytest.mark.parametrize("trusted", [True, False], ids=["proxy-trusted", "proxy-not-named"])
def test_one_clients_failures_throttle_only_that_client(tmp_path: Path, trusted: bool):
    settings = {
        "SIGNFLOW_DATA_DIR": str(tmp_path / "var"),
        "SIGNFLOW_SIGNIN_ADDRESS_MAX_FAILURES": "3",
    }
    if trusted:
        settings["SIGNFLOW_FORWARDED_ALLOW_IPS"] = "127.0.0.1"
    proc, url = serve([], clean_env(**settings), tmp_path)
    try:
        printed = re.search(r"client_secret   (\S+)", proc.log.read_text())
        assert printed, proc.tail()
        secret = printed[1]
        attacker, bystander = "203.0.113.7", "198.51.100.9"
        assert [failed_sign_in(url, secret, attacker, n) for n in range(3)] == [400, 400, 400]
        assert failed_sign_in(url, secret, attacker, 3) == 429
        # Without the proxy named, every client is the proxy's address: all throttled.
        assert failed_sign_in(url, secret, bystander, 4) == (400 if trusted else 429)
    finally:
        proc.stop()
