"""Each enterprise's signing keys: its CA, its seal, and one certificate per signer."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class CredentialKind(StrEnum):
    SIGNER = "signer"
    SEAL = "seal"
    # A user's named signing capacity (enterprise/signingcertificates), chosen at signing.
    CAPACITY = "capacity"


class KeyStore(StrEnum):
    DATABASE = "database"
    PKCS11 = "pkcs11"


class EnterpriseCa(Base):
    __tablename__ = "enterprise_cas"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    key_type: Mapped[str] = mapped_column(String(20))
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    # PKCS#8 encrypted with a key derived from SECRET_KEY (signing/keys.py); empty when the
    # key stays in a PKCS#11 token (key_store "pkcs11", token_label, key_label).
    encrypted_key: Mapped[bytes] = mapped_column(LargeBinary)
    imported: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The number of the last CRL issued (they only grow) and that CRL, until it is stale.
    crl_number: Mapped[int] = mapped_column(default=0, server_default="0")
    crl_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_store: Mapped[str] = mapped_column(
        String(20), default=KeyStore.DATABASE.value, server_default=KeyStore.DATABASE.value
    )
    token_label: Mapped[str | None] = mapped_column(String(64))
    key_label: Mapped[str | None] = mapped_column(String(64))
    # The enterprise seal's key in the same token, when it lives there.
    seal_key_label: Mapped[str | None] = mapped_column(String(64))


class SigningCredential(Base):
    """A certificate and its encrypted key, issued by the enterprise CA."""

    __tablename__ = "signing_credentials"
    __table_args__ = (Index("ix_signing_credentials_lookup", "enterprise_id", "kind", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(String(20))
    # The signer's email (lower case); empty for the enterprise seal.
    email: Mapped[str] = mapped_column(String(320), default="")
    serial_number: Mapped[str] = mapped_column(String(64))
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    encrypted_key: Mapped[bytes] = mapped_column(LargeBinary)
    not_after: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    # Set when the retention sweep destroyed the key of this expired certificate
    # (encrypted_key is then empty); the certificate stays, to verify old signatures.
    key_destroyed_at: Mapped[dt.datetime | None] = mapped_column()
    # A key in a PKCS#11 token (encrypted_key is then empty).
    token_label: Mapped[str | None] = mapped_column(String(64))
    token_key_label: Mapped[str | None] = mapped_column(String(64))


class EvidenceReport(Base):
    """The signed Process Evidence Report of a completed package, generated once."""

    __tablename__ = "evidence_reports"

    package_id: Mapped[int] = mapped_column(
        ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    history_head: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
