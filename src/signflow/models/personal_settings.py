"""What a user sets for themselves: the look of their signature and its metadata, their
profile picture, their security question, and the enterprise's signing capacities."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class SignatureSettings(Base):
    """SigningHub's personal signature settings (settings/signatures/...): one row per user,
    made on the first change. Images are PNGs Signflow re-encoded (accounts/images.py)."""

    __tablename__ = "signature_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    default_design: Mapped[str] = mapped_column(String(40))
    signing_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    signing_location: Mapped[str | None] = mapped_column(String(200), default=None)
    contact_information: Mapped[str | None] = mapped_column(String(200), default=None)
    # The hand signature for web browsers (the one the API's signatures use), for the
    # mobile apps, and the initials: each a method (DRAW, TEXT, UPLOAD), a text, an image.
    browser_method: Mapped[str] = mapped_column(String(10))
    browser_text: Mapped[str | None] = mapped_column(String(100), default=None)
    browser_image: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    mobile_method: Mapped[str] = mapped_column(String(10))
    mobile_text: Mapped[str | None] = mapped_column(String(100), default=None)
    mobile_image: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    initials_method: Mapped[str] = mapped_column(String(10))
    initials_text: Mapped[str | None] = mapped_column(String(10), default=None)
    initials_image: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProfilePhoto(Base):
    """The profile picture (settings/profile/general/photo), re-encoded as PNG."""

    __tablename__ = "profile_photos"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    png: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SecurityQuestion(Base):
    """The security question (settings/profile/security); the answer only as a hash."""

    __tablename__ = "security_questions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(String(200))
    answer_hash: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SigningCapacity(Base):
    """An enterprise signing certificate of one user (enterprise/signingcertificates): a
    named capacity whose key and certificate are a `SigningCredential` of kind capacity."""

    __tablename__ = "signing_capacities"
    __table_args__ = (
        UniqueConstraint("user_id", "capacity_name", name="uq_signing_capacities_user_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    capacity_name: Mapped[str] = mapped_column(String(100))
    certificate_alias: Mapped[str] = mapped_column(String(100))
    level_of_assurance: Mapped[str] = mapped_column(String(60))
    key_protection_option: Mapped[str] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(default=False)
    credential_id: Mapped[int] = mapped_column(ForeignKey("signing_credentials.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
