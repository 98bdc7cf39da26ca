"""Settings, read from SIGNFLOW_* environment variables."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from cryptography import x509
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from signflow.file_modes import create_private_file, private_directory

WEAK_SECRETS = frozenset({"", "secret", "changeme", "change-me", "signflow", "development"})
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGNFLOW_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("./var")
    database_url: str = ""
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    installation_name: str = "Signflow"
    # The sentence the signer pages show beside Sign, recorded with each signature given
    # there (history and evidence report); empty: each language's own wording.
    signing_consent_text: str = ""

    access_token_ttl_seconds: int = Field(default=3600, ge=60)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=300)

    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_pdf_pages: int = Field(default=500, ge=1)
    # Uploaded PDFs with active content (JavaScript, /OpenAction, /Launch, /AA...; see
    # pdf/active_content.py): "strip" removes it, "reject" refuses the file (400), "keep"
    # stores it as sent. Whatever is found is recorded in the package history.
    pdf_active_content: Literal["strip", "reject", "keep"] = "strip"
    max_json_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # A client that sends nothing of its body for this long is answered 408.
    body_read_timeout_seconds: float = Field(default=30.0, gt=0)
    # Slow clients (`signflow serve`): the request line and headers must arrive within
    # header_timeout_seconds of the connection opening (or of the first byte of a next
    # request on a kept-alive connection), the whole body within body_deadline_seconds of
    # the end of the headers; an idle kept-alive connection closes after
    # keep_alive_timeout_seconds.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    body_deadline_seconds: float = Field(default=300.0, gt=0)
    keep_alive_timeout_seconds: int = Field(default=5, ge=1)
    # Completed packages older than this move from the INBOX folder to ARCHIVE.
    archive_after_days: int = Field(default=90, ge=1)
    # Retention (docs/operations.md): 0 keeps everything (the default). N > 0: the
    # documents of packages that ended (completed, declined, expired) N days ago are
    # removed by the worker, and the keys of expired signer certificates destroyed; the
    # package record and its history stay. Owners may delete ended packages for good only
    # once this period is over.
    retention_days: int = Field(default=0, ge=0, le=365 * 100)
    # A legal hold: nothing is purged or deleted for good while it is on.
    legal_hold: bool = False

    # Requests per second each enterprise may make to one API process (0: no limit),
    # with bursts up to enterprise_rate_burst.
    enterprise_rate_per_second: float = Field(default=100.0, ge=0)
    enterprise_rate_burst: int = Field(default=200, ge=1)

    # Failed sign-ins (wrong password or client secret) counted in a window of
    # signin_window_seconds: per account (or client_id) and client address; per address
    # over every account; and per account over every address, past which each further
    # try must wait twice as long as the one before (up to the window).
    signin_max_failures: int = Field(default=5, ge=1)
    signin_address_max_failures: int = Field(default=50, ge=1)
    signin_account_max_failures: int = Field(default=50, ge=1)
    signin_window_seconds: int = Field(default=900, ge=1)

    # Self-registration (SigningHub's POST account): off on a self-hosted server. When on,
    # a person registers into the enterprise that invited their address, or else into
    # self_registration_enterprise (its name; none: only invited people may register).
    self_registration: bool = False
    self_registration_enterprise: str = ""
    # A forgot-password link works once, for this long.
    password_reset_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    # Service agreements (GET terms): where the installation's terms and privacy policy are.
    terms_of_service_url: str = ""
    privacy_policy_url: str = ""

    blob_store: Literal["filesystem", "database"] = "filesystem"
    # Resolved bearer tokens kept for a few seconds in each API process (docs/accounts.md,
    # "The principal cache"). "host": safe while every process that changes accounts or
    # tokens runs on this host; "off": every request reads its token. Unset: "host" on
    # SQLite (always one host), "off" on PostgreSQL (its API processes may be on several).
    principal_cache: Literal["host", "off"] | None = None

    # Enterprise CAs and signer keys: "rsa2048" or "ec-p256".
    ca_key_type: Literal["rsa2048", "ec-p256"] = "rsa2048"
    # PAdES level of signatures: B-B; B-T, B-LT and B-LTA need tsa_url. B-LT embeds the
    # certificates and revocation data of each signature and its timestamp; B-LTA adds a
    # document timestamp when a package completes and renews it before its certificate
    # expires (archive_timestamp_margin_days before).
    signature_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = "B-B"
    tsa_url: str | None = None
    archive_timestamp_margin_days: int = Field(default=30, ge=1, le=3650)
    # PEM files (comma separated) of further trusted roots: the timestamp authority's root,
    # the parent of an imported CA. Each enterprise's own CA is always trusted.
    trust_roots: str = ""
    # A verification runs in a thread: at most verification_concurrency at once, each
    # answered 503 after verification_timeout_seconds.
    verification_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    verification_concurrency: int = Field(default=2, ge=1, le=64)
    # CA and seal keys in a PKCS#11 token (an HSM; SoftHSM2 in tests), for the enterprises
    # `signflow pki use-token` moved there: the module (shared library) and the token's
    # user PIN. Each enterprise names its own token and key labels (in the database).
    pkcs11_module: str | None = None
    pkcs11_pin: str | None = None
    # OCSP responses are valid this long; the published CRL is reissued at half its life.
    ocsp_valid_seconds: int = Field(default=24 * 3600, ge=60)
    crl_valid_days: int = Field(default=7, ge=1)
    embedded_worker: bool = True
    # A job claimed by a worker that then died is claimed again after this long.
    job_lease_seconds: int = Field(default=60, ge=1)
    # The worker records a keyed checkpoint of every enterprise's history heads this often
    # (`signflow audit verify` checks the chains against them).
    history_checkpoint_interval_seconds: int = Field(default=3600, ge=10)

    # Networks webhook and callback targets may be in despite being private (CIDRs, comma
    # separated), e.g. "127.0.0.0/8,::1/128" for on-premises receivers and tests.
    webhook_allowed_networks: str = ""
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    # Signed document links in notifications stop working after this long.
    download_link_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)

    # SMTP relay, e.g. smtp://user:pass@mail.example.com:587?starttls=true; without one,
    # each message is written to DATA_DIR/mail as an .eml file.
    smtp_url: str | None = None
    mail_from: str = "Signflow <no-reply@signflow.local>"

    # One-time codes by SMS: "log" writes each text to DATA_DIR/sms (development); "http"
    # POSTs {"to", "message"} to sms_gateway_url (with sms_gateway_token as a bearer token).
    sms_channel: Literal["log", "http"] = "log"
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None

    # Addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
    # believed (comma separated IPs or CIDRs, "*" for any); empty: no forwarded header is.
    forwarded_allow_ips: str = ""

    # GET /metrics answers only requests with `Authorization: Bearer <this>` when set.
    metrics_token: str | None = None
    # Each outbox worker writes its heartbeat this often; /readyz takes a worker whose last
    # beat is three intervals old for dead.
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0, le=300)

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    @model_validator(mode="after")
    def _refuse_weak_secret_outside_development(self) -> Settings:
        if self.env is not Environment.DEVELOPMENT and is_weak_secret(self.secret_key):
            raise ValueError(
                f"SIGNFLOW_SECRET_KEY is missing or weak: with SIGNFLOW_ENV={self.env.value} "
                f"set it to at least "
                f"{MIN_SECRET_LENGTH} random characters (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        return self

    @model_validator(mode="after")
    def _timestamps_need_an_authority(self) -> Settings:
        if self.signature_level != "B-B" and not self.tsa_url:
            raise ValueError(
                f"SIGNFLOW_SIGNATURE_LEVEL={self.signature_level} needs SIGNFLOW_TSA_URL"
            )
        return self

    @model_validator(mode="after")
    def _trust_roots_are_readable(self) -> Settings:
        try:
            _ = self.extra_trust_roots
        except (OSError, ValueError) as exc:
            raise ValueError(f"SIGNFLOW_TRUST_ROOTS: {exc}") from exc
        return self

    @model_validator(mode="after")
    def _http_sms_needs_a_gateway(self) -> Settings:
        if self.sms_channel == "http" and not self.sms_gateway_url:
            raise ValueError("SIGNFLOW_SMS_CHANNEL=http needs SIGNFLOW_SMS_GATEWAY_URL")
        return self

    @model_validator(mode="after")
    def _database_blob_store_needs_postgresql(self) -> Settings:
        if self.blob_store == "database" and self.effective_database_url.startswith("sqlite"):
            raise ValueError(
                "SIGNFLOW_BLOB_STORE=database needs PostgreSQL (SIGNFLOW_DATABASE_URL); "
                "with SQLite keep the default filesystem store"
            )
        return self

    @property
    def base_url_is_set(self) -> bool:
        """Whether SIGNFLOW_BASE_URL was given (rather than the development default)."""
        return "base_url" in self.model_fields_set

    @cached_property
    def extra_trust_roots(self) -> tuple[x509.Certificate, ...]:
        """The certificates of the PEM files SIGNFLOW_TRUST_ROOTS names."""
        return tuple(
            cert
            for path in self.trust_roots.split(",")
            if path.strip()
            for cert in read_pem_certificates(Path(path.strip()))
        )

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'signflow.db').resolve()}"

    @property
    def effective_principal_cache(self) -> Literal["host", "off"]:
        if self.principal_cache is not None:
            return self.principal_cache
        return "host" if self.effective_database_url.startswith("sqlite") else "off"

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured key, or one generated once and kept in DATA_DIR (development only)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        private_directory(self.data_dir)
        key = secrets.token_urlsafe(48)
        create_private_file(path)
        path.write_text(key)
        return key


def read_pem_certificates(path: Path) -> list[x509.Certificate]:
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    if not certs:
        raise ValueError(f"{path} holds no certificate")
    return certs


def is_weak_secret(value: str) -> bool:
    return value.lower() in WEAK_SECRETS or len(value) < MIN_SECRET_LENGTH
