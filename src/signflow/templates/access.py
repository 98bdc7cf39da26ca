"""Who may see and change a template.

A personal template is its owner's; a shared one is every enterprise user's to read
and apply. Its owner, or an enterprise admin, may change either. Anything else, and
every template of another enterprise, is "Template not found".
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.errors import Forbidden, NotFound
from signflow.models import Template

TEMPLATE_NOT_FOUND = "Template not found"
NOT_YOURS = "You are not allowed to perform the requested operation"


def visible_templates(principal: Principal) -> Select[Template]:
    """The templates the caller may read: their own, and those shared in their enterprise."""
    return select(Template).where(
        Template.enterprise_id == principal.enterprise_id,
        Template.deleted_at.is_(None),
        or_(Template.owner_id == principal.user.id, Template.shared.is_(True)),
    )


async def readable_template(
    session: AsyncSession, principal: Principal, template_id: int, *, for_update: bool = False
) -> Template:
    query = visible_templates(principal).where(Template.id == template_id)
    if for_update:
        query = query.with_for_update()
    template = await session.scalar(query)
    if template is None:
        raise NotFound(TEMPLATE_NOT_FOUND)
    return template


async def managed_template(
    session: AsyncSession, principal: Principal, template_id: int
) -> Template:
    """A template the caller may change: their own, or any of the enterprise's when they
    are an enterprise admin (who shares personal templates with the enterprise). Locked
    for this transaction."""
    if not principal.user.is_admin:
        template = await readable_template(session, principal, template_id, for_update=True)
        if template.owner_id != principal.user.id:
            raise Forbidden(NOT_YOURS)
        return template
    any_of_enterprise = await session.scalar(
        select(Template)
        .where(
            Template.id == template_id,
            Template.enterprise_id == principal.enterprise_id,
            Template.deleted_at.is_(None),
        )
        .with_for_update()
    )
    if any_of_enterprise is None:
        raise NotFound(TEMPLATE_NOT_FOUND)
    return any_of_enterprise


async def template_by_name(session: AsyncSession, principal: Principal, name: str) -> Template:
    """SigningHub names the template to apply: the caller's own first, then the shared ones."""
    rows = await session.scalars(
        visible_templates(principal)
        .where(Template.name == name.strip())
        .order_by((Template.owner_id == principal.user.id).desc(), Template.id.desc())
        .limit(1)
    )
    template = rows.first()
    if template is None:
        raise NotFound(TEMPLATE_NOT_FOUND)
    return template
