"""`GET packages/{pid}/workflow`'s answer from the workflow's read model
(`workflow/read_model.py`), serialised once: the JSON of `WorkflowDetails`, built here
field by field in the model's order and written by pydantic-core's own serialiser (what
FastAPI would call), without validating again what the server itself read.

`tests/faces/signinghub/test_workflow_details.py` holds these bytes equal to the
validated model's for rich packages, so a field added to `WorkflowDetails` and not here
fails it."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from signflow.packages.documents import CertifyPermission
from signflow.packages.listing import OWNER_VIEW
from signflow.workflow.post_process import PostProcessing
from signflow.workflow.read_model import DocumentSummary, RecipientSummary, WorkflowRead

_ALLOWED_PERMISSIONS = [p.value for p in CertifyPermission]


def details_json(read: WorkflowRead) -> bytes:
    nexts = [r for r in read.recipients if r.id in read.next_ids]
    return to_json(
        {
            "package_id": read.package_id,
            "package_name": read.name,
            "package_owner": read.owner_email,
            "owner_name": read.owner_name,
            "package_status": OWNER_VIEW.get(read.status, read.status),
            "folder": read.folder,
            "unread": read.unread,
            "next_signer": nexts[0].name if nexts else None,
            "next_signer_email": [{"user_email": r.email, "user_name": r.name} for r in nexts],
            "uploaded_on": read.created_at.isoformat(),
            "modified_on": read.modified_at.isoformat(),
            "workflow": {
                "workflow_type": read.workflow_type,
                "workflow_mode": read.workflow_mode,
                "continue_on_decline": read.continue_on_decline,
                "workflow_status": read.status,
                "read_only": read.read_only,
                "message": read.message,
                "expires_on": read.expires_at.isoformat() if read.expires_at else None,
                "post_process": _post_process(read.post_process),
            },
            "documents": [_document(d, read.read_only) for d in read.documents],
            "users": [_user(r) for r in read.recipients],
        }
    )


def _post_process(settings: PostProcessing) -> dict[str, Any]:
    return {
        "enabled": settings.enabled,
        "contacts": [],
        "recipients": [{"name": r.name, "email": r.email} for r in settings.recipients],
        "workflow_recipients": settings.workflow_recipients,
        "message": settings.message,
        "google_drive": False,
        "dropbox": False,
    }


def _document(document: DocumentSummary, locked: bool) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "document_name": document.name,
        "document_order": document.position,
        "page_count": document.page_count,
        "document_type": "PDF",
        "document_source": document.source,
        "document_width": document.width,
        "document_height": document.height,
        "document_pages": document.page_count,
        "created_on": document.created_at.isoformat(),
        "modified_on": document.modified_at.isoformat(),
        "form_fields": document.has_fields,
        "template": None,
        "certify": {
            "enabled": document.certify_enabled,
            "allowed_permissions": _ALLOWED_PERMISSIONS,
            "default_permission": document.certify_permission,
        },
        "lock_form_fields": document.lock_form_fields,
        "locked": locked,
    }


def _user(recipient: RecipientSummary) -> dict[str, Any]:
    return {
        "order": recipient.position,
        "user_email": recipient.email,
        "user_name": recipient.name,
        "role": recipient.role,
        "email_notification": recipient.email_notification,
        "signing_order": recipient.signing_order,
        "process_status": recipient.process_status,
        "processed_on": recipient.processed_on.isoformat() if recipient.processed_on else None,
        "reason": recipient.reason,
        "mobile_number": recipient.mobile_number,
        "group_name": recipient.group_name,
        "group_members": recipient.group_members,
        "placeholder": recipient.placeholder,
        "language": recipient.language,
    }
