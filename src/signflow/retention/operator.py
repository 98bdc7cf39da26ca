"""What `signflow packages ...` and `signflow retention run` do, for operators."""

from __future__ import annotations

from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import read_transaction, transaction, utcnow
from signflow.enterprise_setup import SetupError
from signflow.models import Enterprise, Package, PackageDeletion
from signflow.retention.erase import OPERATOR, erase_package
from signflow.retention.policy import DeletionRefused, RetentionPolicy
from signflow.retention.sweep import SweepReport, sweep


async def _enterprise_id(context: AppContext, name: str) -> int:
    async with read_transaction(context.sessions) as session:
        found = await session.scalar(select(Enterprise.id).where(Enterprise.name == name))
        if found is None:
            known = list(await session.scalars(select(Enterprise.name).order_by(Enterprise.name)))
            raise SetupError(
                f"no enterprise named {name!r}; --enterprise takes one of: "
                + (", ".join(repr(k) for k in known) or "(none yet: run signflow bootstrap)")
            )
    return int(found)


async def delete_for_good(
    context: AppContext, enterprise: str, package_id: int, operator: str
) -> PackageDeletion:
    """Delete a package of `enterprise` for good, if the retention policy allows it
    (hidden packages included); SetupError saying why not otherwise."""
    enterprise_id = await _enterprise_id(context, enterprise)
    policy = RetentionPolicy.from_settings(context.settings)
    async with transaction(context.sessions) as session:
        package = await session.scalar(
            select(Package)
            .where(Package.id == package_id, Package.enterprise_id == enterprise_id)
            .with_for_update()
        )
        if package is None:
            raise SetupError(f"enterprise {enterprise!r} has no package {package_id}")
        now = utcnow()
        try:
            policy.operator_deletion(package, now)
        except DeletionRefused as exc:
            raise SetupError(f"not deleted: {exc.message}") from exc
        return await erase_package(session, package, deleted_by=operator, reason=OPERATOR, now=now)


async def deletions(context: AppContext, enterprise: str) -> list[PackageDeletion]:
    enterprise_id = await _enterprise_id(context, enterprise)
    async with read_transaction(context.sessions) as session:
        return list(
            await session.scalars(
                select(PackageDeletion)
                .where(PackageDeletion.enterprise_id == enterprise_id)
                .order_by(PackageDeletion.deleted_at, PackageDeletion.id)
            )
        )


async def run_retention(context: AppContext) -> SweepReport:
    """One sweep now, as the worker's hourly one (the freed blobs are removed by the
    worker's retention.release jobs)."""
    if context.settings.retention_days == 0:
        raise SetupError("SIGNFLOW_RETENTION_DAYS is 0: retention is off, nothing is purged")
    if context.settings.legal_hold:
        raise SetupError("SIGNFLOW_LEGAL_HOLD is on: nothing is purged while it is")
    return await sweep(context)
