"""`signflow sso`: an enterprise's OpenID Connect single sign-on, for the operator (the
same settings as the admin API's /v4/enterprise/settings/sso)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.sso import SsoChange, apply_sso, sso_of
from signflow.cli_enterprise import run_in_enterprise
from signflow.config import Settings
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


def _echo(name: str, change: SsoChange | None = None, clear: bool = False) -> None:
    async def work(session: AsyncSession, settings: Settings, enterprise: Enterprise) -> list[str]:
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

    run_in_enterprise(name, work)


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
