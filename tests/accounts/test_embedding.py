"""Origins and callbacks an application may be given (signflow.accounts.embedding)."""

from __future__ import annotations

import pytest

from signflow.accounts.embedding import check_callback, check_embedding, check_origin
from signflow.config import Environment, Settings
from signflow.errors import BadRequest
from tests.conftest import TEST_SECRET


def settings(env: Environment) -> Settings:
    return Settings(env=env, secret_key=TEST_SECRET)


DEV, PROD = settings(Environment.DEVELOPMENT), settings(Environment.PRODUCTION)


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://App.Example.com", "https://app.example.com"),
        ("https://app.example.com:443/", "https://app.example.com"),
        ("https://app.example.com:8443", "https://app.example.com:8443"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.5", "http://127.0.0.5"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_origins_are_written_as_browsers_write_them(given: str, origin: str) -> None:
    assert check_origin(given, DEV) == origin


@pytest.mark.parametrize(
    "given",
    [
        "http://app.example.com",
        "ftp://app.example.com",
        "https://app.example.com/x",
        "https://app.example.com?x=1",
        "https://*.example.com",
        "app.example.com",
        "https://",
        "https://app.example.com:99999",
    ],
)
def test_what_is_not_an_allowed_origin(given: str) -> None:
    with pytest.raises(BadRequest):
        check_origin(given, DEV)


def test_loopback_http_only_outside_production() -> None:
    with pytest.raises(BadRequest):
        check_origin("http://localhost:3000", PROD)
    assert check_origin("https://localhost:3000", PROD) == "https://localhost:3000"
    with pytest.raises(BadRequest):
        check_callback("http://127.0.0.1/back", [], PROD)


def test_the_callback_is_on_an_allowed_host() -> None:
    embedding = check_embedding(
        ["https://erp.example.com", "https://erp.example.com/"], "https://erp.example.com/b", DEV
    )
    assert embedding.allowed_origins == ["https://erp.example.com"]
    with pytest.raises(BadRequest):
        check_embedding(["https://erp.example.com"], "https://elsewhere.test/b", DEV)
    assert check_embedding([], "https://anywhere.test/b", DEV).callback_url
