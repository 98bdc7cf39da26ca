"""What the blocked page may say: whether the package's owner was told of the block."""

from __future__ import annotations

from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry, Recipient

BLOCKED_ACTION = "RECIPIENT_BLOCKED"


async def owner_told_of_block(context: AppContext, recipient_public_id: str) -> bool:
    """True when the recipient's latest block queued the e-mail to the owner (its history
    entry says so); the error page runs after its request's transaction, so in its own."""
    async with transaction(context.sessions) as session:
        recipient = await session.scalar(
            select(Recipient).where(Recipient.public_id == recipient_public_id)
        )
        if recipient is None:
            return False
        entries = await session.scalars(
            select(HistoryEntry.details)
            .where(
                HistoryEntry.package_id == recipient.package_id,
                HistoryEntry.action == BLOCKED_ACTION,
            )
            .order_by(HistoryEntry.id.desc())
        )
        for details in entries:
            if isinstance(details, dict) and details.get("order") == recipient.position:
                return details.get("owner_told") is True
        return False
