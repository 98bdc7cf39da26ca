"""A user's own profile: what they may change about themselves, and who owns their
enterprise (the profile names the enterprise's first administrator)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.errors import BadRequest
from signflow.models import Enterprise, User
from signflow.models.user import EnterpriseRole


@dataclass(frozen=True)
class ProfileChange:
    """None leaves a value as it is; an empty string clears it (the name cannot be)."""

    name: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    mobile_number: str | None = None
    country: str | None = None
    time_zone: str | None = None
    language: str | None = None


async def update_profile(
    session: AsyncSession, user_id: int, change: ProfileChange
) -> dict[str, str | None]:
    """Apply the change to the caller's own account; returns what changed."""
    user = await session.get_one(User, user_id, with_for_update=True)
    changed: dict[str, str | None] = {}
    for item in fields(change):
        value = getattr(change, item.name)
        if value is None:
            continue
        cleaned = value.strip()
        if item.name == "name" and not cleaned:
            raise BadRequest("user_name cannot be empty")
        setattr(user, item.name, cleaned or None)
        changed[item.name] = cleaned or None
    return changed


@dataclass(frozen=True)
class EnterpriseOwner:
    enterprise_name: str
    owner: User | None


async def enterprise_owner(session: AsyncSession, enterprise_id: int) -> EnterpriseOwner:
    enterprise = await session.get_one(Enterprise, enterprise_id)
    owner = await session.scalar(
        select(User)
        .where(User.enterprise_id == enterprise_id, User.role == EnterpriseRole.ADMIN.value)
        .order_by(User.id)
        .limit(1)
    )
    return EnterpriseOwner(enterprise_name=enterprise.name, owner=owner)
