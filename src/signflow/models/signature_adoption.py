"""A signer's adopted signature and initials, kept for their turn on one package."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class SignatureAdoption(Base):
    """What the signer adopted in the sign dialog (drawn, typed in a style, or uploaded), so
    that each further signature or initials field of their turn is one tap. One row per
    recipient entry and acting user (a group member adopts their own); the PNGs are
    re-encoded by Signflow (`accounts/images.py`)."""

    __tablename__ = "signature_adoptions"
    __table_args__ = (
        UniqueConstraint("recipient_id", "user_id", name="uq_signature_adoptions_recipient_user"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("recipients.id", ondelete="CASCADE"), index=True
    )
    # The acting user: a group member's id, 0 for a link recipient without an account
    # (they act through a stand-in user); not a foreign key for that reason.
    user_id: Mapped[int] = mapped_column(BigId)
    method: Mapped[str] = mapped_column(String(10))  # drawn, typed, uploaded
    style: Mapped[str | None] = mapped_column(String(40), default=None)  # a typed font
    typed_name: Mapped[str | None] = mapped_column(String(200), default=None)
    initials: Mapped[str] = mapped_column(String(10))
    signature_png: Mapped[bytes] = mapped_column(LargeBinary)
    initials_png: Mapped[bytes] = mapped_column(LargeBinary)
    signature_sha256: Mapped[str] = mapped_column(String(64))
    initials_sha256: Mapped[str] = mapped_column(String(64))
    consent: Mapped[str] = mapped_column(Text)
    adopted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
