from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow

PKI_KEY_BYTES = 16


def new_pki_key() -> str:
    """A random public id (128 bits) naming the enterprise in its /pki URLs: unlike the
    sequential id, it cannot be guessed, so the CA certificates of every tenant cannot be
    walked (each one names its enterprise)."""
    return secrets.token_urlsafe(PKI_KEY_BYTES)


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    pki_key: Mapped[str] = mapped_column(String(43), unique=True, index=True, default=new_pki_key)
    # The language of its recipients' mails and first page when they have none of their own.
    default_language: Mapped[str | None] = mapped_column(String(20), default=None)
    # Branding (signflow.branding): shown on the signer pages and in mails.
    display_name: Mapped[str | None] = mapped_column(String(200), default=None)
    accent_color: Mapped[str | None] = mapped_column(String(7), default=None)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20), default=None)
    logo_sha256: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
