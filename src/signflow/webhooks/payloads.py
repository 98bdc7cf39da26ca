"""The Auco-style package notification body (spec: webhooks.md, "Body")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from signflow.config import Settings
from signflow.models import Document, Package, Recipient
from signflow.packages.links import document_link

WITH_SIGNER = frozenset({"NOTIFICATION", "REJECTED", "BLOCKED"})
WITH_MESSAGE = frozenset({"REJECTED", "BLOCKED"})
WITHOUT_DOCUMENTS = frozenset({"NOTIFICATION", "REJECTED"})
DEFAULT_DOCUMENT_STATUS = {
    "CREATE": "CREATE",
    "SIGNED_PACKAGE": "FINISH",
    "DOCUMENT_REJECT": "CREATE",
    "BLOCKED": "CREATE",
    "EXPIRED": "EXPIRED",
}


def needs_documents(status: str) -> bool:
    return status not in WITHOUT_DOCUMENTS


def package_event_body(
    settings: Settings,
    package: Package,
    status: str,
    *,
    documents: Sequence[Document] = (),
    recipient: Recipient | None = None,
    message: str | None = None,
    document_statuses: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Keys that do not apply are absent, never null. `documents` are the package's, in
    order, when the status lists them (`needs_documents`)."""
    body: dict[str, Any] = {"package": str(package.id), "name": package.name, "status": status}
    if status in WITH_SIGNER and recipient is not None:
        body["signer"] = {
            "id": recipient.public_id,
            "name": recipient.name,
            "email": recipient.email,
            "phone": recipient.mobile_number,
        }
    if status in WITH_MESSAGE and message is not None:
        body["message"] = message
    if needs_documents(status):
        statuses = dict(document_statuses or {})
        default = DEFAULT_DOCUMENT_STATUS.get(status, "CREATE")
        body["documents"] = [
            {
                "code": str(document.id),
                "name": document.name,
                "status": statuses.get(str(document.id), default),
                "url": document_link(settings, document),
            }
            for document in documents
        ]
    if package.tags:
        body["tags"] = list(package.tags)
    return body
