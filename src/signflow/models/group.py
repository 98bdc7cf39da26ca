"""Recipient groups (SigningHub's personal and enterprise groups), and the members of a
group added to a package's workflow.

A group recipient is one step acted on by any one member: the members are copied into the
workflow when the group is added (`RecipientMember`), so later changes to the group never
change who may act in a package already prepared.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signflow.db import Base, BigId, utcnow


class RecipientGroup(Base):
    __tablename__ = "recipient_groups"
    __table_args__ = (Index("ix_recipient_groups_enterprise", "enterprise_id", "owner_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    # The user a personal group belongs to; None for an enterprise group.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecipientGroupMember(Base):
    __tablename__ = "recipient_group_members"
    __table_args__ = (UniqueConstraint("group_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("recipient_groups.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))


class RecipientMember(Base):
    """A member of a group recipient in one package. Each has their own signing link
    (`public_id`); the first to act takes the group's turn (the recipient row then carries
    their address) and the others' invitations are withdrawn."""

    __tablename__ = "recipient_members"
    __table_args__ = (
        UniqueConstraint("recipient_id", "email"),
        Index("ix_recipient_members_email", "email", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column()
