"""The `signflow` command: serve, worker, migrate, bootstrap, audit, apikey, application,
packages, retention, principal-cache."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import asyncpg
import typer
import uvicorn
from pydantic import ValidationError

from signflow.accounts.credentials import new_secret
from signflow.config import Environment, Settings
from signflow.context import AppContext
from signflow.db import sqlite_file, transaction
from signflow.enterprise_setup import (
    BootstrapRequest,
    SetupError,
    bootstrap_report,
    create_demo_enterprise,
    database_has_an_enterprise,
    demo_instructions,
    run_bootstrap,
)
from signflow.file_modes import private_directory, set_private_umask, tighten_file, tighten_tree
from signflow.heap import freeze_startup_objects
from signflow.http_protocol import DeadlineHttpToolsProtocol
from signflow.logs import configure_logging
from signflow.migrate import migrate as run_migrations
from signflow.observability.exposition import serve_worker_metrics
from signflow.observability.heartbeat import run_worker
from signflow.observability.metrics import (
    enable_multiprocess,
    multiprocess_directory,
    process_exited,
)
from signflow.outbox.worker import Worker
from signflow.retention.sweep import ensure_sweep

app = typer.Typer(
    help="Signflow: self-hosted e-signature workflows.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
logger = logging.getLogger("signflow.cli")
T = TypeVar("T")

# How long uvicorn waits for an API process to answer its health ping (see serve).
WORKER_HEALTHCHECK_SECONDS = 60
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 (names, not a bind)


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, then exit: what is wrong and how to fix it."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    # Before anything is created: the API processes, the worker and the PDF sandboxes
    # are this process's children and inherit it.
    set_private_umask()
    try:
        settings = Settings()
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()), 2)
    configure_logging(settings.log_level, settings.log_format)
    _make_storage_private(settings)
    return settings


def _make_storage_private(settings: Settings) -> None:
    """The data directory 0700, and what an earlier version left readable to others (the
    SQLite database was 0644, mail/ 0755) closed to them."""
    private_directory(settings.data_dir)
    changed = tighten_tree(settings.data_dir)
    database = sqlite_file(settings.effective_database_url)
    if database is not None and not database.resolve().is_relative_to(settings.data_dir.resolve()):
        for suffix in ("", "-wal", "-shm"):
            changed += tighten_file(database.with_name(database.name + suffix))
    if changed:
        logger.info("made %d files and directories private to this user", changed)


def _require_public_url(settings: Settings) -> None:
    """In production every link (emails, webhooks, signing pages) uses SIGNFLOW_BASE_URL:
    guessing it would send people to a wrong address, so a start without it stops."""
    if settings.env is Environment.PRODUCTION and not settings.base_url_is_set:
        fail(
            "SIGNFLOW_BASE_URL is not set: with SIGNFLOW_ENV=production set it to the public "
            "address people and receivers reach this server at, e.g. "
            "SIGNFLOW_BASE_URL=https://sign.example.com",
            2,
        )


def development_base_url(host: str, port: int) -> str:
    """The address links use in development when SIGNFLOW_BASE_URL is not set."""
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    settings = _settings()
    asyncio.run(run_migrations(settings.effective_database_url))
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
    worker_start_timeout: Annotated[
        int, typer.Option(help="seconds an API process may take to answer uvicorn's health ping")
    ] = WORKER_HEALTHCHECK_SECONDS,
) -> None:
    """Migrate and serve the API; in development, create the demo enterprise on first start."""
    settings = _settings()
    _require_public_url(settings)
    if settings.env is Environment.DEVELOPMENT and not settings.base_url_is_set:
        # The API processes read their settings from the environment: they inherit this.
        os.environ["SIGNFLOW_BASE_URL"] = development_base_url(host, port)
        settings = _settings()
    asyncio.run(run_migrations(settings.effective_database_url))
    if workers > 1 and multiprocess_directory() is None:
        # Several API processes: each counts its metrics in files that /metrics adds up.
        enable_multiprocess(settings.data_dir / "metrics")
    if settings.env is Environment.DEVELOPMENT:
        password = new_secret()[:20]
        demo = asyncio.run(create_demo_enterprise(settings, password))
        if demo is not None:
            # On the terminal only, never through logging.
            typer.echo(demo_instructions(settings, demo, password))
    elif not asyncio.run(database_has_an_enterprise(settings)):
        logger.warning(
            "no enterprise yet: create one with `signflow bootstrap --enterprise NAME "
            "--admin-email EMAIL --admin-password PASSWORD`"
        )
    uvicorn.run(
        "signflow.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        # Behind a reverse proxy the client's address (sign-in throttling, history) is in
        # X-Forwarded-For, believed only from the proxies the operator names.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        # Deadlines for slow clients (header, body) that uvicorn does not set itself.
        http=DeadlineHttpToolsProtocol,
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        # With --workers, uvicorn pings each process and kills one that does not answer in
        # time (default 5 s). A spawned process imports the whole application first, which
        # takes longer than that on a busy machine: it was killed and respawned forever.
        timeout_worker_healthcheck=worker_start_timeout,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="run what is due now, then exit")] = False,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve this worker's Prometheus metrics on this port")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="address of the metrics port")] = "127.0.0.1",
) -> None:
    """Run the outbox worker: notifications, deliveries and scheduled jobs."""
    settings = _settings()
    _require_public_url(settings)
    asyncio.run(run_migrations(settings.effective_database_url))
    if metrics_port is not None:
        serve_worker_metrics(metrics_host, metrics_port)
    # uvloop where it exists (as `serve` gets through uvicorn): the worker spends most of
    # its time in socket I/O with the database and the receivers.
    with asyncio.Runner(loop_factory=_fastest_loop_factory()) as runner:
        runner.run(_run_worker(settings, once=once))


def _fastest_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not built for every platform (Windows)
        return None
    return uvloop.new_event_loop


async def _run_worker(settings: Settings, *, once: bool) -> None:
    # The worker retries whatever a dead connection fails, so it skips the pre-use ping.
    context = AppContext.create(settings, pre_ping=False)
    try:
        if once:
            await ensure_sweep(context)
            typer.echo(f"ran {await Worker(context).run_until_idle()} jobs")
            return
        stop = asyncio.Event()
        freeze_startup_objects()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(context, stop)
    finally:
        await context.close()
        process_exited(os.getpid())


@app.command()
def bootstrap(
    enterprise: Annotated[str, typer.Option(help="enterprise name")],
    admin_email: Annotated[str, typer.Option(help="the enterprise admin's email")],
    admin_password: Annotated[str, typer.Option(help="the enterprise admin's password")],
    client_id: Annotated[
        str | None,
        typer.Option(help="integration application name (default: the enterprise's own)"),
    ] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="its secret (generated if absent)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Create (or find) an enterprise with its admin, integration application and API key."""
    settings = _settings()
    asyncio.run(run_migrations(settings.effective_database_url))
    request = BootstrapRequest(enterprise, admin_email, admin_password, client_id, client_secret)
    try:
        result = asyncio.run(run_bootstrap(settings, request))
    except SetupError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.as_json()))
    else:
        typer.echo(bootstrap_report(settings, result, enterprise))


@app.command("backup")
def backup_command(
    destination: Annotated[Path, typer.Argument(help="a new (or empty) directory")],
) -> None:
    """Write a consistent backup: database snapshot, blobs, manifest with hashes."""
    from signflow.backup import BackupError, backup

    settings = _settings()
    try:
        summary = backup(settings, destination)
    except (BackupError, OSError, asyncpg.PostgresError) as exc:
        fail(str(exc))
    typer.echo(f"backup written to {summary}")


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="a directory written by signflow backup")],
) -> None:
    """Restore a backup into an empty data directory or database, then migrate it."""
    from signflow.backup import BackupError, restore

    settings = _settings()
    try:
        summary = restore(settings, source)
    except (BackupError, OSError, asyncpg.PostgresError) as exc:
        fail(str(exc))
    typer.echo(f"restored {summary}")


audit_app = typer.Typer(help="Check the tamper-evident package history.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    package_id: Annotated[
        int | None, typer.Argument(help="the package to check (or --all)")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="check every package")] = False,
) -> None:
    """Check history chains, head seals, checkpoints and evidence report heads; exit 1
    naming the first broken entry of each broken one."""
    from sqlalchemy import select

    from signflow.audit.verification import EnterpriseCache, audit_package
    from signflow.models import Package

    if (package_id is None) == (not every):
        fail("give a PACKAGE_ID or --all", 2)

    async def check() -> list[tuple[bool, str]]:
        context = AppContext.create(_settings())
        answers = []
        cache = EnterpriseCache()
        try:
            async with transaction(context.sessions) as session:
                if every:
                    ids = list(await session.scalars(select(Package.id).order_by(Package.id)))
                elif await session.get(Package, package_id) is None:
                    return [(False, f"package {package_id} does not exist")]
                else:
                    ids = [int(package_id or 0)]
                for checked in ids:
                    result = await audit_package(session, checked, cache)
                    if result.ok:
                        legacy = (
                            f", {result.legacy_entries} with unkeyed links from before keyed links"
                            if result.legacy_entries
                            else ""
                        )
                        answers.append(
                            (
                                True,
                                f"package {checked}: history intact ({result.entries} entries"
                                f"{legacy})",
                            )
                        )
                        continue
                    where = (
                        f"entry {result.broken_entry_id}"
                        if result.broken_entry_id is not None
                        else "the head"
                    )
                    answers.append(
                        (False, f"package {checked}: history broken at {where}: {result.reason}")
                    )
        finally:
            await context.close()
        return answers

    answers = asyncio.run(check())
    for ok, message in answers:
        typer.echo(message, err=not ok)
    if every:
        broken = sum(1 for ok, _ in answers if not ok)
        typer.echo(f"{len(answers)} packages checked, {broken} broken", err=bool(broken))
    if not all(ok for ok, _ in answers):
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Record a keyed checkpoint of every enterprise's history heads now (the worker also
    does it every SIGNFLOW_HISTORY_CHECKPOINT_INTERVAL_SECONDS)."""
    from signflow.audit.checkpoints import checkpoint_all

    async def run() -> int:
        context = AppContext.create(_settings())
        try:
            return await checkpoint_all(context)
        finally:
            await context.close()

    typer.echo(f"checkpointed {asyncio.run(run())} changed package heads")


@app.command("erase-person")
def erase_person_command(
    enterprise: Annotated[str, typer.Option("--enterprise", help="enterprise name")],
    email: Annotated[str, typer.Option("--email", help="the person's e-mail address")],
) -> None:
    """Erase a person's e-mail, name, IP address, user agent and phone from the
    enterprise's history, keeping every chain verifiable (recorded in each package)."""
    from sqlalchemy import select

    from signflow.audit.erasure import erase_person
    from signflow.audit.history import Actor
    from signflow.errors import SignflowError
    from signflow.models import Enterprise

    async def run() -> list[str]:
        settings = _settings()
        await run_migrations(settings.effective_database_url)
        context = AppContext.create(settings)
        try:
            async with transaction(context.sessions) as session:
                found = await session.scalar(
                    select(Enterprise).where(Enterprise.name == enterprise)
                )
                if found is None:
                    raise SetupError(f"no enterprise named {enterprise!r}")
                try:
                    result = await erase_person(
                        session, found.id, email, Actor(None, "Signflow (command line)")
                    )
                except SignflowError as exc:
                    raise SetupError(exc.message) from exc
        finally:
            await context.close()
        lines = [f"erased {result.values} values in {len(result.packages)} packages"]
        lines += [f"package {p} left untouched: {why}" for p, why in result.refused.items()]
        if result.remaining:
            lines.append(
                "entries still naming the address in text the chain covers as written: "
                + ", ".join(str(i) for i in result.remaining)
            )
        return lines

    try:
        lines = asyncio.run(run())
    except SetupError as exc:
        fail(str(exc))
    for line in lines:
        typer.echo(line)


apikey_app = typer.Typer(help="Enterprise API keys (x-api-key of /JSON).", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
EnterpriseOption = Annotated[str, typer.Option("--enterprise", help="enterprise name")]


def _enterprise_action(name: str, action: str, value: str | int | None) -> list[str]:
    try:
        return asyncio.run(_with_enterprise(name, action, value))
    except SetupError as exc:
        fail(str(exc))


async def _with_enterprise(name: str, action: str, value: str | int | None) -> list[str]:
    from sqlalchemy.ext.asyncio import AsyncSession

    from signflow.accounts.api_keys import create_api_key, list_api_keys, revoke_api_key
    from signflow.cli_enterprise import in_enterprise
    from signflow.errors import SignflowError
    from signflow.models import Enterprise

    async def work(session: AsyncSession, settings: Settings, enterprise: Enterprise) -> list[str]:
        if action == "create":
            key, secret = await create_api_key(session, enterprise.id, str(value))
            return [f"id {key.id}  name {key.name}", f"x-api-key (shown only now): {secret}"]
        if action == "revoke":
            try:
                await revoke_api_key(session, enterprise.id, int(value or 0))
            except SignflowError as exc:
                raise SetupError(exc.message) from exc
            return [f"revoked {value}"]
        return [
            f"{k.id}\t{k.prefix}…\t{k.name}\t{k.created_at.isoformat()}\t"
            + (f"revoked {k.revoked_at.isoformat()}" if k.revoked_at else "active")
            for k in await list_api_keys(session, enterprise.id)
        ]

    return await in_enterprise(_settings(), name, work)


@apikey_app.command("create")
def apikey_create(
    enterprise: EnterpriseOption,
    name: Annotated[str, typer.Option(help="a label for the key")] = "cli",
) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    for line in _enterprise_action(enterprise, "create", name):
        typer.echo(line)


@apikey_app.command("list")
def apikey_list(enterprise: EnterpriseOption) -> None:
    """List the keys: id, prefix, name, created, state (never the key)."""
    for line in _enterprise_action(enterprise, "list", None):
        typer.echo(line)


@apikey_app.command("revoke")
def apikey_revoke(
    enterprise: EnterpriseOption,
    key_id: Annotated[int, typer.Argument(help="the key's id")],
) -> None:
    """Revoke a key: it stops working at once."""
    for line in _enterprise_action(enterprise, "revoke", key_id):
        typer.echo(line)


application_app = typer.Typer(
    help="Integration applications: where their signing pages may be framed, and return.",
    no_args_is_help=True,
)
app.add_typer(application_app, name="application")


async def _applications(
    context: AppContext,
    enterprise_name: str,
    client_id: str | None,
    origins: list[str],
    callback: str | None,
) -> list[str]:
    from sqlalchemy import select

    from signflow.accounts.embedding import (
        check_embedding,
        enterprise_application,
        list_applications,
        set_embedding,
    )
    from signflow.errors import SignflowError
    from signflow.models import Enterprise

    async with transaction(context.sessions) as session:
        enterprise = await session.scalar(
            select(Enterprise).where(Enterprise.name == enterprise_name)
        )
        if enterprise is None:
            raise SetupError(f"no enterprise named {enterprise_name!r}")
        applications = await list_applications(session, enterprise.id)
        if client_id is not None:
            chosen = [a for a in applications if a.name == client_id]
            if not chosen:
                raise SetupError(f"no application {client_id!r} in {enterprise_name!r}")
            try:
                application = await enterprise_application(session, enterprise.id, chosen[0].id)
                set_embedding(application, check_embedding(origins, callback, context.settings))
            except SignflowError as exc:
                raise SetupError(exc.message) from exc
            applications = [application]
        return [
            f"{a.id}\t{a.name}\torigins: {' '.join(a.allowed_domains or []) or '-'}\t"
            f"callback: {a.callback_url or '-'}"
            for a in applications
        ]


@application_app.command("list")
def application_list(enterprise: EnterpriseOption) -> None:
    """List the enterprise's applications: id, client id, allowed origins, callback."""
    for line in _run_with_context(lambda c: _applications(c, enterprise, None, [], None)):
        typer.echo(line)


@application_app.command("embedding")
def application_embedding(
    enterprise: EnterpriseOption,
    client_id: Annotated[str, typer.Option("--client-id", help="the application's client id")],
    origin: Annotated[
        list[str] | None,
        typer.Option(help="an origin allowed to frame the pages (repeat; none: no framing)"),
    ] = None,
    callback: Annotated[
        str | None, typer.Option(help="where a finished signing returns (omit: none)")
    ] = None,
) -> None:
    """Set the application's allowed framing origins and callback URL (replacing both)."""
    for line in _run_with_context(
        lambda c: _applications(c, enterprise, client_id, list(origin or []), callback)
    ):
        typer.echo(line)


packages_app = typer.Typer(
    help="Packages: deletion for good, and its record.", no_args_is_help=True
)
app.add_typer(packages_app, name="packages")
retention_app = typer.Typer(
    help="The retention policy (SIGNFLOW_RETENTION_DAYS).", no_args_is_help=True
)
app.add_typer(retention_app, name="retention")


def _run_with_context(work: Callable[[AppContext], Awaitable[T]]) -> T:
    async def run() -> T:
        settings = _settings()
        await run_migrations(settings.effective_database_url)
        context = AppContext.create(settings)
        try:
            return await work(context)
        finally:
            await context.close()

    try:
        return asyncio.run(run())
    except SetupError as exc:
        fail(str(exc))


@packages_app.command("delete")
def packages_delete(
    enterprise: EnterpriseOption,
    package_id: Annotated[int, typer.Argument(help="the package's id")],
    operator: Annotated[
        str, typer.Option(help="who asks (written to the deletion record)")
    ] = "operator",
) -> None:
    """Delete a package for good, where the retention policy allows it (docs/operations.md)."""
    from signflow.retention.operator import delete_for_good

    record = _run_with_context(
        lambda context: delete_for_good(context, enterprise, package_id, operator)
    )
    typer.echo(
        f"deleted package {record.package_id} ({record.status}) for good; "
        f"deletion record {record.id}: {json.dumps(record.removed, sort_keys=True)}"
    )


@packages_app.command("deletions")
def packages_deletions(enterprise: EnterpriseOption) -> None:
    """List the enterprise's record of packages deleted for good."""
    from signflow.retention.operator import deletions

    for row in _run_with_context(lambda context: deletions(context, enterprise)):
        typer.echo(
            f"{row.deleted_at.isoformat()}\tpackage {row.package_id}\t{row.status}\t"
            f"{row.reason}\tby {row.deleted_by}\thistory {row.history_entries} entries, "
            f"head {row.history_head or '-'}"
        )


@retention_app.command("run")
def retention_run() -> None:
    """Purge now what the retention policy says is due (the worker does it every hour)."""
    from signflow.retention.operator import run_retention

    report = _run_with_context(run_retention)
    typer.echo(
        f"purged {len(report.purged)} packages, {len(report.failed)} failed, "
        f"destroyed {report.keys_destroyed} expired keys"
        + ("; more are due: run again" if report.more_due else "")
    )


from signflow.cli_pki import pki_app  # noqa: E402  (the group reuses this module's helpers)

app.add_typer(pki_app, name="pki")

from signflow.cli_sso import sso_app  # noqa: E402

app.add_typer(sso_app, name="sso")

from signflow.cli_principal_cache import principal_cache_app  # noqa: E402

app.add_typer(principal_cache_app, name="principal-cache")
