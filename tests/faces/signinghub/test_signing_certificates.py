"""Enterprise signing certificates (enterprise/signingcertificates): an administrator's
calls, what they refuse, and the capacity a signature then uses."""

from __future__ import annotations

import io

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import SigningCapacity, SigningCredential
from signflow.signing.enterprise_keys import use_token_keys
from signflow.signing.keys import decrypt_private_key
from signflow.signing.token import generate_token_key
from tests.factories import Tenant, bearer
from tests.signing.checks import assert_pdfsig_valid
from tests.softhsm import MODULE, PIN, TOKEN_LABEL, SoftHsm, softhsm  # noqa: F401
from tests.workflow.helpers import People, add_users, new_package, share

URL = "/v4/enterprise/signingcertificates"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"pkcs11_module": MODULE, "pkcs11_pin": PIN}


def capacity(email: str, name: str = "Notary", **changes: object) -> dict[str, object]:
    return {
        "user_email": email,
        "capacity_name": name,
        "certificate_alias": "notary-key",
        "level_of_assurance": "ADVANCED_ELECTRONIC_SIGNATURE",
        "key_protection_option": "USER_PASSWORD",
        "isDefault": False,
    } | changes


def signer_serials(pdf: bytes) -> list[str]:
    return [
        format(sig.signer_cert.serial_number, "x")
        for sig in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    ]


async def sign_once(people: People, capacity_name: str | None) -> bytes:
    client = people.client
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    added = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "AnaSigns",
            "dimensions": {"x": 72, "y": 300, "width": 200, "height": 60},
        },
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    await share(people, package_id)
    body: dict[str, object] = {"field_name": "AnaSigns"}
    if capacity_name:
        body["signing_capacity"] = capacity_name
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign", json=body, headers=people["ana"]
    )
    assert signed.status_code == 200, signed.text
    download = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}", headers=people.owner
    )
    return download.content


async def test_an_administrator_manages_capacities_that_signatures_use(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    admin = await bearer(client, tenant, tenant.admin_email)
    ana_email = people.email("ana")
    added = await client.post(URL, json=capacity(ana_email.upper()), headers=admin)
    assert added.status_code == 200, added.text
    certificate_id = added.json()["certificate_id"]
    (listed,) = (await client.get(URL, headers=admin)).json()
    assert listed["certificate_id"] == certificate_id
    assert (listed["user_email"], listed["capacity_name"]) == (ana_email, "Notary")
    assert (listed["isDefault"], listed["revoked"]) == (False, False)
    serial = listed["serial_number"]

    refused = {
        "a user of no enterprise here": (capacity("nobody@acme.test"), 404),
        "another enterprise's user": (capacity(other_tenant.user_email), 404),
        "a qualified level": (
            capacity(ana_email, "Q", level_of_assurance="QUALIFIED_ELECTRONIC_SIGNATURE"),
            400,
        ),
        "an unknown level": (capacity(ana_email, "U", level_of_assurance="GOLD"), 400),
        "remote authorisation": (
            capacity(ana_email, "R", key_protection_option="REMOTE_AUTHORISATION"),
            400,
        ),
        "an empty name": (capacity(ana_email, " "), 400),
        "a name taken": (capacity(ana_email, "notary"), 409),
        "no alias": ({"user_email": ana_email, "capacity_name": "X"}, 400),
    }
    for case, (body, status) in refused.items():
        response = await client.post(URL, json=body, headers=admin)
        assert response.status_code == status, (case, response.text)
        assert response.json()["Message"], case
    not_admin = await client.post(URL, json=capacity(ana_email, "Mine"), headers=people["ana"])
    assert not_admin.status_code == 403
    assert (await client.get(URL, headers=people["ana"])).status_code == 403
    stranger = await bearer(client, other_tenant, other_tenant.admin_email)
    assert (await client.get(URL, headers=stranger)).json() == []
    theirs = await client.put(
        f"{URL}/{certificate_id}", json=capacity(ana_email, isDefault=True), headers=stranger
    )
    assert theirs.status_code == 404
    gone = await client.request(
        "DELETE", f"{URL}/{certificate_id}", json={"user_email": ana_email}, headers=stranger
    )
    assert gone.status_code == 404
    async with transaction(context.sessions) as session:
        assert len((await session.scalars(select(SigningCapacity))).all()) == 1
        # Kept without a token, the key is sealed in the database.
        row = await session.scalar(
            select(SigningCredential).where(SigningCredential.serial_number == serial)
        )
        assert row is not None and row.token_label is None
        key = decrypt_private_key(row.encrypted_key, context.settings.effective_secret_key)
        certificate = x509.load_der_x509_certificate(row.cert_der)
        assert key.public_key() == certificate.public_key()
        plain = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        assert plain not in row.encrypted_key

    # Named at signing, the capacity's certificate signs; unnamed, the usual one does.
    named = await sign_once(people, "Notary")
    assert_pdfsig_valid(named, 1)
    assert signer_serials(named) == [serial]
    usual = await sign_once(people, None)
    assert signer_serials(usual) != [serial]
    # Made the default, it signs without being named.
    updated = await client.put(
        f"{URL}/{certificate_id}",
        json=capacity(ana_email, "Notary public", isDefault=True),
        headers=admin,
    )
    assert (updated.status_code, updated.content) == (200, b"")
    (listed,) = (await client.get(URL, headers=admin)).json()
    assert (listed["capacity_name"], listed["isDefault"]) == ("Notary public", True)
    assert signer_serials(await sign_once(people, None)) == [serial]

    deleted = await client.request(
        "DELETE", f"{URL}/{certificate_id}", json={"user_email": ana_email}, headers=admin
    )
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert (await client.get(URL, headers=admin)).json() == []
    async with transaction(context.sessions) as session:
        credential = await session.scalar(
            select(SigningCredential).where(SigningCredential.serial_number == serial)
        )
        assert credential is not None and credential.revoked_at is not None
    assert signer_serials(await sign_once(people, None)) != [serial]
    again = await client.request(
        "DELETE", f"{URL}/{certificate_id}", json={"user_email": ana_email}, headers=admin
    )
    assert again.status_code == 404


async def test_with_keys_in_a_token_the_alias_names_a_key_pair_there(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    softhsm: SoftHsm,  # noqa: F811
):
    seal_label, ana_label = softhsm.new_label("seal"), softhsm.new_label("ana")
    generate_token_key(softhsm.config, seal_label, "ec-p256")
    ana_key = generate_token_key(softhsm.config, ana_label, "ec-p256")
    async with transaction(context.sessions) as session:
        await use_token_keys(
            session,
            context.settings,
            tenant.enterprise_id,
            token_label=TOKEN_LABEL,
            ca_key_label=None,
            seal_key_label=seal_label,
        )
    people = await People(client, context, tenant).start("ana")
    admin = await bearer(client, tenant, tenant.admin_email)
    ana_email = people.email("ana")
    for case, alias, status in (
        ("a label the token lacks", "no-such-key", 400),
        ("the seal's key", seal_label, 400),
    ):
        response = await client.post(
            URL, json=capacity(ana_email, certificate_alias=alias), headers=admin
        )
        assert response.status_code == status, (case, response.text)
        assert alias in response.json()["Message"], case
    added = await client.post(
        URL, json=capacity(ana_email, certificate_alias=ana_label, isDefault=True), headers=admin
    )
    assert added.status_code == 200, added.text
    taken = await client.post(
        URL, json=capacity(ana_email, "Second", certificate_alias=ana_label), headers=admin
    )
    assert taken.status_code == 409

    async with transaction(context.sessions) as session:
        credential = await session.scalar(
            select(SigningCredential).where(SigningCredential.token_key_label == ana_label)
        )
        assert credential is not None
        assert (credential.encrypted_key, credential.token_label) == (b"", TOKEN_LABEL)
    signed = await sign_once(people, None)
    assert_pdfsig_valid(signed, 1)
    (sig,) = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
    assert format(sig.signer_cert.serial_number, "x") == credential.serial_number
    token_public = ana_key.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    assert sig.signer_cert.public_key.dump() == token_public
