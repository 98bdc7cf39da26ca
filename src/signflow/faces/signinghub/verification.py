"""Signature verification of a package's documents, and the Process Evidence Report."""

from __future__ import annotations

from fastapi import APIRouter, Response

from signflow.audit.evidence import evidence_report
from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.packages import OCTET_STREAM, attachment_headers
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import Document
from signflow.observability.metrics import VERIFICATION_DURATION, VERIFICATIONS, timed
from signflow.packages.access import Need, get_package
from signflow.packages.documents import get_document, list_documents
from signflow.retention.policy import require_content, require_document_content
from signflow.signing.service import verify_document

router = APIRouter(route_class=TransactionalRoute, tags=["verification"])


class SignatureField(VendorModel):
    field_name: str
    signer_name: str | None
    signature_status: str
    signing_reason: str | None
    signing_location: str | None
    signing_time: str | None
    ltv: bool
    certified: bool
    timestamp_at: str | None
    timestamp_authority: str | None
    subject_dn: str | None
    issuer_dn: str | None
    cert_valid_from: str | None
    cert_valid_to: str | None
    signature_type: str
    modified_after_signing: bool
    covers_whole_file: bool


class DocumentVerification(VendorModel):
    document_id: int
    fields: list[SignatureField]


async def _verification(
    session: SessionDep, context: ContextDep, enterprise_id: int, documents: list[Document]
) -> list[DocumentVerification]:
    answer = []
    for document in documents:
        require_document_content(document)
        with timed(VERIFICATIONS, VERIFICATION_DURATION):
            reports = await verify_document(session, context, enterprise_id, document)
        answer.append(
            DocumentVerification(
                document_id=document.id,
                fields=[SignatureField(**report.as_dict()) for report in reports],
            )
        )
    return answer


# Read-only: on SQLite a verification must not hold the write lock while it runs.
@router.get(
    "/packages/{package_id}/verification",
    dependencies=[ReadOnly],
    response_model=list[DocumentVerification],
)
async def package_verification(
    package_id: int, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> list[DocumentVerification]:
    access = await get_package(session, principal, package_id, Need.READ)
    documents = await list_documents(session, access.package.id)
    return await _verification(session, context, access.package.enterprise_id, documents)


@router.get(
    "/packages/{package_id}/documents/{document_id}/verification",
    dependencies=[ReadOnly],
    response_model=list[DocumentVerification],
)
async def document_verification(
    package_id: int,
    document_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> list[DocumentVerification]:
    access = await get_package(session, principal, package_id, Need.READ)
    document = await get_document(session, access, document_id)
    return await _verification(session, context, access.package.enterprise_id, [document])


@router.get(
    "/packages/{package_id}/report",
    response_class=Response,
    responses={200: {"content": {OCTET_STREAM: {}}}},
)
async def process_evidence_report(
    package_id: int, principal: PrincipalDep, session: SessionDep, context: ContextDep
) -> Response:
    access = await get_package(session, principal, package_id, Need.READ)
    require_content(access.package)
    pdf = await evidence_report(session, context, access.package)
    name = f"{access.package.name} - evidence report.pdf"
    return Response(pdf, media_type=OCTET_STREAM, headers=attachment_headers(name))
