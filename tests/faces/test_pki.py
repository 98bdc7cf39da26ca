"""The public PKI services over real HTTP: OCSP checked by `openssl ocsp` and by pyHanko's
validation (each fetching from the URLs the certificates name), CRL numbers, revocation.

The app is served by uvicorn on a loopback port in the test's own event loop, and the
enterprise's certificates name that address (SIGNFLOW_BASE_URL), so validators find the
responder exactly as they would in production.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from signflow.app import create_app
from signflow.context import AppContext
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf
from tests.prerequisites import require_command
from tests.signing.test_service import add_signer_and_fields, sign


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


PORT = _free_port()
BASE_URL = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"base_url": BASE_URL}


@pytest.fixture
async def live(context: AppContext) -> AsyncIterator[str]:
    config = uvicorn.Config(
        create_app(context=context), host="127.0.0.1", port=PORT, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield BASE_URL
    finally:
        server.should_exit = True
        await task


async def signed_by_ana(client: httpx.AsyncClient, tenant: Tenant, context: AppContext) -> bytes:
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, make_pdf(texts=["Deal"]))
    await add_signer_and_fields(
        context, package_id, document_id, [("ana@example.com", "Ana Ruiz", "digital_signature")]
    )
    await sign(context, package_id, 1)
    answer = await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    assert answer.status_code == 200
    return answer.content


def signer_cert(pdf: bytes) -> x509.Certificate:
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return x509.load_der_x509_certificate(signature.signer_cert.dump())


def _ocsp_url(cert: x509.Certificate) -> str:
    access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    [url] = [
        a.access_location.value
        for a in access
        if a.access_method == AuthorityInformationAccessOID.OCSP
    ]
    return str(url)


async def _openssl_ocsp(tmp: Path, ca: x509.Certificate, cert: x509.Certificate, url: str) -> str:
    openssl = require_command("openssl", "openssl")
    (tmp / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp / "signer.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    process = await asyncio.create_subprocess_exec(
        openssl,
        "ocsp",
        "-issuer",
        str(tmp / "ca.pem"),
        "-cert",
        str(tmp / "signer.pem"),
        "-CAfile",
        str(tmp / "ca.pem"),
        "-url",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp,
    )
    out, _ = await process.communicate()
    text = out.decode()
    assert process.returncode == 0, text
    assert "Response verify OK" in text, text
    return text


async def _pyhanko_status(pdf: bytes, ca: x509.Certificate) -> tuple[bool, bool, int]:
    """(trusted, revoked, OCSP responses fetched) from pyHanko's validation, online."""
    anchor = asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))
    backend = AIOHttpFetcherBackend()
    context = ValidationContext(
        trust_roots=[anchor],
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=backend,
    )
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    try:
        status = await async_validate_pdf_signature(signature, signer_validation_context=context)
    finally:
        await backend.close()
    assert status.intact, status.pretty_print_details()
    return status.trusted, status.revoked, len(context.ocsps)


async def _crl(client: httpx.AsyncClient, pki_key: str) -> x509.CertificateRevocationList:
    answer = await client.get(f"/pki/{pki_key}/crl")
    assert answer.status_code == 200
    return x509.load_der_x509_crl(answer.content)


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


async def test_a_revoked_certificate_is_reported_everywhere_and_replaced(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, live: str, tmp_path: Path
):
    pdf = await signed_by_ana(client, tenant, context)
    cert = signer_cert(pdf)
    pki_key = await pki_key_of_tenant(context, tenant)
    url = _ocsp_url(cert)
    assert url == f"{live}/pki/{pki_key}/ocsp"
    ca = x509.load_der_x509_certificate((await client.get(f"/pki/{pki_key}/ca.crt")).content)

    assert "signer.pem: good" in await _openssl_ocsp(tmp_path, ca, cert, url)
    trusted, revoked, ocsp_answers = await _pyhanko_status(pdf, ca)
    assert (trusted, revoked) == (True, False)
    assert ocsp_answers >= 1

    before = await _crl(client, pki_key)
    assert before.get_revoked_certificate_by_serial_number(cert.serial_number) is None
    assert await _crl(client, pki_key) is not None
    assert _crl_number(await _crl(client, pki_key)) == _crl_number(before)  # not yet due

    admin = await bearer(client, tenant, tenant.admin_email)
    serial = format(cert.serial_number, "x")
    revoked_answer = await client.post(
        f"/v3/enterprise/certificates/{serial}/revoke", headers=admin
    )
    assert revoked_answer.status_code == 200, revoked_answer.text
    assert revoked_answer.json()["revoked_on"] is not None

    assert "signer.pem: revoked" in await _openssl_ocsp(tmp_path, ca, cert, url)
    trusted, revoked, _ = await _pyhanko_status(pdf, ca)
    assert (trusted, revoked) == (False, True)

    after = await _crl(client, pki_key)
    assert _crl_number(after) == _crl_number(before) + 1
    entry = after.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None
    # thisUpdate is the moment the CRL was issued: after the revocation, not backdated.
    assert after.last_update_utc >= entry.revocation_date_utc
    assert dt.datetime.now(dt.UTC) - after.last_update_utc < dt.timedelta(minutes=1)
    assert after.is_signature_valid(ca.public_key())  # type: ignore[arg-type]

    again = signer_cert(await signed_by_ana(client, tenant, context))
    assert again.serial_number != cert.serial_number
    assert "signer.pem: good" in await _openssl_ocsp(tmp_path, ca, again, url)


async def pki_key_of_tenant(context: AppContext, tenant: Tenant) -> str:
    from signflow.db import transaction
    from signflow.models import Enterprise

    async with transaction(context.sessions) as session:
        return (await session.get_one(Enterprise, tenant.enterprise_id)).pki_key


def _ocsp_request(ca: x509.Certificate, serial: int, algorithm: hashes.HashAlgorithm) -> bytes:
    # A request by hash names the serial alone: no certificate object needed.
    from asn1crypto import ocsp as asn1_ocsp

    loaded = asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))
    digest = {"sha1": "sha1", "sha256": "sha256"}[algorithm.name]
    request = asn1_ocsp.OCSPRequest(
        {
            "tbs_request": {
                "request_list": [
                    {
                        "req_cert": {
                            "hash_algorithm": {"algorithm": digest},
                            "issuer_name_hash": getattr(loaded.subject, digest),
                            "issuer_key_hash": getattr(loaded.public_key, digest),
                            "serial_number": serial,
                        }
                    }
                ]
            }
        }
    )
    return request.dump()


async def test_the_responder_answers_unknown_unauthorized_and_malformed(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    await signed_by_ana(client, tenant, context)
    pki_key = await pki_key_of_tenant(context, tenant)
    ca = x509.load_der_x509_certificate((await client.get(f"/pki/{pki_key}/ca.crt")).content)
    headers = {"content-type": "application/ocsp-request"}

    unknown = await client.post(
        f"/pki/{pki_key}/ocsp", content=_ocsp_request(ca, 12345, hashes.SHA256()), headers=headers
    )
    assert unknown.status_code == 200
    assert unknown.headers["content-type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(unknown.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    assert answer.serial_number == 12345

    # The same question by GET (base64 in the path), as RFC 6960 allows.
    encoded = base64.b64encode(_ocsp_request(ca, 12345, hashes.SHA1())).decode()  # noqa: S303
    by_get = await client.get(f"/pki/{pki_key}/ocsp/{encoded}")
    assert by_get.status_code == 200
    assert ocsp.load_der_ocsp_response(by_get.content).certificate_status == (
        ocsp.OCSPCertStatus.UNKNOWN
    )

    # A question about this CA put to the other enterprise's responder: not theirs to answer.
    await signed_by_ana(client, other_tenant, context)
    theirs = await pki_key_of_tenant(context, other_tenant)
    foreign = await client.post(
        f"/pki/{theirs}/ocsp", content=_ocsp_request(ca, 12345, hashes.SHA256()), headers=headers
    )
    assert foreign.status_code == 200
    status = ocsp.load_der_ocsp_response(foreign.content).response_status
    assert status == ocsp.OCSPResponseStatus.UNAUTHORIZED

    garbage = await client.post(f"/pki/{pki_key}/ocsp", content=b"not der", headers=headers)
    assert garbage.status_code == 400
    malformed = ocsp.load_der_ocsp_response(garbage.content).response_status
    assert malformed == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    bad_get = await client.get(f"/pki/{pki_key}/ocsp/%%%%")
    assert bad_get.status_code == 400
    too_big = await client.post(f"/pki/{pki_key}/ocsp", content=b"0" * 20000, headers=headers)
    assert too_big.status_code == 413
    nobody = await client.post(
        "/pki/AAAAAAAAAAAAAAAAAAAAAA/ocsp", content=_ocsp_request(ca, 1, hashes.SHA256())
    )
    assert nobody.status_code == 404
