"""`signflow sso`: an enterprise's OpenID Connect single sign-on, for the operator (the
same settings as the admin API's /v4/enterprise/settings/sso)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlalchemy import delete, select

from signflow.accounts.sso import SsoChange, apply_sso, sso_of
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction
from signflow.enterprise_setup import SetupError
from signflow.errors import SignflowError
from signflow.migrate import migrate as run_migrations
from signflow.models import Enterprise, EnterpriseSso

sso_app = typer.Typer(
    help="Single sign-on with an enterprise's OpenID Connect provider.", no_args_is_help=True
)
EnterpriseOption = Annotated[str, typer.Option("--enterprise", help="enterprise name")]
CALLBACK_PATH = "/app/sso/callback"


def _lines(settings: Settings, row: EnterpriseSso) -> list[str]:
    base = settings.base_url.rstrip("/")
    return [
        f"issuer: {row.issuer}",
        f"client id: {row.client_id}",
        "client secret: set (sealed)",
        f"create users on first sign-in: {'yes' if row.auto_create_users else 'no'}",
        f"sign-in address: {base}/app/sso/{row.signin_key}",
        f"redirect URI to register: {base}{CALLBACK_PATH}",
    ]


async def _run(name: str, change: SsoChange | None, clear: bool) -> list[str]:
    settings = Settings()
    await run_migrations(settings.effective_database_url)
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            enterprise = await session.scalar(select(Enterprise).where(Enterprise.name == name))
            if enterprise is None:
                raise SetupError(f"no enterprise named {name!r}")
            if clear:
                await session.execute(
                    delete(EnterpriseSso).where(EnterpriseSso.enterprise_id == enterprise.id)
                )
                return ["single sign-on is off"]
            if change is not None:
                row = await apply_sso(session, settings, enterprise.id, change)
            else:
                found = await sso_of(session, enterprise.id)
                if found is None:
                    return ["single sign-on is not set up"]
                row = found
            return _lines(settings, row)
    finally:
        await context.close()


def _echo(name: str, change: SsoChange | None = None, clear: bool = False) -> None:
    try:
        lines = asyncio.run(_run(name, change, clear))
    except (SetupError, SignflowError) as exc:
        typer.echo(f"error: {getattr(exc, 'message', None) or exc}", err=True)
        raise typer.Exit(1) from exc
    for line in lines:
        typer.echo(line)


@sso_app.command("show")
def sso_show(enterprise: EnterpriseOption) -> None:
    """The enterprise's provider, client id, sign-in address and redirect URI."""
    _echo(enterprise)


@sso_app.command("set")
def sso_set(
    enterprise: EnterpriseOption,
    issuer: Annotated[str, typer.Option(help="the provider's issuer URL")],
    client_id: Annotated[str, typer.Option("--client-id", help="Signflow's client id there")],
    client_secret: Annotated[
        str | None,
        typer.Option(
            "--client-secret",
            envvar="SIGNFLOW_SSO_CLIENT_SECRET",
            help="its secret (or SIGNFLOW_SSO_CLIENT_SECRET; omit to keep the stored one)",
        ),
    ] = None,
    auto_create_users: Annotated[
        bool, typer.Option(help="create an account on a verified address's first sign-in")
    ] = False,
) -> None:
    """Set (or change) the enterprise's OpenID Connect provider."""
    _echo(enterprise, SsoChange(issuer, client_id, client_secret, auto_create_users))


@sso_app.command("clear")
def sso_clear(enterprise: EnterpriseOption) -> None:
    """Turn single sign-on off for the enterprise."""
    _echo(enterprise, clear=True)
