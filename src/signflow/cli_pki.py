"""`signflow pki ...`: an enterprise's certificates, their revocation, and where its keys live."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.cli_enterprise import run_in_enterprise
from signflow.config import Settings
from signflow.models import Enterprise

pki_app = typer.Typer(
    help="The enterprise CA: certificates, revocation, PKCS#12 import, PKCS#11 token keys.",
    no_args_is_help=True,
)
EnterpriseOption = Annotated[str, typer.Option("--enterprise", help="enterprise name")]


@pki_app.command("list")
def list_certificates(enterprise: EnterpriseOption) -> None:
    """List the signer and seal certificates: serial, kind, email, valid until, state."""
    from signflow.signing.revocation import list_certificates as listed

    async def work(session: AsyncSession, settings: Settings, found: Enterprise) -> list[str]:
        return [
            f"{c.serial_number}\t{c.kind}\t{c.email or '-'}\t{c.not_after.isoformat()}\t"
            + (f"revoked {c.revoked_at.isoformat()}" if c.revoked_at else "valid")
            + ("\tpkcs11" if c.token_key_label else "")
            for c in await listed(session, found.id)
        ]

    run_in_enterprise(enterprise, work)


@pki_app.command("revoke")
def revoke(
    enterprise: EnterpriseOption,
    serial_number: Annotated[str, typer.Argument(help="the certificate's serial (hex)")],
) -> None:
    """Revoke a signer or seal certificate: OCSP says so at once, the CRL on its next
    request, and the next signature gets a new certificate."""
    from signflow.signing.revocation import revoke_certificate

    async def work(session: AsyncSession, settings: Settings, found: Enterprise) -> list[str]:
        credential = await revoke_certificate(session, found.id, serial_number)
        return [f"revoked {credential.serial_number} ({credential.kind} {credential.email})"]

    run_in_enterprise(enterprise, work)


@pki_app.command("import-ca")
def import_ca(
    enterprise: EnterpriseOption,
    pkcs12_file: Annotated[Path, typer.Argument(help="the CA's .p12/.pfx file", exists=True)],
    password: Annotated[
        str,
        typer.Option(
            envvar="SIGNFLOW_PKCS12_PASSWORD",
            prompt=True,
            hide_input=True,
            help="the file's password (or SIGNFLOW_PKCS12_PASSWORD; empty for none)",
        ),
    ],
) -> None:
    """Replace the enterprise CA by the CA in a PKCS#12 file (key encrypted at rest)."""
    from signflow.signing.enterprise_keys import import_enterprise_ca

    p12 = pkcs12_file.read_bytes()

    async def work(session: AsyncSession, settings: Settings, found: Enterprise) -> list[str]:
        loaded = await import_enterprise_ca(session, settings, found.id, p12, password or None)
        return [f"imported CA {loaded.authority.cert.subject.rfc4514_string()}"]

    run_in_enterprise(enterprise, work)


@pki_app.command("use-token")
def use_token(
    enterprise: EnterpriseOption,
    token_label: Annotated[str, typer.Option(help="the PKCS#11 token's label")],
    ca_key_label: Annotated[
        str | None, typer.Option(help="the CA key pair's label: a new CA certificate for it")
    ] = None,
    seal_key_label: Annotated[
        str | None, typer.Option(help="the seal key pair's label: the seal signs with it")
    ] = None,
    generate: Annotated[
        bool, typer.Option(help="make the key pairs in the token first (non-extractable)")
    ] = False,
) -> None:
    """Keep the enterprise's CA and/or seal key in a PKCS#11 token (SIGNFLOW_PKCS11_MODULE,
    SIGNFLOW_PKCS11_PIN)."""
    from signflow.signing.enterprise_keys import token_config, use_token_keys
    from signflow.signing.token import generate_token_key

    async def work(session: AsyncSession, settings: Settings, found: Enterprise) -> list[str]:
        if generate:
            config = token_config(settings, token_label)
            for label in (ca_key_label, seal_key_label):
                if label:
                    await asyncio.to_thread(generate_token_key, config, label, settings.ca_key_type)
        loaded = await use_token_keys(
            session,
            settings,
            found.id,
            token_label=token_label,
            ca_key_label=ca_key_label,
            seal_key_label=seal_key_label,
        )
        lines = []
        if ca_key_label:
            subject = loaded.authority.cert.subject.rfc4514_string()
            lines.append(f"CA {subject}: key {ca_key_label!r} in token {token_label!r}")
        if seal_key_label:
            lines.append(f"seal: key {seal_key_label!r} in token {token_label!r}")
        return lines

    run_in_enterprise(enterprise, work)
