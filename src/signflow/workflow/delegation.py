"""A turn that opens for someone who delegates their signing goes to their delegate: the
recipient entry is handed over before the turn opens (so the notification and every right
follow it), and the history says from whom to whom."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.delegation import active_delegate
from signflow.audit.history import Actor, record
from signflow.models import Package, Recipient, RecipientRole


async def hand_over_if_delegated(
    session: AsyncSession, package: Package, recipient: Recipient, now: dt.datetime, actor: Actor
) -> None:
    if recipient.role == RecipientRole.CARBON_COPY.value:
        return
    delegate = await active_delegate(session, package.enterprise_id, recipient.email, now)
    if delegate is None:
        return
    delegator = recipient.email
    recipient.email, recipient.name = delegate.email, delegate.name
    await record(
        session,
        package.id,
        "RECIPIENT_DELEGATED",
        actor,
        {"order": recipient.position, "delegator": delegator, "delegate": delegate.email},
    )
