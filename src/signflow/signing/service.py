"""Signing and verifying the documents of a package, for the workflow and the API."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from cryptography import x509
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.signature_settings import SigningDefaults, signing_defaults
from signflow.context import AppContext
from signflow.errors import BadRequest
from signflow.models import (
    CredentialKind,
    Document,
    DocumentVersion,
    EnterpriseCa,
    Field,
    FieldKind,
    Package,
    Recipient,
    User,
    VersionKind,
)
from signflow.packages.documents import add_version
from signflow.signing.capacities import capacity_credential
from signflow.signing.enterprise_keys import (
    SignerCache,
    credential_for,
    ensure_enterprise_ca,
    signer_from,
)
from signflow.signing.fields import EmptyField
from signflow.signing.forms import prepare_form
from signflow.signing.revocation import current_crl
from signflow.signing.signer import LONG_TERM_LEVELS, DocMdpLevel, SignRequest
from signflow.signing.verifier import Verifier
from signflow.signing.verify import SignatureReport
from signflow.storage import BlobStore
from signflow.workflow.form_values import document_form_specs, document_shared_values

MAX_HAND_SIGNATURE_BYTES = 1024 * 1024
CERTIFY_LEVELS: dict[str, DocMdpLevel] = {
    "NO_CHANGES_ALLOWED": 1,
    "FORM_FILLING": 2,
    "FORM_FILLING_AND_ANNOTATIONS": 3,
}


@dataclass(frozen=True)
class SignatureInput:
    hand_signature_image: str | None = None
    signing_reason: str | None = None
    signing_location: str | None = None
    contact_information: str | None = None
    user_name: str | None = None
    """What the client calls the signer: the workflow records it; it is never stamped."""
    signing_capacity: str | None = None
    form_values: Mapping[str, str] = dataclass_field(default_factory=dict)
    """The recipient's form values (AcroForm name -> display value) this signature carries:
    `signflow.workflow.form_values`, empty after their first signature on the document."""


def signer_cache(context: AppContext) -> SignerCache:
    return context.service("signers", SignerCache)


def decode_hand_signature(value: str | None) -> bytes | None:
    if not value:
        return None
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        png = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("hand_signature_image must be a base64-encoded PNG image") from exc
    if len(png) > MAX_HAND_SIGNATURE_BYTES:
        raise BadRequest("hand_signature_image must be at most 1 MB")
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise BadRequest("hand_signature_image must be a PNG image")
    return png


def verified_signer_name(recipient: Recipient, signer_user: User | None) -> str:
    """The signer as Signflow knows them: their account's name, or the recipient's as the
    owner named them (a link recipient acts through a stand-in user of that name)."""
    name = signer_user.name if signer_user is not None else ""
    return (name or recipient.name or recipient.email).strip()


async def sign_field(
    session: AsyncSession,
    context: AppContext,
    *,
    package: Package,
    document: Document,
    field: Field,
    recipient: Recipient,
    signer_user: User | None,
    request: SignatureInput,
) -> DocumentVersion:
    """Apply one PAdES signature into `field` and store the result as a new version.

    The document row is locked first: two signers of one document (a parallel
    step) must each sign the other's output, never the same old version.
    """
    settings = context.settings
    locked = await session.scalar(
        select(Document).where(Document.id == document.id).with_for_update()
    )
    assert locked is not None
    document = locked
    hand_signature = decode_hand_signature(request.hand_signature_image)
    # What the request leaves out comes from the signer's own signature settings.
    defaults = (
        await signing_defaults(session, signer_user)
        if signer_user is not None
        else SigningDefaults()
    )
    initials = field.kind == FieldKind.INITIALS.value
    if hand_signature is None:
        hand_signature = defaults.initials_png if initials else defaults.hand_signature_png
    verified_name = verified_signer_name(recipient, signer_user)
    kind = (
        CredentialKind.SEAL
        if field.kind == FieldKind.ELECTRONIC_SIGNATURE.value
        else CredentialKind.SIGNER
    )
    # A personal signature uses the signer's signing capacity they name (or their default
    # one) when their enterprise gave them any: `signing/capacities.py`.
    credential = (
        await capacity_credential(session, signer_user, request.signing_capacity)
        if kind is CredentialKind.SIGNER and signer_user is not None
        else None
    ) or await credential_for(
        session,
        settings,
        package.enterprise_id,
        kind,
        email=recipient.email if kind is CredentialKind.SIGNER else "",
        name=verified_name,
    )
    ca = await ensure_enterprise_ca(session, settings, package.enterprise_id)
    signer = signer_from(settings, signer_cache(context), credential, ca.record.cert_der)
    earlier_signatures = await session.scalar(
        select(func.count())
        .select_from(DocumentVersion)
        .where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.kind == VersionKind.SIGNED.value,
        )
    )
    certify = (
        CERTIFY_LEVELS.get(document.certify_permission, 1)
        if document.certify_enabled and not earlier_signatures
        else None
    )
    long_term = settings.signature_level in LONG_TERM_LEVELS
    reason = request.signing_reason or defaults.signing_reason
    if request.signing_capacity:
        reason = f"{reason} ({request.signing_capacity})" if reason else request.signing_capacity
    later = await _later_signature_fields(session, document.id, field.id)
    sign_request = SignRequest(
        field_name=field.name,
        page=field.page_no - 1,
        rect=(field.x, field.y, field.width, field.height),
        reason=reason,
        location=request.signing_location or defaults.signing_location,
        contact_info=request.contact_information or defaults.contact_information,
        # A personal certificate names its holder: the stamp and /Name take its name (None).
        # The enterprise seal names the enterprise: they take the person it signed for.
        signer_name=verified_name if kind is CredentialKind.SEAL else None,
        hand_signature_png=hand_signature,
        kind="initials" if initials else "signature",
        initials=defaults.initials_text if initials else None,
        design=defaults.design,
        certify=certify,
        # After the document's last signature nothing filled may change: every field locks.
        lock_form_fields=not later,
        form_values=request.form_values,
        level=settings.signature_level,
        timestamp_url=settings.tsa_url,
        validation_certs=(ca.authority.cert,) if long_term else (),
        crls=(await current_crl(session, settings, package.enterprise_id, fresh=True),)
        if long_term
        else (),
        trust_roots=settings.extra_trust_roots,
    )
    pdf = await context.blobs.get(document.current_sha256)
    if not earlier_signatures:
        pdf = await _prepared_form(session, document, field, later, pdf)
    signed = await signer.sign_async(pdf, sign_request)
    return await add_version(session, context.blobs, document, signed, VersionKind.SIGNED)


async def _prepared_form(
    session: AsyncSession,
    document: Document,
    field: Field,
    later: list[EmptyField],
    pdf: bytes,
) -> bytes:
    """Before the document's first signature, one revision creates every field (empty, or
    with the owner's prefilled value): a field added after a signature would count as a
    change to the signed document, a field filled afterwards only as form filling."""
    this = EmptyField(field.name, field.page_no - 1, (field.x, field.y, field.width, field.height))
    specs = await document_form_specs(session, document.id)
    prefilled = await document_shared_values(session, document.id)
    return await asyncio.to_thread(prepare_form, pdf, specs, [this, *later], prefilled)


SIGNATURE_KINDS = frozenset(
    {
        FieldKind.SIGNATURE.value,
        FieldKind.DIGITAL_SIGNATURE.value,
        FieldKind.ELECTRONIC_SIGNATURE.value,
        FieldKind.IN_PERSON_SIGNATURE.value,
        FieldKind.INITIALS.value,
    }
)


async def _later_signature_fields(
    session: AsyncSession, document_id: int, signing_field_id: int
) -> list[EmptyField]:
    fields = await session.scalars(
        select(Field).where(
            Field.document_id == document_id,
            Field.id != signing_field_id,
            Field.kind.in_(SIGNATURE_KINDS),
            Field.signed_at.is_(None),
        )
    )
    return [EmptyField(f.name, f.page_no - 1, (f.x, f.y, f.width, f.height)) for f in fields]


async def fill_unsigned_document(
    session: AsyncSession, blobs: BlobStore, document: Document, values: Mapping[str, str]
) -> DocumentVersion:
    """A document that no one signed, at the package's end: every field and the values given
    in it, in one unsigned revision, so that the document that comes out shows them."""
    specs = await document_form_specs(session, document.id)
    empty = await _later_signature_fields(session, document.id, signing_field_id=0)
    pdf = await blobs.get(document.current_sha256)
    filled = await asyncio.to_thread(prepare_form, pdf, specs, empty, values)
    return await add_version(session, blobs, document, filled, VersionKind.FILLED)


async def trust_roots(
    session: AsyncSession, context: AppContext, enterprise_id: int
) -> list[x509.Certificate]:
    """The enterprise's CA and the roots SIGNFLOW_TRUST_ROOTS names (TSAs, imported CAs)."""
    record = await session.get(EnterpriseCa, enterprise_id)
    own = [x509.load_der_x509_certificate(record.cert_der)] if record else []
    return [*own, *context.settings.extra_trust_roots]


def verifier(context: AppContext) -> Verifier:
    settings = context.settings
    return context.service(
        "verifier",
        lambda: Verifier(settings.verification_timeout_seconds, settings.verification_concurrency),
    )


async def verify_document(
    session: AsyncSession, context: AppContext, enterprise_id: int, document: Document
) -> list[SignatureReport]:
    """Validate the document's current PDF against the trust roots (no network), in a
    thread, within the time limit; the answer is cached for this version (`verifier.py`)."""
    roots = await trust_roots(session, context, enterprise_id)
    sha256 = document.current_sha256
    return await verifier(context).verify(sha256, roots, lambda: context.blobs.get(sha256))
