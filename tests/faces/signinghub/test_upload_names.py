"""The `x-file-name` of an upload: every encoding clients send, stored as the name meant,
without characters that change how it is displayed and without any directory part."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.factories import Tenant, bearer, create_package
from tests.pdf import builders


@pytest.fixture
async def owner(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    return await bearer(client, tenant, tenant.user_email)


NAMES = [
    # raw UTF-8 bytes in the header, as most HTTP libraries send a non-ASCII string
    pytest.param("Contrato señal € 契約.pdf".encode(), "Contrato señal € 契約.pdf", id="raw-utf8"),
    # RFC 5987 / 8187 extended values
    pytest.param(b"UTF-8''%E2%82%AC%20Rechnung.pdf", "€ Rechnung.pdf", id="rfc5987"),
    pytest.param(b"utf-8'de'na%C3%AFve.pdf", "naïve.pdf", id="rfc5987-language"),
    pytest.param(b"filename*=UTF-8''%E2%82%AC.pdf", "€.pdf", id="rfc5987-parameter"),
    pytest.param(b"ISO-8859-1''caf%E9.pdf", "café.pdf", id="rfc5987-latin1"),
    # Latin-1 bytes that are not UTF-8, and the percent-encoding earlier versions took
    pytest.param("café.pdf".encode("latin-1"), "café.pdf", id="raw-latin1"),
    pytest.param(b"Contrato%20firmado.pdf", "Contrato firmado.pdf", id="percent"),
    # bidirectional formatting: an override makes "invoice<RLO>fdp.exe" show as a PDF
    pytest.param("invoice\u202efdp.exe".encode(), "invoicefdp.exe", id="bidi-override"),
    pytest.param(b"invoice%E2%80%AEfdp.exe", "invoicefdp.exe", id="bidi-percent"),
    pytest.param(
        "\u2066a\u2069\u202ab\u202c\u202dc\u202e\u2067d\u2068e\u200f.pdf".encode(),
        "abcde.pdf",
        id="bidi-all",
    ),
    # control characters
    pytest.param(b"a%00b%0Ac%0Dd%07e%7F%C2%85.pdf", "abcde.pdf", id="controls"),
    # directories
    pytest.param(b"..%2F..%2Fetc%2Fpasswd", "passwd", id="posix-path"),
    pytest.param(b"C:\\Users\\ana\\lease.pdf", "lease.pdf", id="windows-path"),
    pytest.param(b"..", "document.pdf", id="dot-dot"),
    pytest.param(b"%E2%80%AE/", "document.pdf", id="nothing-left"),
]


@pytest.mark.parametrize(("header", "stored"), NAMES)
async def test_the_file_name_is_stored_as_meant(
    client: httpx.AsyncClient, owner: dict[str, str], header: bytes, stored: str
):
    package_id = await create_package(client, owner)
    response = await client.post(
        f"/v3/packages/{package_id}/documents",
        content=builders.make_pdf(),
        headers=owner | {"x-file-name": header},
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["documentid"]
    details = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/details", headers=owner
    )
    assert details.json()["document_name"] == stored
    download = await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    assert download.headers["content-disposition"] == (
        f"attachment; filename*=UTF-8''{quote(stored)}"
    )


async def test_an_attachment_name_is_decoded_and_cleaned_too(
    client: httpx.AsyncClient, owner: dict[str, str]
):
    package_id = await create_package(client, owner)
    upload = await client.post(
        f"/v3/packages/{package_id}/documents",
        content=builders.make_pdf(),
        headers=owner | {"x-file-name": b"lease.pdf"},
    )
    document_id = upload.json()["documentid"]
    response = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/attachments",
        content=b"col1,col2\n1,2\n",
        headers=owner
        | {"x-file-name": "Anexo\u202e vsc.€.csv".encode(), "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    details = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/details", headers=owner
    )
    [attachment] = details.json()["attachments"]
    assert attachment["file_name"] == "Anexo vsc.€.csv"
