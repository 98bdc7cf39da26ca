"""The retention policy: when a package's documents are removed, and when a package may be
deleted for good (docs/operations.md, "Retention and deletion").

- Drafts (never shared, or recalled) may be deleted for good at any time.
- Packages in progress (SHARED) are never deleted for good: the owner's delete hides them.
- Ended packages (COMPLETED, DECLINED, EXPIRED) are kept for SIGNFLOW_RETENTION_DAYS
  after they ended: until then the owner's delete hides them; after it the worker
  removes their documents (the record and history stay) and a delete removes them for
  good. With retention off (0 days, the default) they are kept for ever.
- While SIGNFLOW_LEGAL_HOLD is on nothing is removed: no purge, no deletion for good.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import ColumnElement, func

from signflow.config import Settings
from signflow.errors import Conflict, Gone
from signflow.models import Document, Package, WorkflowStatus

ENDED_STATUSES = (
    WorkflowStatus.COMPLETED.value,
    WorkflowStatus.DECLINED.value,
    WorkflowStatus.EXPIRED.value,
)
LEGAL_HOLD_TEXT = (
    "A legal hold is in force (SIGNFLOW_LEGAL_HOLD): no package can be deleted for good"
)
IN_PROGRESS_TEXT = "The package is in progress: recall it first (DELETE /packages/{id}/workflow)"


class DeletionRefused(Conflict):
    """A deletion for good that the policy does not allow (409)."""


class ContentPurged(Gone):
    """The documents were removed by the retention policy (410): the package's record and
    history are still there, its files are not."""

    def __init__(self, package_id: int, purged_at: dt.datetime, value: str | None = None) -> None:
        day = purged_at.astimezone(dt.UTC).date().isoformat()
        super().__init__(
            f"The documents of package {package_id} were removed on {day} under the "
            "retention policy; its history is still available",
            code="content_purged",
            value=value or str(package_id),
        )


class Deletion(Enum):
    HIDE = "hide"  # kept, out of every listing and read (the SigningHub delete until now)
    ERASE = "erase"  # removed for good, recorded in the enterprise's deletion record


def ended_at(package: Package) -> dt.datetime | None:
    """When an ended package ended: its completion, or for a declined or expired one its
    last change (a later rename only moves the date on, keeping it longer)."""
    if package.status not in ENDED_STATUSES:
        return None
    return package.completed_at or package.modified_at


def ended_at_column() -> ColumnElement[dt.datetime]:
    return func.coalesce(Package.completed_at, Package.modified_at)


@dataclass(frozen=True)
class RetentionPolicy:
    days: int
    legal_hold: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(days=settings.retention_days, legal_hold=settings.legal_hold)

    @property
    def purges(self) -> bool:
        return self.days > 0 and not self.legal_hold

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """Packages that ended before this moment are past retention."""
        return now - dt.timedelta(days=self.days)

    def kept_until(self, package: Package) -> dt.datetime | None:
        """When an ended package's retention ends (None: not ended, or kept for ever)."""
        ended = ended_at(package)
        if ended is None or self.days == 0:
            return None
        return ended + dt.timedelta(days=self.days)

    def past_retention(self, package: Package, now: dt.datetime) -> bool:
        until = self.kept_until(package)
        return until is not None and until <= now

    def describe(self) -> dict[str, object]:
        return {"policy": "SIGNFLOW_RETENTION_DAYS", "retention_days": self.days}

    def owner_deletion(self, package: Package, now: dt.datetime) -> Deletion:
        """What the owner's delete call does to this package."""
        if package.status == WorkflowStatus.DRAFT.value or self.past_retention(package, now):
            if self.legal_hold:
                raise DeletionRefused(LEGAL_HOLD_TEXT, code="legal_hold")
            return Deletion.ERASE
        return Deletion.HIDE

    def operator_deletion(self, package: Package, now: dt.datetime) -> None:
        """An operator's deletion for good (`signflow packages delete`): allowed, or refused
        with the reason and what would allow it."""
        if self.legal_hold:
            raise DeletionRefused(LEGAL_HOLD_TEXT, code="legal_hold")
        if package.status == WorkflowStatus.DRAFT.value:
            return
        if package.status not in ENDED_STATUSES:
            raise DeletionRefused(IN_PROGRESS_TEXT, code="in_progress")
        until = self.kept_until(package)
        if until is None:
            raise DeletionRefused(
                f"Package {package.id} is {package.status}: ended packages are kept for ever "
                "while SIGNFLOW_RETENTION_DAYS is 0",
                code="retained",
            )
        if until > now:
            raise DeletionRefused(
                f"Package {package.id} is {package.status} and kept until "
                f"{until.astimezone(dt.UTC).date().isoformat()} (SIGNFLOW_RETENTION_DAYS="
                f"{self.days})",
                code="retained",
            )


def require_content(package: Package) -> None:
    """ContentPurged (410) once the retention policy removed the package's documents."""
    if package.purged_at is not None:
        raise ContentPurged(package.id, package.purged_at)


def require_document_content(document: Document) -> None:
    if document.purged_at is not None:
        raise ContentPurged(document.package_id, document.purged_at, str(document.id))
