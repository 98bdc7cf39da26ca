"""The Process Evidence Report of a completed package: gathered, sealed and stored once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.audit.checkpoints import EVIDENCE, Head, take_checkpoint
from signflow.audit.form_values import entered_values
from signflow.audit.signature_facts import (
    CertificateFact,
    FieldBox,
    certificates_by_field,
    field_image_of_page,
    page_image,
)
from signflow.context import AppContext
from signflow.db import dialect_insert, transaction, utcnow
from signflow.errors import BadRequest, SignflowError
from signflow.models import (
    CredentialKind,
    Document,
    EvidenceReport,
    Field,
    HistoryEntry,
    Job,
    Package,
    Recipient,
    User,
    WorkflowStatus,
)
from signflow.outbox.handlers import Done, Failed, Outcome, job_handler
from signflow.packages.documents import list_documents
from signflow.pdf.evidence_data import (
    DocumentEvidence,
    EvidenceData,
    HistoryEvidence,
    PackageInfo,
    RecipientEvidence,
    SignatureEvidence,
    ValueEvidence,
)
from signflow.signing.enterprise_keys import credential_for, ensure_enterprise_ca, signer_from
from signflow.signing.evidence import LevelInputs, sign_evidence_report
from signflow.signing.revocation import current_crl
from signflow.signing.service import signer_cache
from signflow.signing.signer import LONG_TERM_LEVELS, FastSigner
from signflow.storage import BlobStore
from signflow.workflow.adoption import ADOPTED_ACTION

EVIDENCE_JOB = "evidence.generate"
NOT_COMPLETED = "The evidence report is available once the package is completed"


def authentication_method(recipient: Recipient) -> str:
    settings = recipient.authentication or {}
    inner = settings.get("authentication", settings)
    if not isinstance(inner, dict) or not inner.get("enabled"):
        return "none"
    methods = [
        name.replace("_", " ")
        for name in ("password", "sms_otp", "email_otp")
        if isinstance(inner.get(name), dict) and inner[name].get("enabled")
    ]
    return ", ".join(methods) or "none"


def _signature_facts(
    pdfs: dict[int, bytes], fields: list[Field]
) -> dict[int, tuple[CertificateFact | None, bytes | None]]:
    """For each signed field: the certificate behind its signature and its image."""
    certificates = {doc_id: certificates_by_field(pdf) for doc_id, pdf in pdfs.items()}
    facts: dict[int, tuple[CertificateFact | None, bytes | None]] = {}
    # Each page is drawn once for all its fields (signers' fields often share a page),
    # and only one page is held at a time.
    by_page: dict[tuple[int, int], list[Field]] = defaultdict(list)
    for field in fields:
        by_page[(field.document_id, field.page_no - 1)].append(field)
    for (document_id, page_index), on_page in by_page.items():
        try:
            page: Image.Image | None = page_image(pdfs[document_id], page_index)
        except SignflowError:
            page = None  # a page outside the document: the report says "no image"
        for field in on_page:
            box = FieldBox(page_index, field.x, field.y, field.width, field.height)
            image = field_image_of_page(page, box) if page is not None else None
            facts[field.id] = (certificates[document_id].get(field.name), image)
    return facts


async def _recipient_signatures(
    session: AsyncSession, blobs: BlobStore, documents: list[Document]
) -> dict[int, list[SignatureEvidence]]:
    names = {d.id: d.name for d in documents}
    fields = list(
        await session.scalars(
            select(Field)
            .where(Field.document_id.in_(names), Field.signed_at.is_not(None))
            .order_by(Field.signed_at, Field.id)
        )
    )
    signed = {field.document_id for field in fields}
    pdfs = {d.id: await blobs.get(d.current_sha256) for d in documents if d.id in signed}
    facts = await asyncio.to_thread(_signature_facts, pdfs, fields)
    signatures: dict[int, list[SignatureEvidence]] = {}
    for field in fields:
        if field.recipient_id is None:
            continue
        certificate, image = facts[field.id]
        signatures.setdefault(field.recipient_id, []).append(
            SignatureEvidence(
                document=names[field.document_id],
                field=field.name,
                signed_at=field.signed_at,
                certificate_serial=certificate.serial if certificate else None,
                certificate_subject=certificate.subject if certificate else None,
                image_png=image,
            )
        )
    return signatures


def _first_view(history: list[HistoryEntry], email: str) -> dt.datetime | None:
    for entry in history:
        if entry.action == "DOCUMENT_OPENED" and entry.user_email == email:
            return entry.created_at
    return None


def _consent(history: list[HistoryEntry], order: int) -> str | None:
    """The consent sentence the recipient at `order` was shown beside Sign (the signer
    pages record it with the signature); None when they signed where none is shown."""
    for entry in history:
        details = entry.details or {}
        signed_or_adopted = entry.action in ("DOCUMENT_SIGNED", ADOPTED_ACTION)
        if signed_or_adopted and details.get("order") == order:
            consent = details.get("consent")
            if isinstance(consent, str) and consent:
                return consent
    return None


def _adoptions(history: list[HistoryEntry], order: int) -> tuple[str, ...]:
    """The signatures the recipient at `order` adopted: how (drawn, typed in a style,
    uploaded), when, and the SHA-256 of the adopted signature and initials images."""
    lines = []
    for entry in history:
        details = entry.details or {}
        if entry.action == ADOPTED_ACTION and details.get("order") == order:
            how = str(details.get("method", ""))
            if details.get("style"):
                how += f" ({details['style']})"
            lines.append(
                f"{how}, {entry.created_at:%Y-%m-%d %H:%M:%S} UTC; signature image SHA-256 "
                f"{details.get('signature_sha256', '')}, initials "
                f"“{details.get('initials', '')}” image SHA-256 "
                f"{details.get('initials_sha256', '')}"
            )
    return tuple(lines)


async def gather_evidence(
    session: AsyncSession, package: Package, blobs: BlobStore
) -> EvidenceData:
    owner = await session.get_one(User, package.owner_id)
    documents = await list_documents(session, package.id)
    recipients = list(
        await session.scalars(
            select(Recipient).where(Recipient.package_id == package.id).order_by(Recipient.position)
        )
    )
    history = list(
        await session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.package_id == package.id)
            .order_by(HistoryEntry.sequence)
        )
    )
    signatures = await _recipient_signatures(session, blobs, list(documents))
    last_by_email: dict[str, HistoryEntry] = {}
    for entry in history:
        if entry.user_email:
            last_by_email[entry.user_email] = entry
    return EvidenceData(
        package=PackageInfo(
            id=str(package.id),
            name=package.name,
            owner=f"{owner.name} <{owner.email}>",
            status=package.status,
            created_at=package.created_at,
            completed_at=package.completed_at,
        ),
        documents=[
            DocumentEvidence(d.name, sha256_before=d.original_sha256, sha256_after=d.current_sha256)
            for d in documents
        ],
        recipients=[
            RecipientEvidence(
                order=r.position,
                name=r.name,
                email=r.email,
                role=r.role,
                authentication=authentication_method(r),
                action=r.process_status,
                acted_at=r.processed_on,
                ip_address=last_by_email[r.email].ip_address if r.email in last_by_email else None,
                user_agent=last_by_email[r.email].user_agent if r.email in last_by_email else None,
                sent_at=r.turn_started_at,
                viewed_at=r.read_at or _first_view(history, r.email),
                consent_text=_consent(history, r.position),
                signatures=signatures.get(r.id, ()),
                adoptions=_adoptions(history, r.position),
            )
            for r in recipients
        ],
        history=[
            HistoryEvidence(
                id=entry.id,
                at=entry.created_at,
                action=entry.action,
                user=entry.user_email or entry.user_name or "Signflow",
                ip_address=entry.ip_address,
                details=json.dumps(entry.details, sort_keys=True, default=str),
                entry_hash=entry.entry_hash,
            )
            for entry in history
        ],
        chain_head=package.history_head or "",
        generated_at=utcnow(),
        values=[
            ValueEvidence(v.document, v.field, v.value, v.by, v.at, v.revision or "-")
            for v in entered_values(history, {d.id: d.name for d in documents})
        ],
    )


async def evidence_report(session: AsyncSession, context: AppContext, package: Package) -> bytes:
    """The stored report, or a new one made, sealed and stored now (first caller wins)."""
    if package.status != WorkflowStatus.COMPLETED.value:
        raise BadRequest(NOT_COMPLETED)
    stored = await session.get(EvidenceReport, package.id)
    if stored is not None:
        return await context.blobs.get(stored.sha256)
    data, seal = await _report_inputs(session, context, package)
    sealed = await _sealed_report(data, seal)
    return await _store(session, context, package.id, package.history_head, sealed)


@dataclass(frozen=True)
class _SealInputs:
    signer: FastSigner
    level: LevelInputs


async def _report_inputs(
    session: AsyncSession, context: AppContext, package: Package
) -> tuple[EvidenceData, _SealInputs]:
    settings = context.settings
    data = await gather_evidence(session, package, context.blobs)
    ca = await ensure_enterprise_ca(session, settings, package.enterprise_id)
    seal = await credential_for(session, settings, package.enterprise_id, CredentialKind.SEAL)
    long_term = settings.signature_level in LONG_TERM_LEVELS
    # The same level, TSA and validation data as the documents' signatures (sign_field).
    level = LevelInputs(
        level=settings.signature_level,
        timestamp_url=settings.tsa_url,
        validation_certs=(ca.authority.cert,) if long_term else (),
        crls=(await current_crl(session, settings, package.enterprise_id, fresh=True),)
        if long_term
        else (),
        trust_roots=settings.extra_trust_roots,
    )
    signer = signer_from(settings, signer_cache(context), seal, ca.record.cert_der)
    return data, _SealInputs(signer, level)


def render_evidence_report(data: EvidenceData) -> bytes:
    """The report drawn; reportlab loads on the first one, not with every API process."""
    from signflow.pdf import evidence_report

    return evidence_report.render_evidence_report(data)


async def _sealed_report(data: EvidenceData, seal: _SealInputs) -> bytes:
    pdf = await asyncio.to_thread(render_evidence_report, data)
    return await asyncio.to_thread(sign_evidence_report, pdf, seal.signer, seal.level)


async def _store(
    session: AsyncSession,
    context: AppContext,
    package_id: int,
    history_head: str | None,
    sealed: bytes,
) -> bytes:
    sha256 = await context.blobs.put(sealed)
    insert = dialect_insert(session)
    await session.execute(
        insert(EvidenceReport)
        .values(
            package_id=package_id,
            sha256=sha256,
            history_head=history_head,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["package_id"])
    )
    stored = await session.get_one(EvidenceReport, package_id, populate_existing=True)
    await _checkpoint_report_head(session, package_id, stored.history_head)
    return await context.blobs.get(stored.sha256)


async def _checkpoint_report_head(
    session: AsyncSession, package_id: int, history_head: str | None
) -> None:
    """Keep the head the sealed report prints as a keyed checkpoint `audit verify` checks."""
    if history_head is None:
        return
    sequence = await session.scalar(
        select(HistoryEntry.sequence).where(
            HistoryEntry.package_id == package_id, HistoryEntry.entry_hash == history_head
        )
    )
    package = await session.get_one(Package, package_id)
    if sequence is not None:
        await take_checkpoint(
            session,
            package.enterprise_id,
            EVIDENCE,
            [Head(package_id, sequence, history_head)],
        )


@job_handler(EVIDENCE_JOB)
async def generate_evidence_report(context: AppContext, job: Job) -> Outcome:
    """Made right after completion, so the report exists before anyone asks for it. It is
    rendered and sealed between two short transactions, not inside one: on SQLite a
    write transaction holds the database's one write lock, and every other writer
    would wait for the rendering."""
    async with transaction(context.sessions) as session:
        package = await session.get(Package, int(str(job.payload["package_id"])))
        if package is None:
            return Failed("the package no longer exists")
        if (
            package.status != WorkflowStatus.COMPLETED.value
            or await session.get(EvidenceReport, package.id) is not None
        ):
            return Done()
        data, seal = await _report_inputs(session, context, package)
        package_id, history_head = package.id, package.history_head
    sealed = await _sealed_report(data, seal)
    async with transaction(context.sessions) as session:
        await _store(session, context, package_id, history_head, sealed)
    return Done()
