"""`signflow pki list|revoke|import-ca|use-token --enterprise NAME`."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from signflow.cli import app
from signflow.config import Settings
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import CredentialKind, Enterprise
from signflow.signing.ca import KeyType, PkiUrls, create_ca, export_ca
from signflow.signing.enterprise_keys import credential_for, ensure_enterprise_ca, signer_from
from signflow.signing.service import SignerCache
from signflow.signing.signer import SignRequest
from tests.signing.checks import assert_everywhere_valid
from tests.signing.pdfs import text_pdf
from tests.softhsm import MODULE, PIN, TOKEN_LABEL, SoftHsm, softhsm  # noqa: F401
from tests.test_cli import bootstrap, data_dir  # noqa: F401


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def seal_serials(listing: str) -> list[str]:
    return re.findall(r"^([0-9a-f]+)\tseal\t", listing, re.MULTILINE)


def test_list_and_revoke_the_seal_certificate(data_dir: Path):  # noqa: F811
    bootstrap()
    listed = run("pki", "list", "--enterprise", "Initech")
    [serial] = seal_serials(listed)
    assert "valid" in listed
    assert f"revoked {serial}" in run("pki", "revoke", "--enterprise", "Initech", serial)
    assert "revoked 20" in run("pki", "list", "--enterprise", "Initech")
    twice = CliRunner().invoke(app, ["pki", "revoke", "--enterprise", "Initech", serial])
    assert twice.exit_code == 1
    assert "already revoked" in twice.output
    unknown = CliRunner().invoke(app, ["pki", "revoke", "--enterprise", "Initech", "abcdef"])
    assert unknown.exit_code == 1
    assert "No certificate" in unknown.output
    nobody = CliRunner().invoke(app, ["pki", "list", "--enterprise", "Nope"])
    assert nobody.exit_code == 1 and "'Initech'" in nobody.output


def test_import_a_ca_from_pkcs12(
    data_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
):
    bootstrap()
    authority = create_ca(
        "Initech Root", "Initech", PkiUrls.for_enterprise("https://x.test", "k"), KeyType.EC_P256
    )
    p12 = data_dir / "root.p12"
    p12.write_bytes(export_ca(authority, "pfx-password"))
    monkeypatch.setenv("SIGNFLOW_PKCS12_PASSWORD", "wrong")
    wrong = CliRunner().invoke(app, ["pki", "import-ca", "--enterprise", "Initech", str(p12)])
    assert wrong.exit_code == 1 and "password" in wrong.output
    monkeypatch.setenv("SIGNFLOW_PKCS12_PASSWORD", "pfx-password")
    out = run("pki", "import-ca", "--enterprise", "Initech", str(p12))
    assert "imported CA O=Initech,CN=Initech Root" in out


async def _seal_a_pdf(settings: Settings) -> tuple[bytes, x509.Certificate, str | None]:
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            enterprise_id = (await session.get_one(Enterprise, 1)).id
            seal = await credential_for(session, settings, enterprise_id, CredentialKind.SEAL)
            ca = await ensure_enterprise_ca(session, settings, enterprise_id)
            signer = signer_from(settings, SignerCache(), seal, ca.record.cert_der)
            pdf = await signer.sign_async(
                text_pdf(), SignRequest(field_name="Seal", rect=(72, 600, 200, 60))
            )
            return pdf, ca.authority.cert, seal.token_key_label
    finally:
        await context.close()


def test_use_token_moves_the_ca_and_seal_keys_into_softhsm(
    data_dir: Path,  # noqa: F811
    softhsm: SoftHsm,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
):
    bootstrap()
    before = seal_serials(run("pki", "list", "--enterprise", "Initech"))
    ca_label, seal_label = softhsm.new_label("cli-ca"), softhsm.new_label("cli-seal")
    args = ["pki", "use-token", "--enterprise", "Initech", "--token-label", TOKEN_LABEL]
    args += ["--ca-key-label", ca_label, "--seal-key-label", seal_label, "--generate"]
    unconfigured = CliRunner().invoke(app, args)
    assert unconfigured.exit_code == 1 and "SIGNFLOW_PKCS11_MODULE" in unconfigured.output

    monkeypatch.setenv("SIGNFLOW_PKCS11_MODULE", MODULE)
    monkeypatch.setenv("SIGNFLOW_PKCS11_PIN", PIN)
    out = run(*args)
    assert f"key {ca_label!r} in token {TOKEN_LABEL!r}" in out
    assert f"seal: key {seal_label!r}" in out
    absent = CliRunner().invoke(app, [*args[:6], "--seal-key-label", "no-such-key"])
    assert absent.exit_code == 1 and "no-such-key" in absent.output

    settings = Settings(data_dir=data_dir, pkcs11_module=MODULE, pkcs11_pin=PIN)
    pdf, ca_cert, token_label = asyncio.run(_seal_a_pdf(settings))
    assert token_label == seal_label
    assert_everywhere_valid(pdf, ca_cert)
    after = seal_serials(run("pki", "list", "--enterprise", "Initech"))
    assert len(after) == len(before) + 1  # a new seal certificate, for the token's key
    assert "pkcs11" in run("pki", "list", "--enterprise", "Initech")

    # Importing a CA afterwards keeps the seal key in the token, under the new CA.
    imported = create_ca(
        "Later Root", "Initech", PkiUrls.for_enterprise("https://x.test", "k"), KeyType.RSA2048
    )
    (data_dir / "later.p12").write_bytes(export_ca(imported, "pfx-password"))
    monkeypatch.setenv("SIGNFLOW_PKCS12_PASSWORD", "pfx-password")
    run("pki", "import-ca", "--enterprise", "Initech", str(data_dir / "later.p12"))
    pdf, ca_cert, token_label = asyncio.run(_seal_a_pdf(settings))
    assert token_label == seal_label
    assert ca_cert.subject.rfc4514_string() == "O=Initech,CN=Later Root"
    assert_everywhere_valid(pdf, ca_cert)
