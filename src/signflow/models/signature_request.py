"""OKdokument signature requests: one document, one signer, a link and two callback URLs;
and the sendInfo callbacks sent for them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class RequestState(StrEnum):
    TOSIGN = "tosign"
    SIGNED = "signed"
    CANCELED = "canceled"
    ERRORSENDINFO = "errorsendinfo"


class SignatureRequest(Base):
    __tablename__ = "signature_requests"
    __table_args__ = (Index("ix_signature_requests_enterprise", "enterprise_id", "created_at"),)

    # The signatureRequestId: a UUID.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default=RequestState.TOSIGN.value)
    send_info_url: Mapped[str | None] = mapped_column(String(2000))
    result_url: Mapped[str | None] = mapped_column(String(2000))
    allowed_fields: Mapped[object | None] = mapped_column(JSON)
    rules: Mapped[object | None] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    deleted_at: Mapped[dt.datetime | None] = mapped_column()


class SendInfoDelivery(Base):
    """One sendInfo callback: its `webhook-id` stays the same across retries."""

    __tablename__ = "sendinfo_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    signature_request_id: Mapped[str] = mapped_column(
        ForeignKey("signature_requests.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SendInfoAttempt(Base):
    __tablename__ = "sendinfo_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("sendinfo_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column()
    latency_ms: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
