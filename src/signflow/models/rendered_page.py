"""Cache of page images: one PNG per document version, page and resolution."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, utcnow


class RenderedPage(Base):
    __tablename__ = "rendered_pages"

    document_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    page_no: Mapped[int] = mapped_column(primary_key=True)
    resolution: Mapped[int] = mapped_column(primary_key=True)
    image_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
