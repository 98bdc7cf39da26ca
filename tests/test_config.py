from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError

from signflow.config import Settings


def test_defaults_are_the_embedded_setup(tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'signflow.db'}"
    assert settings.env == "development"


def test_a_generated_secret_key_is_kept_in_the_data_dir(tmp_path: Path):
    first = Settings(data_dir=tmp_path).effective_secret_key
    second = Settings(data_dir=tmp_path).effective_secret_key
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("secret", ["", "changeme", "short-but-not-weak-word"])
def test_weak_secrets_are_refused_outside_development(tmp_path: Path, secret: str):
    with pytest.raises(ValidationError, match="SIGNFLOW_SECRET_KEY"):
        Settings(env="production", secret_key=secret, data_dir=tmp_path)


def test_a_strong_secret_is_accepted_in_production(tmp_path: Path):
    settings = Settings(env="production", secret_key="x" * 48, data_dir=tmp_path)
    assert settings.effective_secret_key == "x" * 48


def test_settings_come_from_signflow_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SIGNFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SIGNFLOW_MAX_UPLOAD_BYTES", "2048")
    monkeypatch.setenv("SIGNFLOW_ACCESS_TOKEN_TTL_SECONDS", "120")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.max_upload_bytes == 2048
    assert settings.access_token_ttl_seconds == 120


def test_the_database_blob_store_needs_postgresql(tmp_path: Path):
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(data_dir=tmp_path, blob_store="database")
    settings = Settings(
        data_dir=tmp_path, blob_store="database", database_url="postgresql+asyncpg://x@y/z"
    )
    assert settings.blob_store == "database"


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_timestamped_levels_need_a_timestamp_authority(tmp_path: Path, level: str):
    with pytest.raises(
        ValidationError, match=f"SIGNFLOW_SIGNATURE_LEVEL={level} needs SIGNFLOW_TSA_URL"
    ):
        Settings(data_dir=tmp_path, signature_level=level)
    settings = Settings(data_dir=tmp_path, signature_level=level, tsa_url="http://tsa.test/")
    assert settings.signature_level == level


def test_trust_roots_are_read_from_pem_files(tmp_path: Path):
    from tests.signing.pki import make_pki

    first, second = make_pki().ca.cert, make_pki().ca.cert
    (tmp_path / "one.pem").write_bytes(first.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "two.pem").write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (second, first))
    )
    settings = Settings(
        data_dir=tmp_path, trust_roots=f"{tmp_path / 'one.pem'}, {tmp_path / 'two.pem'}"
    )
    assert settings.extra_trust_roots == (first, second, first)
    assert Settings(data_dir=tmp_path).extra_trust_roots == ()


@pytest.mark.parametrize("content", [None, b"not a certificate"])
def test_unreadable_trust_roots_are_refused_at_start(tmp_path: Path, content: bytes | None):
    path = tmp_path / "roots.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValidationError, match="SIGNFLOW_TRUST_ROOTS"):
        Settings(data_dir=tmp_path, trust_roots=str(path))


@pytest.mark.parametrize(
    ("database_url", "configured", "effective"),
    [
        ("", None, "host"),  # SQLite: every process is on one host
        ("postgresql+asyncpg://db.internal/signflow", None, "off"),  # maybe several hosts
        ("postgresql+asyncpg://db.internal/signflow", "host", "host"),
        ("", "off", "off"),
    ],
)
def test_the_principal_cache_is_on_by_default_only_where_every_process_shares_a_host(
    tmp_path: Path, database_url: str, configured: str | None, effective: str
):
    settings = Settings(data_dir=tmp_path, database_url=database_url, principal_cache=configured)  # type: ignore[arg-type]
    assert settings.effective_principal_cache == effective
