"""Fields placed on document pages and assigned to recipients."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class FieldKind(StrEnum):
    SIGNATURE = "signature"
    DIGITAL_SIGNATURE = "digital_signature"
    ELECTRONIC_SIGNATURE = "electronic_signature"
    IN_PERSON_SIGNATURE = "in_person_signature"
    INITIALS = "initials"
    TEXT = "text"
    CHECKBOX = "checkbox"
    RADIO = "radio"
    DATE = "date"
    DROPDOWN = "dropdown"
    LISTBOX = "listbox"
    # Filled from the recipient at their signature (SigningHub's text field types).
    NAME = "name"
    EMAIL = "email"
    COMPANY = "company"
    JOB_TITLE = "jobtitle"


class Field(Base):
    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("document_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipients.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(255))
    page_no: Mapped[int] = mapped_column()
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    width: Mapped[float] = mapped_column(Float)
    height: Mapped[float] = mapped_column(Float)
    required: Mapped[bool] = mapped_column(default=True)
    value: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    signed_at: Mapped[dt.datetime | None] = mapped_column()
    # Who last gave the value once the package was shared (None: the owner, before it),
    # so that an unassigned field's value goes under the signature of the one who gave it.
    filled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipients.id", ondelete="SET NULL"), index=True
    )
    filled_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
