"""The first enterprise: the demo that `serve` creates in development, and `bootstrap`.

`bootstrap` is idempotent by enterprise name (signflow.accounts.bootstrap). The checks
here run first, in the same transaction, so that a mistake on the command line gets one
sentence with its fix instead of a traceback, and so that calling it again for an
existing enterprise without `--client-id` resets that enterprise's application rather
than creating a second one.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.bootstrap import BootstrapResult, bootstrap_enterprise, has_any_enterprise
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction
from signflow.errors import SignflowError
from signflow.models import Application, Enterprise, User
from signflow.signing.enterprise_keys import provision_enterprise_keys

DEMO_ENTERPRISE = "Demo Enterprise"
DEMO_ADMIN = "admin@example.com"
DEMO_CLIENT = "demo-app"
# bootstrap's printed curl takes the password from the shell, not from its own output.
PASSWORD_FROM_SHELL = '"$ADMIN_PASSWORD"'  # noqa: S105 (a shell variable's name)


class SetupError(Exception):
    """A command-line mistake, said in one sentence with its fix."""


@dataclass(frozen=True)
class BootstrapRequest:
    enterprise_name: str
    admin_email: str
    admin_password: str
    client_id: str | None = None
    client_secret: str | None = None


async def _enterprise_name(session: AsyncSession, enterprise_id: int) -> str:
    name = await session.scalar(select(Enterprise.name).where(Enterprise.id == enterprise_id))
    return name or f"#{enterprise_id}"


async def resolve_client_id(session: AsyncSession, request: BootstrapRequest) -> str | None:
    """The application to create or reset; SetupError when the request cannot be right."""
    wanted = request.enterprise_name
    email = request.admin_email.strip().lower()
    enterprise = await session.scalar(select(Enterprise).where(Enterprise.name == wanted))
    admin = await session.scalar(select(User).where(User.email == email))
    if admin is not None and (enterprise is None or admin.enterprise_id != enterprise.id):
        owner = await _enterprise_name(session, admin.enterprise_id)
        raise SetupError(
            f"{email} is a user of enterprise {owner!r}, not {wanted!r}: run bootstrap with "
            f"--enterprise {shlex.quote(owner)}, or give another --admin-email"
        )
    if request.client_id is not None:
        application = await session.scalar(
            select(Application).where(Application.name == request.client_id)
        )
        if application is not None and (
            enterprise is None or application.enterprise_id != enterprise.id
        ):
            owner = await _enterprise_name(session, application.enterprise_id)
            raise SetupError(
                f"the client id {request.client_id!r} belongs to enterprise {owner!r}: run "
                f"bootstrap with --enterprise {shlex.quote(owner)}, or choose another --client-id"
            )
        return request.client_id
    if enterprise is None:
        return None  # a new enterprise: bootstrap names its application
    # An existing enterprise: reset its (first) application instead of adding another.
    existing: str | None = await session.scalar(
        select(Application.name)
        .where(Application.enterprise_id == enterprise.id)
        .order_by(Application.id)
        .limit(1)
    )
    return existing


async def run_bootstrap(settings: Settings, request: BootstrapRequest) -> BootstrapResult:
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            client_id = await resolve_client_id(session, request)
            try:
                result = await bootstrap_enterprise(
                    session,
                    enterprise_name=request.enterprise_name,
                    admin_email=request.admin_email,
                    admin_password=request.admin_password,
                    client_id=client_id,
                    client_secret=request.client_secret,
                )
            except SignflowError as exc:
                raise SetupError(exc.message) from exc
            await provision_enterprise_keys(session, settings, result.enterprise_id)
            return result
    finally:
        await context.close()


async def create_demo_enterprise(settings: Settings, password: str) -> BootstrapResult | None:
    """On an empty database, the demo enterprise (development only); else None."""
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


async def database_has_an_enterprise(settings: Settings) -> bool:
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            return await has_any_enterprise(session)
    finally:
        await context.close()


def token_curl(settings: Settings, result: BootstrapResult, password: str) -> str:
    return " ".join(
        [
            "curl -s -X POST",
            shlex.quote(f"{settings.base_url}/authenticate"),
            "--data-urlencode grant_type=password",
            f"--data-urlencode client_id={shlex.quote(result.client_id)}",
            f"--data-urlencode client_secret={shlex.quote(result.client_secret)}",
            f"--data-urlencode username={shlex.quote(result.admin_email)}",
            f"--data-urlencode password={password}",
        ]
    )


def demo_instructions(settings: Settings, result: BootstrapResult, password: str) -> str:
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
            f"  {token_curl(settings, result, shlex.quote(password))}",
            "",
        ]
    )


def bootstrap_report(settings: Settings, result: BootstrapResult, enterprise_name: str) -> str:
    """What `bootstrap` did; the admin password the operator typed is not repeated."""
    if result.created:
        done = f"Signflow created enterprise {enterprise_name!r} (id {result.enterprise_id})."
    else:
        done = (
            f"Signflow found enterprise {enterprise_name!r} (id {result.enterprise_id}), set "
            f"the admin password of {result.admin_email} and a new secret for "
            f"{result.client_id!r}."
        )
    return "\n".join(
        [
            done,
            "These secrets are shown only now:",
            f"  admin email     {result.admin_email}",
            f"  client_id       {result.client_id}",
            f"  client_secret   {result.client_secret}",
            f"  x-api-key       {result.api_key}",
            "Get a token (with the admin password you gave):",
            f"  {token_curl(settings, result, PASSWORD_FROM_SHELL)}",
        ]
    )
