"""An enterprise's OpenID Connect single sign-on: its provider, and its client there."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, utcnow


class EnterpriseSso(Base):
    __tablename__ = "enterprise_sso"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    # Sealed with the installation's key (sealing.seal); never answered by the API.
    client_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Create an account on the first sign-in of a verified address the enterprise lacks.
    auto_create_users: Mapped[bool] = mapped_column(default=False)
    # The random part of the enterprise's sign-in address, /app/sso/{signin_key}.
    signin_key: Mapped[str] = mapped_column(String(64), unique=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
