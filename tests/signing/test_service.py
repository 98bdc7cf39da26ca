"""Signing a package's field through the core, then verifying it through the API."""

from __future__ import annotations

import asyncio
import base64
import io

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID
from PIL import Image
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import (
    Document,
    DocumentVersion,
    Enterprise,
    Field,
    Package,
    Recipient,
    SigningCredential,
)
from signflow.signing.service import SignatureInput, sign_field
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf
from tests.signing.checks import assert_everywhere_valid


async def add_signer_and_fields(
    context: AppContext, package_id: int, document_id: int, people: list[tuple[str, str, str]]
) -> None:
    async with transaction(context.sessions) as session:
        for position, (email, name, kind) in enumerate(people, start=1):
            recipient = Recipient(
                public_id=f"r_{package_id}_{position}",
                package_id=package_id,
                position=position,
                signing_order=position,
                email=email,
                name=name,
            )
            session.add(recipient)
            await session.flush()
            session.add(
                Field(
                    document_id=document_id,
                    recipient_id=recipient.id,
                    kind=kind,
                    name=f"field-{position}",
                    page_no=1,
                    x=72.0,
                    y=100.0 + 80 * position,
                    width=180.0,
                    height=60.0,
                )
            )


async def sign(context: AppContext, package_id: int, position: int, **inputs: str) -> None:
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        recipient = await session.scalar(
            select(Recipient).where(
                Recipient.package_id == package_id, Recipient.position == position
            )
        )
        assert recipient is not None
        field = await session.scalar(select(Field).where(Field.recipient_id == recipient.id))
        assert field is not None
        document = await session.get_one(Document, field.document_id)
        await sign_field(
            session,
            context,
            package=package,
            document=document,
            field=field,
            recipient=recipient,
            signer_user=None,
            request=SignatureInput(**inputs),
        )


def hand_signature() -> str:
    image = Image.new("RGBA", (200, 60), (255, 255, 255, 0))
    for x in range(10, 190):
        image.putpixel((x, 30 + (x % 20) - 10), (0, 0, 120, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.fixture
async def prepared(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
) -> tuple[dict[str, str], int, int]:
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, make_pdf(texts=["Agreement"]))
    await add_signer_and_fields(
        context,
        package_id,
        document_id,
        [
            ("ana@example.com", "Ana Ruiz", "digital_signature"),
            ("bo@example.com", "Bo Lee", "electronic_signature"),
        ],
    )
    return owner, package_id, document_id


async def test_two_signatures_validate_everywhere_and_in_the_api(
    client: httpx.AsyncClient,
    context: AppContext,
    prepared: tuple[dict[str, str], int, int],
):
    owner, package_id, document_id = prepared
    await sign(
        context, package_id, 1, signing_reason="I agree", hand_signature_image=hand_signature()
    )
    await sign(context, package_id, 2, signing_location="Madrid")

    pdf = (
        await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    ).content
    ca = await client.get(f"/pki/{(await pki_key_of(context, package_id))}/ca.crt")
    assert ca.status_code == 200
    assert ca.headers["content-type"] == "application/pkix-cert"
    root = x509.load_der_x509_certificate(ca.content)
    await asyncio.to_thread(assert_everywhere_valid, pdf, root, count=2)

    response = await client.get(f"/v3/packages/{package_id}/verification", headers=owner)
    assert response.status_code == 200
    [document] = response.json()
    assert document["document_id"] == document_id
    first, second = document["fields"]
    assert first["field_name"] == "field-1"
    assert first["signer_name"] == "Ana Ruiz"
    assert first["signature_status"] == "VALID"
    assert first["signing_reason"] == "I agree"
    assert first["signature_type"] == "PADES_BASELINE_B"
    assert "ana@example.com" in first["subject_dn"]
    assert first["modified_after_signing"] is False
    assert second["signing_location"] == "Madrid"
    assert "electronic seal" in second["subject_dn"]
    assert second["covers_whole_file"] is True
    single = await client.get(
        f"/v4/packages/{package_id}/documents/{document_id}/verification", headers=owner
    )
    assert single.json() == response.json()

    async with transaction(context.sessions) as session:
        versions = list(
            await session.scalars(
                select(DocumentVersion.kind)
                .where(DocumentVersion.document_id == document_id)
                .order_by(DocumentVersion.number)
            )
        )
        credentials = list(await session.scalars(select(SigningCredential.kind)))
    assert versions == ["ORIGINAL", "SIGNED", "SIGNED"]
    assert sorted(credentials) == ["seal", "signer"]


async def test_a_signer_reuses_their_certificate(
    client: httpx.AsyncClient, context: AppContext, prepared: tuple[dict[str, str], int, int]
):
    owner, package_id, _ = prepared
    await sign(context, package_id, 1)
    second_package = await create_package(client, owner, "Second")
    second_document = await upload_document(client, owner, second_package, make_pdf())
    await add_signer_and_fields(
        context, second_package, second_document, [("ana@example.com", "Ana", "signature")]
    )
    await sign(context, second_package, 1)
    async with transaction(context.sessions) as session:
        serials = list(await session.scalars(select(SigningCredential.serial_number)))
    assert len(serials) == 1


async def test_a_tampered_document_is_reported_invalid(
    client: httpx.AsyncClient, context: AppContext, prepared: tuple[dict[str, str], int, int]
):
    owner, package_id, document_id = prepared
    await sign(context, package_id, 1)
    async with transaction(context.sessions) as session:
        document = await session.get_one(Document, document_id)
        pdf = bytearray(await context.blobs.get(document.current_sha256))
        # The header's version digit: inside the signed range, harmless to parsers.
        pdf[7] = ord("9") if pdf[7] != ord("9") else ord("8")
        document.current_sha256 = await context.blobs.put(bytes(pdf))
    response = await client.get(f"/v3/packages/{package_id}/verification", headers=owner)
    [field] = response.json()[0]["fields"]
    assert field["signature_status"] != "VALID"


async def test_a_bad_hand_signature_is_a_400(
    context: AppContext, prepared: tuple[dict[str, str], int, int]
):
    from signflow.errors import BadRequest

    _, package_id, _ = prepared
    with pytest.raises(BadRequest, match="base64"):
        await sign(context, package_id, 1, hand_signature_image="not base64 !!")
    with pytest.raises(BadRequest, match="PNG"):
        await sign(
            context, package_id, 1, hand_signature_image=base64.b64encode(b"GIF89a").decode()
        )


async def test_verification_of_another_enterprises_package_is_a_404(
    client: httpx.AsyncClient, other_tenant: Tenant, prepared: tuple[dict[str, str], int, int]
):
    _, package_id, _ = prepared
    theirs = await bearer(client, other_tenant, other_tenant.user_email)
    response = await client.get(f"/v3/packages/{package_id}/verification", headers=theirs)
    assert response.status_code == 404


async def test_the_crl_is_published(
    client: httpx.AsyncClient, context: AppContext, prepared: tuple[dict[str, str], int, int]
):
    _, package_id, _ = prepared
    await sign(context, package_id, 1)
    pki_key = await pki_key_of(context, package_id)
    response = await client.get(f"/pki/{pki_key}/crl")
    assert response.status_code == 200
    crl = x509.load_der_x509_crl(response.content)
    ca = x509.load_der_x509_certificate((await client.get(f"/pki/{pki_key}/ca.crt")).content)
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    missing = await client.get("/pki/no-such-key/ca.crt")
    assert missing.status_code == 404


async def pki_key_of(context: AppContext, package_id: int) -> str:
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        enterprise = await session.get_one(Enterprise, package.enterprise_id)
        return enterprise.pki_key


async def test_a_certified_document_still_takes_the_later_signatures(
    client: httpx.AsyncClient, context: AppContext, prepared: tuple[dict[str, str], int, int]
):
    owner, package_id, document_id = prepared
    policy = {"certify": {"enabled": True, "permission": "FORM_FILLING"}, "lock_form_fields": False}
    response = await client.put(
        f"/v3/packages/{package_id}/documents/{document_id}/certify", json=policy, headers=owner
    )
    assert response.status_code == 200
    await sign(context, package_id, 1)
    await sign(context, package_id, 2)
    verified = await client.get(f"/v3/packages/{package_id}/verification", headers=owner)
    first, second = verified.json()[0]["fields"]
    assert first["certified"] is True
    assert second["certified"] is False
    for field in (first, second):
        assert field["signature_status"] == "VALID", field
        assert field["modified_after_signing"] is False
    pdf = (
        await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    ).content
    pki_key = await pki_key_of(context, package_id)
    root = x509.load_der_x509_certificate((await client.get(f"/pki/{pki_key}/ca.crt")).content)
    await asyncio.to_thread(assert_everywhere_valid, pdf, root, count=2)


def _pki_urls_of(certificate: x509.Certificate) -> tuple[str, str]:
    crl_points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    [point] = list(crl_points)
    [crl_url] = point.full_name or []
    access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    [issuers] = [
        a for a in access.value if a.access_method == AuthorityInformationAccessOID.CA_ISSUERS
    ]
    return str(crl_url.value), str(issuers.access_location.value)


def _signer_certificate(pdf: bytes) -> x509.Certificate:
    from pyhanko.pdf_utils.reader import PdfFileReader

    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return x509.load_der_x509_certificate(signature.signer_cert.dump())


async def test_pki_urls_name_an_unguessable_key_and_ids_answer_404(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    prepared: tuple[dict[str, str], int, int],
):
    owner, package_id, document_id = prepared
    await sign(context, package_id, 1)
    pdf = (
        await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    ).content
    pki_key = await pki_key_of(context, package_id)
    assert len(pki_key) >= 22
    # Every URL written into the signer's certificate (and the CA's) names the key.
    crl_url, ca_url = _pki_urls_of(_signer_certificate(pdf))
    assert (crl_url, ca_url) == (
        f"http://testserver/pki/{pki_key}/crl",
        f"http://testserver/pki/{pki_key}/ca.crt",
    )
    ca_answer = await client.get(ca_url)
    assert ca_answer.status_code == 200
    ca = x509.load_der_x509_certificate(ca_answer.content)
    assert _pki_urls_of(ca) == (crl_url, ca_url)
    crl_answer = await client.get(crl_url)
    assert crl_answer.status_code == 200
    assert x509.load_der_x509_crl(crl_answer.content).is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    # Counting ids finds nothing, for either enterprise, and the keys differ.
    for enterprise_id in (tenant.enterprise_id, other_tenant.enterprise_id, 1, 2):
        for suffix in ("ca.crt", "crl"):
            answer = await client.get(f"/pki/{enterprise_id}/{suffix}")
            assert answer.status_code == 404, (enterprise_id, suffix)
    async with transaction(context.sessions) as session:
        theirs = await session.get_one(Enterprise, other_tenant.enterprise_id)
    assert theirs.pki_key != pki_key


async def test_a_certificate_issued_under_the_numeric_urls_is_replaced(
    client: httpx.AsyncClient, context: AppContext, prepared: tuple[dict[str, str], int, int]
):
    """Signer certificates issued before the key existed name /pki/{id}/..., which now
    answers 404: the signer gets a new certificate naming the key on their next signature."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from signflow.models import CredentialKind
    from signflow.signing.ca import PkiUrls, issue_signer_certificate
    from signflow.signing.enterprise_keys import ensure_enterprise_ca
    from signflow.signing.keys import encrypt_private_key

    owner, package_id, document_id = prepared
    settings = context.settings
    async with transaction(context.sessions) as session:
        package = await session.get_one(Package, package_id)
        ca = await ensure_enterprise_ca(session, settings, package.enterprise_id)
        numeric = PkiUrls.for_enterprise(settings.base_url, str(package.enterprise_id))
        old = issue_signer_certificate(
            type(ca.authority)(key=ca.authority.key, cert=ca.authority.cert, urls=numeric),
            "Ana Ruiz",
            "ana@example.com",
        )
        session.add(
            SigningCredential(
                enterprise_id=package.enterprise_id,
                kind=CredentialKind.SIGNER.value,
                email="ana@example.com",
                serial_number=format(old.cert.serial_number, "x"),
                cert_der=old.cert.public_bytes(Encoding.DER),
                encrypted_key=encrypt_private_key(old.key, settings.effective_secret_key),
                not_after=old.cert.not_valid_after_utc,
            )
        )
    await sign(context, package_id, 1)
    pdf = (
        await client.get(f"/v3/packages/{package_id}/documents/{document_id}", headers=owner)
    ).content
    used = _signer_certificate(pdf)
    assert used.serial_number != old.cert.serial_number
    pki_key = await pki_key_of(context, package_id)
    assert _pki_urls_of(used)[0] == f"http://testserver/pki/{pki_key}/crl"
