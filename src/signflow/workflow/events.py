"""The notifications a state change writes: webhook messages, and email jobs.

Every package notification goes through `write_package_event`, in the
transaction of the change that causes it, so a rolled-back change sends
nothing and each change sends exactly one. The worker delivers the messages
(`webhooks.delivery`) and runs the mailer's jobs (`notify.jobs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import settings_of
from signflow.models import Document, Package, Recipient
from signflow.outbox.enqueue import enqueue
from signflow.webhooks.fanout import write_messages

EMAIL_TURN_OPENED = "email.turn_opened"
EMAIL_PACKAGE_COMPLETED = "email.package_completed"
EMAIL_DECLINED = "email.declined"
EMAIL_REMINDER = "email.reminder"
EMAIL_BLOCKED = "email.blocked"


class PackageEvent(StrEnum):
    CREATE = "CREATE"
    NOTIFICATION = "NOTIFICATION"
    SIGNED_PACKAGE = "SIGNED_PACKAGE"
    DOCUMENT_REJECT = "DOCUMENT_REJECT"
    REJECTED = "REJECTED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"


class DocumentEvent(StrEnum):
    CREATE = "CREATE"
    FINISH = "FINISH"
    REJECT = "REJECT"
    EXPIRED = "EXPIRED"


def all_documents(documents: Iterable[Document], status: DocumentEvent) -> dict[int, DocumentEvent]:
    return {document.id: status for document in documents}


async def write_package_event(
    session: AsyncSession,
    package: Package,
    status: PackageEvent,
    *,
    recipient: Recipient | None = None,
    message: str | None = None,
    documents: Sequence[Document] | None = None,
    document_statuses: Mapping[int, DocumentEvent] | None = None,
) -> None:
    """The one way a package notification is written: each listening endpoint's message,
    built now from what the change left. Keys that do not apply are absent. `documents`
    are the package's, in order, when the caller has them already."""
    await write_messages(
        session,
        settings_of(session),
        package,
        status.value,
        documents=documents,
        recipient=recipient,
        message=message,
        document_statuses=(
            {str(document_id): state.value for document_id, state in document_statuses.items()}
            if document_statuses is not None
            else None
        ),
    )


def email_turn_opened(session: AsyncSession, package: Package, recipient: Recipient) -> None:
    if recipient.email_notification:
        enqueue(
            session,
            EMAIL_TURN_OPENED,
            {"recipient_id": recipient.id},
            enterprise_id=package.enterprise_id,
        )


def email_package_completed(session: AsyncSession, package: Package) -> None:
    enqueue(
        session,
        EMAIL_PACKAGE_COMPLETED,
        {"package_id": package.id},
        enterprise_id=package.enterprise_id,
    )


def email_declined(session: AsyncSession, package: Package, recipient: Recipient) -> None:
    enqueue(
        session,
        EMAIL_DECLINED,
        {"package_id": package.id, "recipient_id": recipient.id},
        enterprise_id=package.enterprise_id,
    )


def email_reminder(session: AsyncSession, package: Package, recipient: Recipient) -> None:
    enqueue(
        session,
        EMAIL_REMINDER,
        {"recipient_id": recipient.id},
        enterprise_id=package.enterprise_id,
    )


def email_blocked(session: AsyncSession, package: Package, recipient: Recipient) -> None:
    """The owner hears that a recipient is blocked (three wrong identity checks)."""
    enqueue(
        session,
        EMAIL_BLOCKED,
        {"package_id": package.id, "recipient_id": recipient.id},
        enterprise_id=package.enterprise_id,
    )
