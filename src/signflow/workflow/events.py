"""The notifications a state change writes: one `package.event` job each, and emails.

Every package notification goes through `write_package_event`, in the
transaction of the change that causes it, so a rolled-back change sends
nothing and each change sends exactly one. The webhook fan-out and the
mailer are the handlers of these job kinds (not here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.models import Document, Job, Package, Recipient
from signflow.outbox.enqueue import enqueue

PACKAGE_EVENT = "package.event"
EMAIL_TURN_OPENED = "email.turn_opened"
EMAIL_PACKAGE_COMPLETED = "email.package_completed"
EMAIL_DECLINED = "email.declined"
EMAIL_REMINDER = "email.reminder"


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


def write_package_event(
    session: AsyncSession,
    package: Package,
    status: PackageEvent,
    *,
    recipient: Recipient | None = None,
    message: str | None = None,
    document_statuses: Mapping[int, DocumentEvent] | None = None,
) -> Job:
    """The one way a package notification is written. Keys that do not apply are absent."""
    payload: dict[str, object] = {"package_id": package.id, "status": status.value}
    if recipient is not None:
        payload["recipient_id"] = recipient.id
    if message is not None:
        payload["message"] = message
    if document_statuses is not None:
        payload["document_statuses"] = {
            str(document_id): state.value for document_id, state in document_statuses.items()
        }
    return enqueue(
        session,
        PACKAGE_EVENT,
        payload,
        # Notifications of one package are handled in the order of its changes.
        ordering_key=f"package-events:{package.id}",
        enterprise_id=package.enterprise_id,
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
