"""Bodies of the package and document endpoints, with the vendor's field names."""

from __future__ import annotations

from pydantic import Field

from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import WorkflowMode
from signflow.packages.documents import CertifyPermission


class PackageCreate(VendorModel):
    package_name: str | None = Field(default=None, max_length=255)
    workflow_mode: WorkflowMode = WorkflowMode.ME_AND_OTHERS
    tags: list[str] | None = Field(default=None, max_length=50)


class PackageCreated(VendorModel):
    package_id: int
    workflow_mode: str
    workflow_type: str


class PackageRename(VendorModel):
    package_name: str = Field(max_length=255)
    tags: list[str] | None = Field(default=None, max_length=50)


class OwnerChange(VendorModel):
    owner: str = Field(min_length=3, max_length=320)


class SignerRef(VendorModel):
    user_email: str
    user_name: str


class PackageListItem(VendorModel):
    package_id: int
    package_name: str
    package_owner: str
    owner_name: str
    package_status: str
    folder: str
    unread: bool
    next_signer: str | None
    next_signer_email: list[SignerRef]
    uploaded_on: str
    modified_on: str
    tags: list[str]


class DocumentCreated(VendorModel):
    documentid: int


class DocumentRename(VendorModel):
    document_name: str = Field(min_length=1, max_length=255)


class DocumentReorder(VendorModel):
    order: int


class CertifySettings(VendorModel):
    enabled: bool = False
    permission: CertifyPermission = CertifyPermission.NO_CHANGES_ALLOWED


class CertifyPolicy(VendorModel):
    certify: CertifySettings = CertifySettings()
    lock_form_fields: bool = False


class PageSize(VendorModel):
    page_no: int
    width: float
    height: float


class Dimensions(VendorModel):
    x: float
    y: float
    width: float
    height: float


class DocumentFieldSummary(VendorModel):
    field_name: str
    type: str
    page_no: int
    order: int | None
    dimensions: Dimensions
    value: str | None
    signed: bool


class AttachmentSummary(VendorModel):
    attachment_id: int
    file_name: str
    size: int


class AttachmentItem(AttachmentSummary):
    content_type: str
    created_on: str


class DocumentDetails(VendorModel):
    document_id: int
    document_name: str
    document_order: int
    file_size: int
    page_count: int
    pages: list[PageSize]
    certify: CertifySettings
    lock_form_fields: bool
    fields: list[DocumentFieldSummary]
    attachments: list[AttachmentSummary]
    uploaded_on: str
    modified_on: str


class ImageBase64(VendorModel):
    image_base64: str
