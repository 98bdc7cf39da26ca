"""What an embedded signing tells its parent page: one `postMessage` per outcome.

An integration session (`signflow.web.integration`) names the origins allowed to
frame it. Each outcome page of such a session carries the event as a JSON data
block (`#signflow-event`, read by app.js, never executed): framed, the page posts
`message` to the parent with each allowed origin as the target origin (the browser
delivers it only to the one that matches, never to "*"); not framed, a final outcome
sends the window to the application's callback instead.

The message, documented in docs/web.md:
`{"source": "signflow", "version": 1, "event": "signed" | "declined" | "finished" |
"error", "package_id", "recipient_status", "workflow_status"}`, plus `field_name`
(signed) and `message` (error).
"""

from __future__ import annotations

from typing import Any

from signflow.models import Package, ProcessStatus, Recipient
from signflow.web.pages import frame_sources
from signflow.web.session import WebSession

EVENT_SOURCE = "signflow"
EVENT_VERSION = 1
# Flash messages that report success; any other flash is a refused action.
SUCCESS_FLASHES = frozenset({"fill.saved", "code.sent"})


def outcome(event: str, package: Package, recipient: Recipient, **extra: str) -> dict[str, Any]:
    return {
        "source": EVENT_SOURCE,
        "version": EVENT_VERSION,
        "event": event,
        "package_id": package.id,
        "recipient_status": recipient.process_status,
        "workflow_status": package.status,
        **extra,
    }


def error_outcome(code: str) -> dict[str, Any]:
    """An error page's outcome: the session cannot go on (no package is read for it)."""
    return {
        "source": EVENT_SOURCE,
        "version": EVENT_VERSION,
        "event": "error",
        "package_id": None,
        "recipient_status": None,
        "workflow_status": None,
        "code": code,
    }


def turn_outcome(package: Package, recipient: Recipient) -> dict[str, Any]:
    """The outcome of a finished turn: declined, or finished (signed, approved, submitted)."""
    declined = recipient.process_status == ProcessStatus.DECLINED.value
    return outcome("declined" if declined else "finished", package, recipient)


def message_origins(web: WebSession) -> list[str]:
    """The exact origins a message may be posted to (a wildcard is no target origin)."""
    return [o for o in frame_sources(web.frame_ancestors).split() if "*" not in o]


def embed_event(
    web: WebSession | None, message: dict[str, Any] | None, callback: str | None = None
) -> dict[str, Any] | None:
    """The page's data block for app.js, in an integration session with an outcome."""
    if web is None or not web.is_integration or message is None:
        return None
    return {"message": message, "origins": message_origins(web), "callback": callback}
