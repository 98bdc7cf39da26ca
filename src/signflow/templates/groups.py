"""Recipient groups: a user's personal groups and the enterprise's groups.

A personal group is its owner's alone: anyone else (another user, another enterprise) is
told "Group not found". An enterprise group is every user's of the enterprise to read
and add to a workflow, and only an enterprise admin's to change (SigningHub: "an
enterprise user cannot edit or delete the enterprise group(s)"). A group has at least
one member and never the same address twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.users import require_admin
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Forbidden, NotFound
from signflow.models import RecipientGroup, RecipientGroupMember, User

GROUP_NOT_FOUND = "Group not found"
GROUP_OR_CONTACT_NOT_FOUND = "Group or contact not found"
NOT_ALLOWED = "You are not allowed to perform the requested operation"
MAX_NAME = 200
MAX_MEMBERS = 100
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class MemberIn:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class GroupChanges:
    name: str | None = None
    description: str | None = None
    members: Sequence[MemberIn] | None = None


@dataclass(frozen=True)
class GroupView:
    group: RecipientGroup
    members: list[RecipientGroupMember]

    @property
    def is_enterprise(self) -> bool:
        return self.group.owner_id is None


def clean_name(name: str | None) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > MAX_NAME:
        raise BadRequest(f"The group name must be 1 to {MAX_NAME} characters")
    return cleaned


def clean_email(email: str) -> str:
    cleaned = (email or "").strip().lower()
    local, at, domain = cleaned.partition("@")
    if not (local and at and "." in domain) or len(cleaned) > 320:
        raise BadRequest(f"'{email}' is not a valid email address")
    return cleaned


def clean_members(members: Sequence[MemberIn]) -> list[MemberIn]:
    """The members as given, addresses normalised; 400 when empty, too many, or when an
    address comes twice."""
    if not members:
        raise BadRequest("A group must have at least one member", code="empty_group")
    if len(members) > MAX_MEMBERS:
        raise BadRequest(f"A group has at most {MAX_MEMBERS} members")
    seen: set[str] = set()
    cleaned = []
    for member in members:
        email = clean_email(member.email)
        if email in seen:
            raise BadRequest(f"The member '{email}' is in the group twice", code="duplicate_member")
        seen.add(email)
        name = (member.name or "").strip()[:MAX_NAME] or None
        cleaned.append(MemberIn(email, name))
    return cleaned


def _visible(principal: Principal) -> Select[RecipientGroup]:
    """The groups the caller may read: their own personal ones and the enterprise's."""
    return select(RecipientGroup).where(
        RecipientGroup.enterprise_id == principal.enterprise_id,
        or_(RecipientGroup.owner_id == principal.user.id, RecipientGroup.owner_id.is_(None)),
    )


async def _members(
    session: AsyncSession, group_ids: list[int]
) -> dict[int, list[RecipientGroupMember]]:
    found: dict[int, list[RecipientGroupMember]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return found
    rows = await session.scalars(
        select(RecipientGroupMember)
        .where(RecipientGroupMember.group_id.in_(group_ids))
        .order_by(RecipientGroupMember.group_id, RecipientGroupMember.position)
    )
    for member in rows:
        found[member.group_id].append(member)
    return found


async def _view(session: AsyncSession, group: RecipientGroup) -> GroupView:
    return GroupView(group, (await _members(session, [group.id]))[group.id])


async def _require_unique_name(
    session: AsyncSession, enterprise_id: int, owner_id: int | None, name: str, *, but: int = 0
) -> None:
    owner = (
        RecipientGroup.owner_id.is_(None)
        if owner_id is None
        else RecipientGroup.owner_id == owner_id
    )
    taken = await session.scalar(
        select(RecipientGroup.id).where(
            RecipientGroup.enterprise_id == enterprise_id,
            owner,
            func.lower(RecipientGroup.name) == name.lower(),
            RecipientGroup.id != but,
        )
    )
    if taken is not None:
        raise Conflict(f"A group named '{name}' already exists")


async def _default_names(
    session: AsyncSession, enterprise_id: int, emails: list[str]
) -> dict[str, str]:
    rows = await session.execute(
        select(User.email, User.name).where(
            User.enterprise_id == enterprise_id, User.email.in_(emails)
        )
    )
    return {str(row[0]): str(row[1]) for row in rows.all()}


async def _write_members(
    session: AsyncSession, group: RecipientGroup, members: list[MemberIn]
) -> list[RecipientGroupMember]:
    known = await _default_names(session, group.enterprise_id, [m.email for m in members])
    rows = [
        RecipientGroupMember(
            group_id=group.id,
            position=index,
            email=member.email,
            name=member.name or known.get(member.email) or member.email.partition("@")[0],
        )
        for index, member in enumerate(members, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def add_group(
    session: AsyncSession,
    principal: Principal,
    name: str | None,
    description: str | None,
    members: Sequence[MemberIn],
    *,
    enterprise: bool,
) -> GroupView:
    """A personal group of the caller, or (an enterprise admin) an enterprise group."""
    if enterprise:
        require_admin(principal)
    cleaned_name = clean_name(name)
    cleaned = clean_members(members)
    owner_id = None if enterprise else principal.user.id
    await _require_unique_name(session, principal.enterprise_id, owner_id, cleaned_name)
    group = RecipientGroup(
        enterprise_id=principal.enterprise_id,
        owner_id=owner_id,
        name=cleaned_name,
        description=(description or "").strip() or None,
    )
    session.add(group)
    await session.flush()
    return GroupView(group, await _write_members(session, group, cleaned))


async def read_group(
    session: AsyncSession, principal: Principal, group_id: int, *, enterprise: bool
) -> GroupView:
    """`enterprise`: the enterprise-admin call (enterprise groups only); else the caller's
    personal group, or an enterprise group of their enterprise (read only)."""
    group = await _group(session, principal, group_id, enterprise=enterprise, for_update=False)
    return await _view(session, group)


async def _group(
    session: AsyncSession,
    principal: Principal,
    group_id: int,
    *,
    enterprise: bool,
    for_update: bool,
) -> RecipientGroup:
    if enterprise:
        require_admin(principal)
        query = select(RecipientGroup).where(
            RecipientGroup.enterprise_id == principal.enterprise_id,
            RecipientGroup.owner_id.is_(None),
        )
    else:
        query = _visible(principal)
    query = query.where(RecipientGroup.id == group_id)
    if for_update:
        query = query.with_for_update()
    group = await session.scalar(query)
    if group is None:
        raise NotFound(GROUP_NOT_FOUND)
    return group


async def _changeable(
    session: AsyncSession, principal: Principal, group_id: int, *, enterprise: bool
) -> RecipientGroup:
    group = await _group(session, principal, group_id, enterprise=enterprise, for_update=True)
    if not enterprise and group.owner_id is None:
        # Through the personal settings an enterprise group is read only.
        raise Forbidden(NOT_ALLOWED)
    return group


async def update_group(
    session: AsyncSession,
    principal: Principal,
    group_id: int,
    changes: GroupChanges,
    *,
    enterprise: bool,
) -> GroupView:
    """Rename, describe, or replace the members (the whole list, as sent). Packages that
    already hold the group keep the members they were prepared with."""
    group = await _changeable(session, principal, group_id, enterprise=enterprise)
    if changes.name is not None:
        name = clean_name(changes.name)
        await _require_unique_name(session, group.enterprise_id, group.owner_id, name, but=group.id)
        group.name = name
    if changes.description is not None:
        group.description = changes.description.strip() or None
    if changes.members is not None:
        cleaned = clean_members(changes.members)
        await session.execute(
            delete(RecipientGroupMember).where(RecipientGroupMember.group_id == group.id)
        )
        await _write_members(session, group, cleaned)
    group.modified_at = utcnow()
    await session.flush()
    return await _view(session, group)


async def delete_group(
    session: AsyncSession, principal: Principal, group_id: int, *, enterprise: bool
) -> None:
    group = await _changeable(session, principal, group_id, enterprise=enterprise)
    await session.delete(group)
    await session.flush()


async def list_groups(
    session: AsyncSession,
    principal: Principal,
    page_no: int,
    per_page: int,
    *,
    search: str | None,
    enterprise: bool | None,
) -> tuple[list[GroupView], int]:
    """One page of the caller's personal groups and the enterprise's, by name. `enterprise`
    True lists only the enterprise's, False only the personal ones, None both."""
    if page_no < 1:
        raise BadRequest("page_no must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"records_per_page must be between 1 and {MAX_PER_PAGE}")
    query = _visible(principal)
    if enterprise is True:
        query = query.where(RecipientGroup.owner_id.is_(None))
    elif enterprise is False:
        query = query.where(RecipientGroup.owner_id == principal.user.id)
    if search:
        query = query.where(func.lower(RecipientGroup.name).contains(search.strip().lower()))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    groups = list(
        await session.scalars(
            query.order_by(RecipientGroup.name, RecipientGroup.id)
            .limit(per_page)
            .offset((page_no - 1) * per_page)
        )
    )
    members = await _members(session, [g.id for g in groups])
    return [GroupView(g, members[g.id]) for g in groups], int(total or 0)


async def group_by_name(session: AsyncSession, principal: Principal, name: str) -> GroupView:
    """The group a workflow call names: the caller's personal group first, then the
    enterprise's (SigningHub's 404 "Group or contact not found" otherwise)."""
    rows = await session.scalars(
        _visible(principal)
        .where(func.lower(RecipientGroup.name) == (name or "").strip().lower())
        .order_by(RecipientGroup.owner_id.is_(None), RecipientGroup.id)
        .limit(1)
    )
    group = rows.first()
    if group is None:
        raise NotFound(GROUP_OR_CONTACT_NOT_FOUND)
    view = await _view(session, group)
    if not view.members:
        raise BadRequest("A group must have at least one member", code="empty_group")
    return view
