"""The outbox worker's own cost, in process: CPU and statements per job for the worker's
rounds (claiming, running a handler that does nothing, recording the outcome), with no
handler work to hide them.

Two loads, on SQLite and on PostgreSQL (a database of its own):

- `batch`: jobs already waiting, worked off by `run_until_idle` (claims of 20 and their
  outcomes recorded together): the cost per job when the worker is behind.
- `trickle`: the workflow's shape. A producer commits two jobs every few milliseconds,
  the way requests enqueue their notifications, while `run_forever` runs beside it and
  wakes on each commit (on SQLite the producer shares the worker's wake event, as the
  embedded worker does; on PostgreSQL it is woken by `LISTEN`). Its CPU includes the
  producer's, which the `producer alone` row measures by itself.

Half of the jobs end with `Done`, half with a `Finish` that writes nothing, so both ways
of recording an outcome are measured. Statements are counted on the worker's engine
(`before_cursor_execute`); a transaction is a commit on a connection that is not in
autocommit (on PostgreSQL a BEGIN and a COMMIT round trip besides the statements).

`python -m bench.outbox [--quick] [--database sqlite|postgresql]`"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

JOB_KINDS = ("bench.outbox.done", "bench.outbox.finish")
TRICKLE_EVERY_S = 0.004


def _register_handlers() -> None:
    from signflow.outbox.handlers import Done, Finish, Outcome, handler_for, job_handler

    if handler_for(JOB_KINDS[0]) is not None:
        return

    async def done(_context: Any, _job: Any) -> Done:
        return Done()

    async def write_nothing(_session: Any) -> Outcome:
        return Done()

    async def finish(_context: Any, _job: Any) -> Finish:
        return Finish(write_nothing)

    job_handler(JOB_KINDS[0])(done)
    job_handler(JOB_KINDS[1])(finish)


class Counts:
    """Statements and transactions on one engine."""

    def __init__(self, engine: Any) -> None:
        self.statements: Counter[str] = Counter()
        self.transactions = 0
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._on_execute)
        event.listen(sync, "commit", self._on_commit)

    def _on_execute(self, _c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        name = " ".join(words[:2])
        if name == "UPDATE jobs":
            name = "UPDATE jobs (claim)" if "RETURNING" in statement else "UPDATE jobs (outcome)"
        self.statements[name] += 1

    def _on_commit(self, conn: Any) -> None:
        if conn.get_isolation_level() != "AUTOCOMMIT":
            self.transactions += 1

    def reset(self) -> None:
        self.statements.clear()
        self.transactions = 0

    def claims(self) -> int:
        return self.statements["UPDATE jobs (claim)"]


@contextlib.contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        from bench import servers

        with servers.pg_database("outbox") as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="signflow-bench-outbox-") as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'signflow.db'}"


def _context(url: str, data_dir: Path) -> Any:
    from signflow.config import Settings
    from signflow.context import AppContext

    settings = Settings(
        env="production",
        secret_key=secrets.token_urlsafe(48),
        data_dir=data_dir,
        database_url=url,
        base_url="http://127.0.0.1:1",
    )
    # As `signflow worker` makes it: no ping before each checkout on PostgreSQL.
    return AppContext.create(settings, pre_ping=False)


async def _enqueue(context: Any, count: int, offset: int = 0) -> None:
    from signflow.db import transaction
    from signflow.outbox.enqueue import enqueue

    async with transaction(context.sessions) as session:
        for n in range(count):
            enqueue(session, JOB_KINDS[(offset + n) % 2], {"n": offset + n})


async def _unfinished(context: Any) -> int:
    from signflow.db import transaction
    from signflow.models import Job, JobStatus

    async with transaction(context.sessions) as session:
        found = await session.scalar(
            select(func.count()).select_from(Job).where(Job.status != JobStatus.DONE.value)
        )
    return int(found or 0)


async def _wipe_jobs(context: Any) -> None:
    from sqlalchemy import delete

    from signflow.db import transaction
    from signflow.models import Job

    async with transaction(context.sessions) as session:
        await session.execute(delete(Job))


def _row(load: str, jobs: int, cpu: float, counts: Counts | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "load": load,
        "jobs": jobs,
        "cpu_ms_per_job": round(cpu * 1000 / jobs, 3),
    }
    if counts is not None:
        total = sum(counts.statements.values())
        row |= {
            "statements_per_job": round(total / jobs, 2),
            "claim_statements_per_job": round(counts.claims() / jobs, 2),
            "transactions_per_job": round(counts.transactions / jobs, 2),
            "statements": dict(counts.statements.most_common()),
        }
    return row


async def _batch(worker_context: Any, producer: Any, counts: Counts, jobs: int) -> dict[str, Any]:
    from signflow.outbox.worker import Worker

    await _wipe_jobs(producer)
    await _enqueue(producer, jobs)
    worker = Worker(worker_context)
    counts.reset()
    start = time.process_time()
    ran = await worker.run_until_idle(max_rounds=10 * jobs)
    cpu = time.process_time() - start
    if ran != jobs:
        raise RuntimeError(f"ran {ran} of {jobs} jobs")
    return _row("batch (run_until_idle)", jobs, cpu, counts)


async def _produce(producer: Any, jobs: int) -> None:
    for offset in range(0, jobs, 2):
        await _enqueue(producer, 2, offset)
        await asyncio.sleep(TRICKLE_EVERY_S)


async def _wait_done(producer: Any) -> None:
    deadline = time.monotonic() + 120
    while await _unfinished(producer):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not finish the trickle's jobs")
        await asyncio.sleep(0.02)


async def _producer_alone(producer: Any, jobs: int) -> dict[str, Any]:
    await _wipe_jobs(producer)
    start = time.process_time()
    await _produce(producer, jobs)
    # The same polling as the trickle's end, once.
    await _unfinished(producer)
    cpu = time.process_time() - start
    return _row("producer alone (no worker)", jobs, cpu, None)


async def _trickle(worker_context: Any, producer: Any, counts: Counts, jobs: int) -> dict[str, Any]:
    from signflow.outbox.worker import Worker

    await _wipe_jobs(producer)
    stop = asyncio.Event()
    worker = Worker(worker_context)
    running = asyncio.create_task(worker.run_forever(stop))
    await asyncio.sleep(1.0)  # the listener connected, the loop idle
    counts.reset()
    start = time.process_time()
    await _produce(producer, jobs)
    await _wait_done(producer)
    cpu = time.process_time() - start
    row = _row("trickle (run_forever, 2 jobs per commit)", jobs, cpu, counts)
    stop.set()
    await asyncio.wait_for(running, 30)
    return row


async def run_backend(backend: str, url: str, quick: bool) -> list[dict[str, Any]]:
    from signflow.migrate import migrate

    _register_handlers()
    batch_jobs, trickle_jobs = (400, 200) if quick else (2000, 600)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as data:
        await migrate(url)
        worker_context = _context(url, Path(data) / "worker")
        producer = _context(url, Path(data) / "producer")
        if backend != "postgresql":
            # The embedded worker: the requests' commits wake it directly.
            producer.jobs_committed = worker_context.jobs_committed
        counts = Counts(worker_context.engine)
        try:
            await _batch(worker_context, producer, counts, 40)  # warm-up
            rows.append(await _batch(worker_context, producer, counts, batch_jobs))
            rows.append(await _producer_alone(producer, trickle_jobs))
            rows.append(await _trickle(worker_context, producer, counts, trickle_jobs))
        finally:
            await worker_context.close()
            await producer.close()
    for row in rows:
        row["database"] = backend
    return rows


def run(
    quick: bool = False, databases: tuple[str, ...] = ("sqlite", "postgresql")
) -> dict[str, Any]:
    from bench.load import run_async

    results: list[dict[str, Any]] = []
    for backend in databases:
        if backend == "postgresql":
            from bench import servers

            if not servers.pg_available():
                continue
        with _database(backend) as url:
            rows = run_async(run_backend(backend, url, quick))
        for row in rows:
            results.append(row)
            extra = (
                f"  {row['statements_per_job']:5.2f} statements/job "
                f"({row['claim_statements_per_job']:.2f} claims, "
                f"{row['transactions_per_job']:.2f} transactions)"
                if "statements_per_job" in row
                else ""
            )
            label = f"outbox {backend:10} {row['load']:42}"
            print(f"{label} {row['cpu_ms_per_job']:7.3f} ms CPU/job{extra}")
    return {"benchmark": "outbox", "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    databases = tuple(args.database or ("sqlite", "postgresql"))
    print(json.dumps(run(args.quick, databases), indent=2))


if __name__ == "__main__":
    main()
