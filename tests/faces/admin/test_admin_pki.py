"""The enterprise PKI for admins: list and revoke certificates, import a CA from PKCS#12."""

from __future__ import annotations

import base64

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from signflow.context import AppContext
from signflow.signing.ca import KeyType, PkiUrls, create_ca, export_ca, issue_signer_certificate
from tests.faces.test_pki import pki_key_of_tenant, signed_by_ana, signer_cert
from tests.factories import Tenant, bearer

URLS = PkiUrls.for_enterprise("https://elsewhere.test", "k")


async def test_admins_list_and_revoke_certificates(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    user = await bearer(client, tenant, tenant.user_email)
    cert = signer_cert(await signed_by_ana(client, tenant, context))
    serial = format(cert.serial_number, "x")

    assert (await client.get("/v3/enterprise/certificates", headers=user)).status_code == 403
    listed = await client.get("/v3/enterprise/certificates", headers=admin)
    assert listed.status_code == 200
    by_serial = {c["serial_number"]: c for c in listed.json()}
    assert listed.headers["x-total-records"] == str(len(by_serial))
    assert by_serial[serial]["kind"] == "signer"
    assert by_serial[serial]["email"] == "ana@example.com"
    assert by_serial[serial]["revoked_on"] is None

    refused = await client.post(f"/v3/enterprise/certificates/{serial}/revoke", headers=user)
    assert refused.status_code == 403
    # Serials may be written with colons and upper case, as certificate viewers show them.
    spaced = ":".join(f"{cert.serial_number:X}"[i : i + 2] for i in range(0, len(serial), 2))
    revoked = await client.post(f"/v3/enterprise/certificates/{spaced}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_on"] is not None
    twice = await client.post(f"/v3/enterprise/certificates/{serial}/revoke", headers=admin)
    assert twice.status_code == 409
    assert set(twice.json()) == {"Message"}
    for unknown in ("abc123", "not-hex", "0"):
        missing = await client.post(f"/v3/enterprise/certificates/{unknown}/revoke", headers=admin)
        assert missing.status_code == 404, unknown
    again = await client.get("/v3/enterprise/certificates", headers=admin)
    assert {c["serial_number"]: c for c in again.json()}[serial]["revoked_on"] is not None


def _p12(key_type: KeyType, password: str, *, ca: bool = True) -> bytes:
    authority = create_ca("Imported Root", "Imported Ltd", URLS, key_type)
    if ca:
        return export_ca(authority, password)
    person = issue_signer_certificate(authority, "Not A CA", "x@example.com", key_type)
    return pkcs12.serialize_key_and_certificates(
        b"x",
        person.key,  # type: ignore[arg-type]
        person.cert,
        None,
        serialization.BestAvailableEncryption(password.encode()),
    )


async def test_admins_import_a_ca_and_signatures_then_come_from_it(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    admin = await bearer(client, tenant, tenant.admin_email)
    user = await bearer(client, tenant, tenant.user_email)
    first = signer_cert(await signed_by_ana(client, tenant, context))
    p12 = _p12(KeyType.EC_P256, "s3cret-pass")
    body = {"pkcs12": base64.b64encode(p12).decode(), "password": "s3cret-pass"}

    assert (await client.post("/v3/enterprise/ca", json=body, headers=user)).status_code == 403
    wrong = await client.post(
        "/v3/enterprise/ca", json={**body, "password": "wrong"}, headers=admin
    )
    assert wrong.status_code == 400
    assert "password" in wrong.json()["Message"]
    not_base64 = await client.post("/v3/enterprise/ca", json={"pkcs12": "%%%"}, headers=admin)
    assert not_base64.status_code == 400
    leaf = _p12(KeyType.EC_P256, "pw", ca=False)
    not_ca = await client.post(
        "/v3/enterprise/ca",
        json={"pkcs12": base64.b64encode(leaf).decode(), "password": "pw"},
        headers=admin,
    )
    assert not_ca.status_code == 400
    assert "not a CA" in not_ca.json()["Message"]

    imported = await client.post("/v3/enterprise/ca", json=body, headers=admin)
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"] is True
    assert imported.json()["subject"] == "O=Imported Ltd,CN=Imported Root"

    pki_key = await pki_key_of_tenant(context, tenant)
    published = x509.load_der_x509_certificate((await client.get(f"/pki/{pki_key}/ca.crt")).content)
    assert published.subject.rfc4514_string() == "O=Imported Ltd,CN=Imported Root"
    # Ana's certificate came from the old CA: her next signature gets one from the new.
    second = signer_cert(await signed_by_ana(client, tenant, context))
    assert second.serial_number != first.serial_number
    second.verify_directly_issued_by(published)
    crl = x509.load_der_x509_crl((await client.get(f"/pki/{pki_key}/crl")).content)
    assert crl.is_signature_valid(published.public_key())  # type: ignore[arg-type]
