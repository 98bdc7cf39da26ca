"""Saving, listing, reading, renaming and deleting templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Forbidden
from signflow.models import Template, TemplateDocument, TemplateVersion, User
from signflow.packages.access import Need, get_package
from signflow.templates.access import (
    NOT_YOURS,
    managed_template,
    readable_template,
    visible_templates,
)
from signflow.templates.snapshot import write_version
from signflow.workflow.common import package_recipients, recipient_at

MAX_NAME = 255
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class TemplateView:
    template: Template
    version: TemplateVersion
    documents: list[TemplateDocument]


def clean_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise BadRequest("template_name is required")
    if len(cleaned) > MAX_NAME:
        raise BadRequest(f"template_name must be at most {MAX_NAME} characters")
    return cleaned


async def _require_unique_name(
    session: AsyncSession, principal: Principal, name: str, shared: bool, exclude: int | None
) -> None:
    """One name per owner among personal templates, one per enterprise among shared ones:
    SigningHub applies a template by its name."""
    query = select(Template.id).where(
        Template.enterprise_id == principal.enterprise_id,
        Template.deleted_at.is_(None),
        Template.name == name,
        Template.shared.is_(shared),
    )
    if not shared:
        query = query.where(Template.owner_id == principal.user.id)
    if exclude is not None:
        query = query.where(Template.id != exclude)
    if await session.scalar(query.limit(1)) is not None:
        raise Conflict(f"A template named '{name}' already exists")


async def _placeholder_titles(
    session: AsyncSession, package_id: int, placeholders: Mapping[int, str]
) -> dict[int, str]:
    recipients = await package_recipients(session, package_id)
    titles = {}
    for order, title in placeholders.items():
        recipient_at(recipients, order)  # 404 No user found at given order
        cleaned = title.strip()
        if not cleaned or len(cleaned) > 200:
            raise BadRequest("A placeholder title must be 1 to 200 characters")
        titles[order] = cleaned
    return titles


async def save_template(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    package_id: int,
    *,
    name: str,
    shared: bool,
    placeholders: Mapping[int, str],
) -> TemplateView:
    """Version 1 of a new template, taken from the caller's package. Sharing it with the
    enterprise takes an enterprise admin."""
    package = (await get_package(session, principal, package_id, Need.OWN)).package
    if shared and not principal.user.is_admin:
        raise Forbidden(NOT_YOURS)
    cleaned = clean_name(name)
    await _require_unique_name(session, principal, cleaned, shared, None)
    titles = await _placeholder_titles(session, package.id, placeholders)
    template = Template(
        enterprise_id=principal.enterprise_id,
        owner_id=principal.user.id,
        name=cleaned,
        shared=shared,
        current_version=1,
    )
    session.add(template)
    await session.flush()
    version = await write_version(session, template, 1, package, titles)
    await record(
        session,
        package.id,
        "TEMPLATE_SAVED",
        actor,
        {"template_id": template.id, "template_name": cleaned, "version": 1, "shared": shared},
    )
    return await _view(session, template, version)


async def save_new_version(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    template_id: int,
    package_id: int,
    placeholders: Mapping[int, str],
) -> TemplateView:
    """The next version of a template the caller manages, taken from one of their packages.
    Packages made from earlier versions keep naming the version they came from."""
    template = await managed_template(session, principal, template_id)
    package = (await get_package(session, principal, package_id, Need.OWN)).package
    titles = await _placeholder_titles(session, package.id, placeholders)
    number = template.current_version + 1
    version = await write_version(session, template, number, package, titles)
    template.current_version = number
    template.modified_at = utcnow()
    await record(
        session,
        package.id,
        "TEMPLATE_SAVED",
        actor,
        {"template_id": template.id, "template_name": template.name, "version": number},
    )
    return await _view(session, template, version)


async def version_of(session: AsyncSession, template: Template, number: int) -> TemplateVersion:
    version = await session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template.id, TemplateVersion.number == number
        )
    )
    if version is None:  # every template has its current version; a bug otherwise
        raise LookupError(f"template {template.id} has no version {number}")
    return version


async def version_documents(
    session: AsyncSession, version: TemplateVersion
) -> list[TemplateDocument]:
    rows = await session.scalars(
        select(TemplateDocument)
        .where(TemplateDocument.version_id == version.id)
        .order_by(TemplateDocument.position)
    )
    return list(rows)


async def _view(
    session: AsyncSession, template: Template, version: TemplateVersion
) -> TemplateView:
    return TemplateView(template, version, await version_documents(session, version))


async def read_template(
    session: AsyncSession, principal: Principal, template_id: int
) -> TemplateView:
    template = await readable_template(session, principal, template_id)
    return await _view(
        session, template, await version_of(session, template, template.current_version)
    )


async def list_templates(
    session: AsyncSession,
    principal: Principal,
    page_no: int,
    per_page: int,
    *,
    search: str | None,
    enterprise: bool | None,
) -> tuple[list[Template], int]:
    """One page of the templates the caller may apply, by name. `enterprise` True lists
    only the shared ones, False only the caller's personal ones, None both."""
    if page_no < 1:
        raise BadRequest("page_no must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"records_per_page must be between 1 and {MAX_PER_PAGE}")
    query = visible_templates(principal)
    if enterprise is True:
        query = query.where(Template.shared.is_(True))
    elif enterprise is False:
        query = query.where(Template.shared.is_(False), Template.owner_id == principal.user.id)
    if search:
        query = query.where(func.lower(Template.name).contains(search.strip().lower()))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Template.name, Template.id).limit(per_page).offset((page_no - 1) * per_page)
    )
    return list(rows), int(total or 0)


async def update_template(
    session: AsyncSession,
    principal: Principal,
    template_id: int,
    *,
    name: str | None,
    shared: bool | None,
) -> TemplateView:
    """Rename, or share with the enterprise / make personal (an enterprise admin's call)."""
    template = await managed_template(session, principal, template_id)
    if shared is not None and shared != template.shared and not principal.user.is_admin:
        raise Forbidden(NOT_YOURS)
    new_name = clean_name(name) if name is not None else template.name
    new_shared = template.shared if shared is None else shared
    await _require_unique_name(session, principal, new_name, new_shared, template.id)
    template.name, template.shared = new_name, new_shared
    template.modified_at = utcnow()
    return await _view(
        session, template, await version_of(session, template, template.current_version)
    )


async def delete_template(session: AsyncSession, principal: Principal, template_id: int) -> None:
    """Gone from every read and apply; its versions stay, since packages name them."""
    template = await managed_template(session, principal, template_id)
    template.deleted_at = utcnow()


async def owner_emails(session: AsyncSession, templates: list[Template]) -> dict[int, str]:
    ids = {template.owner_id for template in templates}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    return {user_id: email for user_id, email in rows}  # noqa: C416


async def library_documents(
    session: AsyncSession,
    principal: Principal,
    page_no: int,
    per_page: int,
    *,
    search: str | None,
    enterprise: bool | None,
) -> tuple[list[tuple[TemplateDocument, Template]], int]:
    """SigningHub's library: the documents of the current version of every template the
    caller may apply, by name."""
    if page_no < 1:
        raise BadRequest("page_no must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"records_per_page must be between 1 and {MAX_PER_PAGE}")
    templates = visible_templates(principal)
    if enterprise is True:
        templates = templates.where(Template.shared.is_(True))
    elif enterprise is False:
        templates = templates.where(
            Template.shared.is_(False), Template.owner_id == principal.user.id
        )
    visible = templates.subquery()
    query = (
        select(TemplateDocument, Template)
        .join(TemplateVersion, TemplateVersion.id == TemplateDocument.version_id)
        .join(Template, Template.id == TemplateVersion.template_id)
        .where(
            Template.id.in_(select(visible.c.id)),
            TemplateVersion.number == Template.current_version,
        )
    )
    if search:
        query = query.where(func.lower(TemplateDocument.name).contains(search.strip().lower()))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(TemplateDocument.name, TemplateDocument.id)
        .limit(per_page)
        .offset((page_no - 1) * per_page)
    )
    return [(document, template) for document, template in rows], int(total or 0)
