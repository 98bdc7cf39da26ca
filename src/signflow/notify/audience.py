"""Whom a mail speaks to: their language and their enterprise's branding.

A recipient's language is their own (the workflow user's `language`), else their
enterprise's default, else English; an account's is its profile language, likewise.
Someone with neither (a group member, an invited or replaced person, a post-processing
copy) reads the enterprise's default.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.branding import Branding, branding_of, effective_language
from signflow.models import Enterprise, Package, Recipient, User


@dataclass(frozen=True)
class Audience:
    language: str
    branding: Branding


async def _enterprise(session: AsyncSession, enterprise_id: int) -> tuple[Enterprise, Branding]:
    enterprise = await session.get_one(Enterprise, enterprise_id)
    logo = None
    if enterprise.logo_sha256:
        logo = await session.scalar(select(Enterprise.logo).where(Enterprise.id == enterprise_id))
    return enterprise, branding_of(enterprise, logo)


async def recipient_audience(
    session: AsyncSession, recipient: Recipient, package: Package
) -> Audience:
    enterprise, branding = await _enterprise(session, package.enterprise_id)
    return Audience(effective_language(recipient.language, enterprise), branding)


async def user_audience(session: AsyncSession, user: User) -> Audience:
    enterprise, branding = await _enterprise(session, user.enterprise_id)
    return Audience(effective_language(user.language, enterprise), branding)


async def enterprise_audience(session: AsyncSession, enterprise_id: int) -> Audience:
    enterprise, branding = await _enterprise(session, enterprise_id)
    return Audience(effective_language(None, enterprise), branding)
