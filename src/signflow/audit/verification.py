"""`audit verify`: a package's chain, its head's seal, and every head recorded elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.checkpoints import verify_against_checkpoints, verify_enterprise_checkpoints
from signflow.audit.history import chain_entries, verify_chain
from signflow.models import EvidenceReport, Package


@dataclass(frozen=True)
class AuditResult:
    ok: bool
    entries: int
    broken_entry_id: int | None = None
    reason: str | None = None
    legacy_entries: int = 0


@dataclass
class EnterpriseCache:
    """Checkpoint chains already checked in this run (each is checked once per enterprise)."""

    problems: dict[int, str | None] = field(default_factory=dict)


async def audit_package(
    session: AsyncSession, package_id: int, cache: EnterpriseCache | None = None
) -> AuditResult:
    cache = cache or EnterpriseCache()
    chain = await verify_chain(session, package_id)
    if not chain.ok:
        return AuditResult(False, chain.entries, chain.broken_entry_id, chain.reason)
    package = await session.get_one(Package, package_id)
    if package.enterprise_id not in cache.problems:
        cache.problems[package.enterprise_id] = await verify_enterprise_checkpoints(
            session, package.enterprise_id
        )
    problem = cache.problems[package.enterprise_id]
    links = {e.sequence: e.entry_hash for e in await chain_entries(session, package_id)}
    if problem is None:
        problem = await verify_against_checkpoints(
            session, package_id, package.enterprise_id, links
        )
    if problem is None:
        report_head = await session.scalar(
            select(EvidenceReport.history_head).where(EvidenceReport.package_id == package_id)
        )
        if report_head and report_head not in links.values():
            problem = "the head printed in the sealed evidence report is not in the chain"
    if problem is not None:
        return AuditResult(False, chain.entries, None, problem)
    return AuditResult(True, chain.entries, legacy_entries=chain.legacy_entries)
