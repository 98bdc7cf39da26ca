"""Post-processing (SigningHub's `workflow/post_process`): when the workflow completes,
a copy of the completed documents goes to the people listed, with the owner's message;
`workflow_recipients` adds that message to the copy the workflow's own recipients get.

Set on a draft by its owner. Google Drive and Dropbox uploads have no meaning on a
self-hosted server: asking for them is refused, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.models import Package
from signflow.workflow.common import owned_draft
from signflow.workflow.recipients import clean_email

MAX_POST_PROCESS_RECIPIENTS = 50
MAX_POST_PROCESS_MESSAGE = 5000
NO_CLOUD_STORAGE = "Google Drive and Dropbox are not available on this server"


@dataclass(frozen=True)
class PostProcessRecipient:
    name: str
    email: str


@dataclass(frozen=True)
class PostProcessing:
    enabled: bool = False
    recipients: tuple[PostProcessRecipient, ...] = ()
    message: str = ""
    workflow_recipients: bool = False
    google_drive: bool = False
    dropbox: bool = False

    def stored(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "recipients": [{"name": r.name, "email": r.email} for r in self.recipients],
            "message": self.message,
            "workflow_recipients": self.workflow_recipients,
        }


def post_processing(package: Package) -> PostProcessing:
    """The package's settings, as stored (disabled when never set)."""
    return stored_post_processing(package.post_process)


def stored_post_processing(column: dict[str, object] | None) -> PostProcessing:
    """The settings of a package's `post_process` column (disabled when never set)."""
    stored = column or {}
    items = cast(list[dict[str, str]], stored.get("recipients") or [])
    return PostProcessing(
        enabled=bool(stored.get("enabled")),
        recipients=tuple(PostProcessRecipient(i["name"], i["email"]) for i in items),
        message=str(stored.get("message") or ""),
        workflow_recipients=bool(stored.get("workflow_recipients")),
    )


async def set_post_processing(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    wanted: PostProcessing,
) -> Package:
    package = await owned_draft(session, principal, package_id)
    if wanted.google_drive or wanted.dropbox:
        raise BadRequest(NO_CLOUD_STORAGE)
    if len(wanted.recipients) > MAX_POST_PROCESS_RECIPIENTS:
        raise BadRequest(f"recipients holds at most {MAX_POST_PROCESS_RECIPIENTS} people")
    if len(wanted.message) > MAX_POST_PROCESS_MESSAGE:
        raise BadRequest(f"message must be at most {MAX_POST_PROCESS_MESSAGE} characters")
    if wanted.enabled and not (wanted.recipients or wanted.workflow_recipients):
        raise BadRequest("Post processing needs recipients or workflow_recipients")
    seen: dict[str, PostProcessRecipient] = {}
    for item in wanted.recipients:
        email = clean_email(item.email)
        seen.setdefault(email, PostProcessRecipient(item.name.strip() or email, email))
    settings = PostProcessing(
        enabled=wanted.enabled,
        recipients=tuple(seen.values()),
        message=wanted.message.strip(),
        workflow_recipients=wanted.workflow_recipients,
    )
    package.post_process = settings.stored()
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "POST_PROCESS_UPDATED",
        actor,
        {
            "enabled": settings.enabled,
            "recipients": [r.email for r in settings.recipients],
            "workflow_recipients": settings.workflow_recipients,
        },
    )
    return package
