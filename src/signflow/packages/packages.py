"""Creating, renaming, deleting packages and handing them to another owner."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.models import Package, User, WorkflowMode, WorkflowType
from signflow.packages.access import Need, get_package
from signflow.retention.erase import OWNER_REQUEST, erase_package
from signflow.retention.policy import Deletion, RetentionPolicy

DEFAULT_PACKAGE_NAME = "Untitled"
MAX_TAGS = 50


def clean_tags(tags: list[str] | None) -> list[str]:
    if not tags:
        return []
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"A package may carry at most {MAX_TAGS} tags")
    return [tag.strip() for tag in tags if tag.strip()]


async def create_package(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    *,
    name: str | None,
    workflow_mode: WorkflowMode,
    tags: list[str] | None,
) -> Package:
    package = Package(
        enterprise_id=principal.enterprise_id,
        owner_id=principal.user.id,
        name=(name or "").strip() or DEFAULT_PACKAGE_NAME,
        workflow_mode=workflow_mode.value,
        workflow_type=WorkflowType.SERIAL.value,
        tags=clean_tags(tags),
    )
    session.add(package)
    await session.flush()
    await record(session, package.id, "PACKAGE_CREATED", actor, {"package_name": package.name})
    return package


async def rename_package(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    *,
    name: str,
    tags: list[str] | None,
) -> Package:
    package = (await get_package(session, principal, package_id, Need.OWN)).package
    old_name = package.name
    package.name = name.strip() or DEFAULT_PACKAGE_NAME
    if tags is not None:
        package.tags = clean_tags(tags)
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "PACKAGE_RENAMED",
        actor,
        {"old_name": old_name, "new_name": package.name, "tags": package.tags},
    )
    return package


async def delete_package(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    policy: RetentionPolicy,
) -> Deletion:
    """The owner's delete, as the retention policy says (retention/policy.py): a draft, or
    an ended package past retention, is deleted for good (recorded in the enterprise's
    deletion record); any other package is hidden from every read but keeps its history
    and files. DeletionRefused (409) while a legal hold forbids deleting it for good."""
    package = (await get_package(session, principal, package_id, Need.OWN, for_update=True)).package
    now = utcnow()
    deletion = policy.owner_deletion(package, now)
    if deletion is Deletion.ERASE:
        await erase_package(
            session,
            package,
            deleted_by=actor.email or actor.name or "owner",
            reason=OWNER_REQUEST,
            now=now,
        )
        return deletion
    await record(session, package.id, "PACKAGE_DELETED", actor, {"package_name": package.name})
    package.deleted_at = now
    return deletion


async def change_owner(
    session: AsyncSession, principal: Principal, actor: Actor, package_id: int, owner_email: str
) -> Package:
    package = (await get_package(session, principal, package_id, Need.OWN)).package
    new_owner = await session.scalar(
        select(User).where(
            User.email == owner_email.strip().lower(),
            User.enterprise_id == package.enterprise_id,
            User.is_active.is_(True),
        )
    )
    if new_owner is None:
        raise BadRequest(f"'{owner_email}' is not an active user of your enterprise")
    previous = principal.user.email
    package.owner_id = new_owner.id
    package.modified_at = utcnow()
    await record(
        session,
        package.id,
        "OWNER_CHANGED",
        actor,
        {"previous_owner": previous, "new_owner": new_owner.email},
    )
    return package
