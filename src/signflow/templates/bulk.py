"""Bulk send: one template version applied to many rows, one shared package per row.

Asking for a run checks the template and the columns and stores the rows (a bad row
is recorded as that row's error at once); the worker then sends the rows in batches of
`BATCH_ROWS`, one job per batch. Each row is made and shared in one transaction
together with its outcome, and only while it is still pending: a worker killed midway
leaves every row either sent (with its package) or pending, the batch's job is claimed
again when its lease runs out, and no row is sent twice or skipped.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.audit.history import Actor
from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.errors import BadRequest, Gone, NotFound, SignflowError
from signflow.models import (
    BulkAction,
    BulkRow,
    BulkRowStatus,
    BulkRun,
    BulkRunStatus,
    Enterprise,
    Job,
    Package,
    TemplateDocument,
    TemplateVersion,
    User,
)
from signflow.outbox.enqueue import enqueue
from signflow.outbox.handlers import (
    MAX_ATTEMPTS,
    Done,
    Failed,
    Finish,
    Outcome,
    Result,
    job_handler,
)
from signflow.packages.access import DOCUMENT_NOT_FOUND
from signflow.storage.base import BlobStore
from signflow.templates.access import readable_template
from signflow.templates.apply import PlaceholderFill, TemplateSource, package_from_version
from signflow.templates.bulk_input import MAX_ROWS, CheckedRow, check_rows, fills_of, parse_body
from signflow.templates.library import version_documents, version_of
from signflow.workflow.share import share_package

SEND_BATCH = "bulk.send_batch"
BATCH_ROWS = 25
# Rows sent in one transaction (each in a savepoint of its own): fewer commits; a crash
# loses at most this many rows' work, which the next claim of the batch redoes.
ROWS_PER_TRANSACTION = 5
RUN_NOT_FOUND = "Bulk run not found"

logger = logging.getLogger("signflow.bulk")


async def start_run(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    blobs: BlobStore,
    template_id: int,
    raw: bytes,
    content_type: str | None,
) -> BulkRun:
    """Check everything that would fail every row (the template, its documents, the
    body and its columns), store the rows, and queue their batches. Nothing is made on
    a 4xx."""
    template = await readable_template(session, principal, template_id)
    version = await version_of(session, template, template.current_version)
    documents = await version_documents(session, version)
    if not documents:
        raise BadRequest("The template has no document")
    for stored in documents:
        if not await blobs.exists(stored.sha256):
            raise Gone(
                f"The template's document '{stored.name}' is no longer stored; "
                "save the template again from a package",
                code="template_document_gone",
            )
    header, rows = await asyncio.to_thread(parse_body, raw, content_type)
    checked = check_rows(version, header, rows)
    run = BulkRun(
        enterprise_id=principal.enterprise_id,
        owner_id=principal.user.id,
        action=BulkAction.SEND.value,
        template_id=template.id,
        template_version=version.number,
        status=BulkRunStatus.QUEUED.value,
        total_rows=len(checked),
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
    )
    session.add(run)
    await session.flush()
    await session.execute(insert(BulkRow), [_row_values(run.id, row) for row in checked])
    _queue(session, run, [row.number for row in checked if row.error is None])
    return run


def _queue(session: AsyncSession, run: BulkRun, pending: Sequence[int]) -> None:
    """A job per `BATCH_ROWS` pending rows; a run without any is complete at once."""
    for first in range(0, len(pending), BATCH_ROWS):
        batch = pending[first : first + BATCH_ROWS]
        enqueue(
            session,
            SEND_BATCH,
            {"run_id": run.id, "first_row": batch[0], "last_row": batch[-1]},
            # One batch of a run at a time: every row's transaction locks its owner's
            # package count from the package's insert or share to its commit, so batches
            # of one run in parallel would only queue on that lock, holding connections.
            ordering_key=f"bulk:{run.id}",
            enterprise_id=run.enterprise_id,
        )
    if not pending:
        run.status, run.finished_at = BulkRunStatus.COMPLETED.value, utcnow()


async def start_share(
    session: AsyncSession, principal: Principal, actor: Actor, package_ids: Sequence[int]
) -> BulkRun:
    """SigningHub's bulk share: each package (a draft of the caller's) shared by the
    worker, one row per package, each with its outcome. A package that is not the
    caller's is refused (404) before anything is queued."""
    if not package_ids:
        raise BadRequest("ids must name at least one package")
    if len(package_ids) > MAX_ROWS:
        raise BadRequest(f"A bulk share holds at most {MAX_ROWS} packages")
    if len(set(package_ids)) != len(package_ids):
        raise BadRequest("ids names a package twice")
    owned = set(
        await session.scalars(
            select(Package.id).where(
                Package.id.in_(list(package_ids)),
                Package.enterprise_id == principal.enterprise_id,
                Package.owner_id == principal.user.id,
            )
        )
    )
    if owned != set(package_ids):
        raise NotFound(DOCUMENT_NOT_FOUND)
    run = BulkRun(
        enterprise_id=principal.enterprise_id,
        owner_id=principal.user.id,
        action=BulkAction.SHARE.value,
        status=BulkRunStatus.QUEUED.value,
        total_rows=len(package_ids),
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
    )
    session.add(run)
    await session.flush()
    rows = [
        {
            "run_id": run.id,
            "row_no": number,
            "data": {"package_id": package_id},
            "status": BulkRowStatus.PENDING.value,
            "package_id": package_id,
        }
        for number, package_id in enumerate(package_ids, start=1)
    ]
    await session.execute(insert(BulkRow), rows)
    _queue(session, run, range(1, len(package_ids) + 1))
    return run


def _row_values(run_id: int, row: CheckedRow) -> dict[str, object]:
    failed = row.error is not None
    return {
        "run_id": run_id,
        "row_no": row.number,
        "data": row.data,
        "status": BulkRowStatus.FAILED.value if failed else BulkRowStatus.PENDING.value,
        "error": row.error,
        "finished_at": utcnow() if failed else None,
    }


@dataclass(frozen=True)
class RunContext:
    """What every row of a batch shares: the run, its owner (as the caller of each
    row's calls) and the template version it sends (read once: versions never change)."""

    run_id: int
    action: str
    principal: Principal
    actor: Actor
    template_id: int | None = None
    version: TemplateVersion | None = None
    documents: list[TemplateDocument] = field(default_factory=list)


async def _run_context(session: AsyncSession, run: BulkRun) -> RunContext:
    user = await session.get_one(User, run.owner_id)
    enterprise = await session.get_one(Enterprise, run.enterprise_id)
    principal = Principal(user=user, enterprise=enterprise, grant_id=0)
    actor = Actor(
        email=user.email, name=user.name, ip_address=run.ip_address, user_agent=run.user_agent
    )
    if run.action == BulkAction.SHARE.value:
        return RunContext(run.id, run.action, principal, actor)
    version = await session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == run.template_id,
            TemplateVersion.number == run.template_version,
        )
    )
    if version is None:  # versions are never deleted; a bug otherwise
        raise LookupError(f"template {run.template_id} has no version {run.template_version}")
    return RunContext(
        run.id,
        run.action,
        principal,
        actor,
        run.template_id,
        version,
        await version_documents(session, version),
    )


@job_handler(SEND_BATCH)
async def send_batch(context: AppContext, job: Job) -> Result:
    run_id = int(cast(int, job.payload["run_id"]))
    first, last = int(cast(int, job.payload["first_row"])), int(cast(int, job.payload["last_row"]))
    last_attempt = job.attempts >= MAX_ATTEMPTS
    try:
        started = await _start_batch(context, run_id, first, last)
    except Exception as exc:
        if not last_attempt:
            raise
        return _give_up(job, run_id, first, last, exc)
    if started is None:  # its enterprise was removed
        return Done()
    shared, numbers = started
    if last_attempt:
        # The outbox gives up on this job after this run: each row alone, so that a row
        # that cannot be sent fails alone and the others are sent.
        failure: Exception | None = None
        for number in numbers:
            try:
                async with transaction(context.sessions) as session:
                    await send_row(session, context.blobs, shared, number)
            except Exception as exc:
                logger.exception("bulk run %s: row %s could not be sent", run_id, number)
                failure = failure or exc
        if failure is not None:
            return _give_up(job, run_id, first, last, failure)
        return Finish(lambda session: _complete_if_done(session, run_id))
    for first_of in range(0, len(numbers), ROWS_PER_TRANSACTION):
        async with transaction(context.sessions) as session:
            for number in numbers[first_of : first_of + ROWS_PER_TRANSACTION]:
                await send_row(session, context.blobs, shared, number)
    return Finish(lambda session: _complete_if_done(session, run_id))


async def _start_batch(
    context: AppContext, run_id: int, first: int, last: int
) -> tuple[RunContext, list[int]] | None:
    """The run's context and the batch's rows still pending; the run is RUNNING."""
    async with transaction(context.sessions) as session:
        run = await session.get(BulkRun, run_id)
        if run is None:
            return None
        shared = await _run_context(session, run)
        await session.execute(
            update(BulkRun)
            .where(BulkRun.id == run_id, BulkRun.status == BulkRunStatus.QUEUED.value)
            .values(status=BulkRunStatus.RUNNING.value)
        )
        numbers = list(
            await session.scalars(
                select(BulkRow.row_no)
                .where(
                    BulkRow.run_id == run_id,
                    BulkRow.status == BulkRowStatus.PENDING.value,
                    BulkRow.row_no.between(first, last),
                )
                .order_by(BulkRow.row_no)
            )
        )
    return shared, numbers


def gave_up_error(number: int, attempts: int) -> str:
    return (
        f"Row {number}: not sent: the worker gave up on it after {attempts} attempts; "
        "send it again in a new run"
    )


def _give_up(job: Job, run_id: int, first: int, last: int, exc: Exception) -> Finish:
    """The outbox's last attempt failed: the batch's rows still pending fail (each with
    the reason), the run ends when no row is left, and the job is recorded as failed
    (its error kept for the operator), in one commit."""
    attempts = job.attempts

    async def write(session: AsyncSession) -> Outcome:
        numbers = list(
            await session.scalars(
                select(BulkRow.row_no).where(
                    BulkRow.run_id == run_id,
                    BulkRow.status == BulkRowStatus.PENDING.value,
                    BulkRow.row_no.between(first, last),
                )
            )
        )
        now = utcnow()
        for number in numbers:
            await session.execute(
                update(BulkRow)
                .where(
                    BulkRow.run_id == run_id,
                    BulkRow.row_no == number,
                    BulkRow.status == BulkRowStatus.PENDING.value,
                )
                .values(
                    status=BulkRowStatus.FAILED.value,
                    error=gave_up_error(number, attempts),
                    finished_at=now,
                )
            )
        await _complete_if_done(session, run_id)
        error = "".join(traceback.format_exception_only(exc)).strip()
        return Failed(f"gave up after {attempts} attempts, rows {sorted(numbers)} failed: {error}")

    return Finish(write)


async def send_row(
    session: AsyncSession, blobs: BlobStore, shared: RunContext, number: int
) -> None:
    """Make and share row `number`'s package, and record it, in the caller's transaction;
    nothing when the row is no longer pending (another worker sent it). A 4xx of the
    making or sharing becomes the row's error, with nothing of its package left."""
    row = await session.scalar(
        select(BulkRow)
        .where(
            BulkRow.run_id == shared.run_id,
            BulkRow.row_no == number,
            BulkRow.status == BulkRowStatus.PENDING.value,
        )
        .with_for_update()
    )
    if row is None:
        return
    try:
        async with session.begin_nested():
            if shared.action == BulkAction.SHARE.value:
                await share_package(session, shared.principal, shared.actor, row.package_id or 0)
            else:
                row.package_id = await _make_and_share(session, blobs, shared, row)
        row.status = BulkRowStatus.SENT.value
    except SignflowError as error:
        row.status, row.error = BulkRowStatus.FAILED.value, f"Row {number}: {error.message}"
    row.finished_at = utcnow()


async def _make_and_share(
    session: AsyncSession, blobs: BlobStore, shared: RunContext, row: BulkRow
) -> int:
    """What a person does by hand: make a package from the template (still theirs to
    use: a template deleted meanwhile fails the rows left) and share it."""
    principal, actor = shared.principal, shared.actor
    if shared.template_id is None or shared.version is None:
        raise LookupError(f"bulk run {shared.run_id} has no template")
    template = await readable_template(session, principal, shared.template_id)
    fills = [
        PlaceholderFill(
            str(fill["placeholder"]),
            str(fill["user_email"]),
            cast(str | None, fill.get("user_name")),
            cast(str | None, fill.get("mobile_number")),
        )
        for fill in fills_of(row.data)
    ]
    values = cast(dict[str, str], row.data.get("fields") or {})
    package = await package_from_version(
        session,
        principal,
        actor,
        blobs,
        TemplateSource(template, shared.version, shared.documents),
        package_name=cast(str | None, row.data.get("package_name")),
        fills=fills,
        values=values,
        origin={"bulk_id": shared.run_id, "row": row.row_no, "prefilled": sorted(values)},
    )
    await share_package(session, principal, actor, package.id)
    return package.id


async def _complete_if_done(session: AsyncSession, run_id: int) -> Outcome:
    pending = await session.scalar(
        select(func.count())
        .select_from(BulkRow)
        .where(BulkRow.run_id == run_id, BulkRow.status == BulkRowStatus.PENDING.value)
    )
    if not pending:
        await session.execute(
            update(BulkRun)
            .where(BulkRun.id == run_id, BulkRun.status != BulkRunStatus.COMPLETED.value)
            .values(status=BulkRunStatus.COMPLETED.value, finished_at=utcnow())
        )
    return Done()


@dataclass(frozen=True)
class RowResult:
    row: int
    status: str
    package_id: int | None
    error: str | None


@dataclass(frozen=True)
class RunView:
    run: BulkRun
    counts: dict[str, int]
    rows: list[RowResult]


async def readable_run(session: AsyncSession, principal: Principal, run_id: int) -> BulkRun:
    """The caller's own run, or any run of their enterprise for an enterprise admin."""
    run = await session.scalar(
        select(BulkRun).where(
            BulkRun.id == run_id, BulkRun.enterprise_id == principal.enterprise_id
        )
    )
    if run is None or (run.owner_id != principal.user.id and not principal.user.is_admin):
        raise NotFound(RUN_NOT_FOUND)
    return run


async def run_view(session: AsyncSession, principal: Principal, run_id: int) -> RunView:
    run = await readable_run(session, principal, run_id)
    rows = [
        RowResult(number, status, package_id, error)
        for number, status, package_id, error in await session.execute(
            select(BulkRow.row_no, BulkRow.status, BulkRow.package_id, BulkRow.error)
            .where(BulkRow.run_id == run.id)
            .order_by(BulkRow.row_no)
        )
    ]
    counts = {status.value: 0 for status in BulkRowStatus}
    for result in rows:
        counts[result.status] += 1
    return RunView(run, counts, rows)


async def package_names(
    session: AsyncSession, enterprise_id: int, package_ids: Sequence[int]
) -> dict[int, str]:
    rows = await session.execute(
        select(Package.id, Package.name).where(
            Package.enterprise_id == enterprise_id, Package.id.in_(list(package_ids))
        )
    )
    return dict(rows.all())
