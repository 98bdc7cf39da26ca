"""The `signflow` command: serve, worker, migrate, bootstrap."""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
from collections.abc import Callable
from typing import Annotated

import typer
import uvicorn

from signflow.accounts.bootstrap import BootstrapResult, bootstrap_enterprise, has_any_enterprise
from signflow.accounts.credentials import new_secret
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction
from signflow.heap import freeze_startup_objects
from signflow.logs import configure_logging
from signflow.migrate import migrate as run_migrations
from signflow.outbox.worker import Worker
from signflow.signing.enterprise_keys import provision_enterprise_keys

app = typer.Typer(help="Signflow: self-hosted e-signature workflows.", no_args_is_help=True)

DEMO_ENTERPRISE = "Demo Enterprise"
DEMO_ADMIN = "admin@example.com"
DEMO_CLIENT = "demo-app"
# How long uvicorn waits for an API process to answer its health ping (see serve).
WORKER_HEALTHCHECK_SECONDS = 60


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


async def _bootstrap(settings: Settings, **kwargs: str | None) -> BootstrapResult:
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            result = await bootstrap_enterprise(session, **kwargs)  # type: ignore[arg-type]
            await provision_enterprise_keys(session, settings, result.enterprise_id)
            return result
    finally:
        await context.close()


def demo_instructions(settings: Settings, result: BootstrapResult, password: str) -> str:
    curl = " ".join(
        [
            "curl -s -X POST",
            shlex.quote(f"{settings.base_url}/authenticate"),
            "--data-urlencode grant_type=password",
            f"--data-urlencode client_id={shlex.quote(result.client_id)}",
            f"--data-urlencode client_secret={shlex.quote(result.client_secret)}",
            f"--data-urlencode username={shlex.quote(result.admin_email)}",
            f"--data-urlencode password={shlex.quote(password)}",
        ]
    )
    return "\n".join(
        [
            "",
            "Signflow created a demo enterprise. These secrets are shown only now:",
            f"  admin email     {result.admin_email}",
            f"  admin password  {password}",
            f"  client_id       {result.client_id}",
            f"  client_secret   {result.client_secret}",
            f"  x-api-key       {result.api_key}",
            "Get a token:",
            f"  {curl}",
            "",
        ]
    )


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
    """Migrate, create the demo enterprise on first start, and serve the API."""
    settings = _settings()
    asyncio.run(run_migrations(settings.effective_database_url))
    password = new_secret()[:20]

    async def create_demo() -> BootstrapResult | None:
        context = AppContext.create(settings)
        try:
            async with transaction(context.sessions) as session:
                if await has_any_enterprise(session):
                    return None
                result = await bootstrap_enterprise(
                    session,
                    enterprise_name=DEMO_ENTERPRISE,
                    admin_email=DEMO_ADMIN,
                    admin_password=password,
                    client_id=DEMO_CLIENT,
                )
                await provision_enterprise_keys(session, settings, result.enterprise_id)
                return result
        finally:
            await context.close()

    demo = asyncio.run(create_demo())
    if demo is not None:
        typer.echo(demo_instructions(settings, demo, password))
    uvicorn.run(
        "signflow.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        # With --workers, uvicorn pings each process and kills one that does not answer in
        # time (default 5 s). A spawned process imports the whole application first, which
        # takes longer than that on a busy machine: it was killed and respawned forever.
        timeout_worker_healthcheck=worker_start_timeout,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="run what is due now, then exit")] = False,
) -> None:
    """Run the outbox worker: notifications, deliveries and scheduled jobs."""
    settings = _settings()
    asyncio.run(run_migrations(settings.effective_database_url))
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
    runner = Worker(context)
    try:
        if once:
            typer.echo(f"ran {await runner.run_until_idle()} jobs")
            return
        stop = asyncio.Event()
        freeze_startup_objects()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await runner.run_forever(stop)
    finally:
        await context.close()


@app.command()
def bootstrap(
    enterprise: Annotated[str, typer.Option(help="enterprise name")],
    admin_email: Annotated[str, typer.Option(help="the enterprise admin's email")],
    admin_password: Annotated[str, typer.Option(help="the enterprise admin's password")],
    client_id: Annotated[str | None, typer.Option(help="integration application name")] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="its secret (generated if absent)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Create (or find) an enterprise with its admin, integration application and API key."""
    settings = _settings()
    asyncio.run(run_migrations(settings.effective_database_url))
    result = asyncio.run(
        _bootstrap(
            settings,
            enterprise_name=enterprise,
            admin_email=admin_email,
            admin_password=admin_password,
            client_id=client_id,
            client_secret=client_secret,
        )
    )
    if as_json:
        typer.echo(json.dumps(result.as_json()))
    else:
        typer.echo(demo_instructions(settings, result, admin_password))


audit_app = typer.Typer(help="Check the tamper-evident package history.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(package_id: Annotated[int, typer.Argument(help="the package to check")]) -> None:
    """Check a package's history chain; exit 1 naming the first broken entry."""
    from signflow.audit.history import verify_chain
    from signflow.models import Package

    async def check() -> tuple[bool, str]:
        context = AppContext.create(_settings())
        try:
            async with transaction(context.sessions) as session:
                if await session.get(Package, package_id) is None:
                    return False, f"package {package_id} does not exist"
                result = await verify_chain(session, package_id)
        finally:
            await context.close()
        if result.ok:
            return True, f"package {package_id}: history intact ({result.entries} entries)"
        where = (
            f"entry {result.broken_entry_id}" if result.broken_entry_id is not None else "the head"
        )
        return False, f"package {package_id}: history broken at {where}: {result.reason}"

    ok, message = asyncio.run(check())
    typer.echo(message, err=not ok)
    if not ok:
        raise typer.Exit(1)


apikey_app = typer.Typer(help="Enterprise API keys (x-api-key of /JSON).", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
EnterpriseOption = Annotated[str, typer.Option("--enterprise", help="enterprise name")]


async def _with_enterprise(name: str, action: str, value: str | int | None) -> list[str]:
    from sqlalchemy import select

    from signflow.accounts.api_keys import create_api_key, list_api_keys, revoke_api_key
    from signflow.errors import SignflowError
    from signflow.models import Enterprise

    settings = _settings()
    await run_migrations(settings.effective_database_url)
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            enterprise = await session.scalar(select(Enterprise).where(Enterprise.name == name))
            if enterprise is None:
                raise typer.BadParameter(f"no enterprise named {name!r}")
            if action == "create":
                key, secret = await create_api_key(session, enterprise.id, str(value))
                return [f"id {key.id}  name {key.name}", f"x-api-key (shown only now): {secret}"]
            if action == "revoke":
                try:
                    await revoke_api_key(session, enterprise.id, int(value or 0))
                except SignflowError as exc:
                    raise typer.BadParameter(exc.message) from exc
                return [f"revoked {value}"]
            return [
                f"{k.id}\t{k.prefix}…\t{k.name}\t{k.created_at.isoformat()}\t"
                + (f"revoked {k.revoked_at.isoformat()}" if k.revoked_at else "active")
                for k in await list_api_keys(session, enterprise.id)
            ]
    finally:
        await context.close()


@apikey_app.command("create")
def apikey_create(
    enterprise: EnterpriseOption,
    name: Annotated[str, typer.Option(help="a label for the key")] = "cli",
) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    for line in asyncio.run(_with_enterprise(enterprise, "create", name)):
        typer.echo(line)


@apikey_app.command("list")
def apikey_list(enterprise: EnterpriseOption) -> None:
    """List the keys: id, prefix, name, created, state (never the key)."""
    for line in asyncio.run(_with_enterprise(enterprise, "list", None)):
        typer.echo(line)


@apikey_app.command("revoke")
def apikey_revoke(
    enterprise: EnterpriseOption,
    key_id: Annotated[int, typer.Argument(help="the key's id")],
) -> None:
    """Revoke a key: it stops working at once."""
    for line in asyncio.run(_with_enterprise(enterprise, "revoke", key_id)):
        typer.echo(line)
