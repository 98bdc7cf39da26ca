"""B-LTA upkeep: archive timestamps on completed packages, renewed before they expire.

At SIGNFLOW_SIGNATURE_LEVEL=B-LTA a completed package gets one ARCHIVE_JOB. Each run
looks at every signed document of the package: one without an archive timestamp, or
whose newest archive timestamp's certificate expires within
SIGNFLOW_ARCHIVE_TIMESTAMP_MARGIN_DAYS, gets a new one (`signing/archive.py`) as a new
version, recorded in the package history. The run then schedules the next one for when
the earliest of those certificates enters the margin. The new versions, the history
entries, the next job and the job's "done" are one commit (`Finish`), so the chain of
jobs stays one job long whatever happens to the worker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.history import SYSTEM, record
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.models import Document, Job, Package, VersionKind, WorkflowStatus
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import Done, Failed, Finish, Outcome, Result, job_handler
from signflow.packages.documents import add_version
from signflow.signing.archive import add_archive_timestamp, archive_state
from signflow.signing.enterprise_keys import ensure_enterprise_ca
from signflow.signing.longterm import KnownMaterial
from signflow.signing.revocation import current_crl
from signflow.workflow.common import package_documents

ARCHIVE_JOB = "signing.archive_timestamp"
# A TSA whose certificate is already inside the margin is asked again at most this often.
MIN_RENEWAL_INTERVAL = dt.timedelta(days=1)


def schedule_archiving(session: AsyncSession, package: Package, due_at: dt.datetime) -> None:
    enqueue(
        session,
        ARCHIVE_JOB,
        {"package_id": package.id},
        due_at=due_at,
        enterprise_id=package.enterprise_id,
    )


@dataclass(frozen=True)
class _Stamped:
    document_id: int
    previous_sha256: str
    pdf: bytes
    expires_at: dt.datetime


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@job_handler(ARCHIVE_JOB)
async def run_archiving(context: AppContext, job: Job) -> Result:
    package_id = job.payload.get("package_id")
    if not isinstance(package_id, int):
        return Failed("payload has no package_id")
    settings = context.settings
    if not settings.tsa_url:
        return Failed("SIGNFLOW_TSA_URL is not set: archive timestamps cannot be renewed")
    margin = dt.timedelta(days=settings.archive_timestamp_margin_days)
    now = utcnow()
    async with transaction(context.sessions) as session:
        package = await session.get(Package, package_id)
        if package is None or package.status != WorkflowStatus.COMPLETED.value:
            return Done()
        documents = [(d.id, d.current_sha256) for d in await package_documents(session, package_id)]
        ca = await ensure_enterprise_ca(session, settings, package.enterprise_id)
        known = KnownMaterial(
            trust_roots=settings.extra_trust_roots,
            certs=(ca.authority.cert,),
            crls=(await current_crl(session, settings, package.enterprise_id, fresh=True),),
        )
    stamped: list[_Stamped] = []
    kept: list[dt.datetime] = []
    for document_id, sha256 in documents:
        pdf = await context.blobs.get(sha256)
        state = await asyncio.to_thread(archive_state, pdf)
        if not state.signed:
            continue
        expires = state.newest_expires_at
        if expires is not None and _aware(expires) - margin > now:
            kept.append(_aware(expires))
            continue
        renewed = await asyncio.to_thread(add_archive_timestamp, pdf, settings.tsa_url, known)
        new_state = await asyncio.to_thread(archive_state, renewed)
        assert new_state.newest_expires_at is not None
        stamped.append(_Stamped(document_id, sha256, renewed, _aware(new_state.newest_expires_at)))
    renew_at = [moment - margin for moment in [*kept, *(s.expires_at for s in stamped)]]

    async def write(session: AsyncSession) -> Outcome:
        package = await session.get_one(Package, package_id)
        for item in stamped:
            document = await session.scalar(
                select(Document).where(Document.id == item.document_id).with_for_update()
            )
            if document is None or document.current_sha256 != item.previous_sha256:
                continue  # deleted or changed meanwhile: the next run looks again
            version = await add_version(
                session, context.blobs, document, item.pdf, VersionKind.TIMESTAMPED
            )
            await record(
                session,
                package_id,
                "DOCUMENT_ARCHIVE_TIMESTAMPED",
                SYSTEM,
                {
                    "document_id": document.id,
                    "document_name": document.name,
                    "version": version.number,
                    "timestamp_certificate_expires_at": item.expires_at.isoformat(),
                    "renew_by": (item.expires_at - margin).isoformat(),
                },
            )
        if renew_at:
            schedule_archiving(session, package, max(min(renew_at), now + MIN_RENEWAL_INTERVAL))
        return Done()

    return Finish(write)
