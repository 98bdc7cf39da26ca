"""Bodies of the template and placeholder endpoints, with the vendor's field names."""

from __future__ import annotations

from pydantic import Field

from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import RecipientRole


class PlaceholderFillBody(VendorModel):
    """Who takes a placeholder's slot when a template is applied."""

    placeholder: str = Field(min_length=1, max_length=200)
    user_email: str = Field(min_length=3, max_length=320)
    user_name: str | None = Field(default=None, max_length=200)
    mobile_number: str | None = Field(default=None, max_length=40)


class ApplyTemplateBody(VendorModel):
    template_name: str | None = Field(default=None, max_length=255)
    # v4 clients may name the template by id and fill its placeholders in the same call.
    template_id: int | None = None
    apply_to_all: bool = False
    placeholders: list[PlaceholderFillBody] = Field(default_factory=list, max_length=200)


class AppliedTemplateRef(VendorModel):
    template_id: int
    template_name: str
    template_version: int


class AppliedCertify(VendorModel):
    enabled: bool
    permission: str


class AppliedTemplate(VendorModel):
    """The guide's answer: the document the template was applied to."""

    document_id: int
    document_name: str
    document_order: int
    document_type: str = "PDF"
    document_source: str | None = None
    document_width: float
    document_height: float
    document_pages: int
    uploaded_on: str
    modified_on: str
    form_fields: bool
    lock_form_fields: bool
    certify: AppliedCertify
    template: AppliedTemplateRef


class TemplateListItem(VendorModel):
    template_id: int
    template_name: str
    # Shared with the enterprise (the connector's `template_public`).
    template_public: bool
    # True when the caller may apply but not change it.
    read_only: bool
    template_version: int
    owner: str
    created_on: str
    modified_on: str


class LibraryDocument(VendorModel):
    library_id: int
    document_name: str
    page_count: int
    file_size: int
    template_id: int
    template_name: str
    uploaded_on: str


class PlaceholderOrder(VendorModel):
    order: int = Field(ge=1)
    placeholder: str = Field(min_length=1, max_length=200)


class TemplateSave(VendorModel):
    package_id: int
    template_name: str = Field(min_length=1, max_length=255)
    # Shared with the enterprise (an enterprise admin's call).
    enterprise: bool = False
    placeholders: list[PlaceholderOrder] = Field(default_factory=list, max_length=200)


class TemplateVersionSave(VendorModel):
    package_id: int
    placeholders: list[PlaceholderOrder] = Field(default_factory=list, max_length=200)


class TemplateUpdate(VendorModel):
    template_name: str | None = Field(default=None, min_length=1, max_length=255)
    enterprise: bool | None = None


class TemplateDocumentItem(VendorModel):
    document_order: int
    document_name: str
    page_count: int
    file_size: int


class TemplateUser(VendorModel):
    order: int
    placeholder: str | None
    user_email: str | None
    user_name: str
    role: str
    signing_order: int


class TemplateDetails(VendorModel):
    template_id: int
    template_name: str
    template_public: bool
    template_version: int
    owner: str
    workflow_type: str
    workflow_mode: str
    message: str | None
    documents: list[TemplateDocumentItem]
    users: list[TemplateUser]
    field_count: int
    created_on: str
    modified_on: str


class PackageFromTemplate(VendorModel):
    package_name: str | None = Field(default=None, max_length=255)
    placeholders: list[PlaceholderFillBody] = Field(default_factory=list, max_length=200)


class PackageFromTemplateCreated(VendorModel):
    package_id: int
    package_name: str
    template_id: int
    template_version: int
    documents: list[int]


class PlaceholderAdd(VendorModel):
    placeholder: str = Field(min_length=1, max_length=200)
    role: RecipientRole = RecipientRole.SIGNER
    email_notification: bool = True
    signing_order: int | None = Field(default=None, ge=1)


class PlaceholderUpdate(VendorModel):
    placeholder: str | None = Field(default=None, min_length=1, max_length=200)
    role: RecipientRole | None = None
    email_notification: bool | None = None
    signing_order: int | None = Field(default=None, ge=1)
    # Filling the slot with a person (the owner, or the recipient just before it).
    user_email: str | None = Field(default=None, min_length=3, max_length=320)
    user_name: str | None = Field(default=None, max_length=200)
    mobile_number: str | None = Field(default=None, max_length=40)


class BulkRowResult(VendorModel):
    row: int
    status: str
    package_id: int | None
    error: str | None


class BulkRunStatusBody(VendorModel):
    """A bulk run: its counts, and every row's result (`errors`: the rows that failed)."""

    bulk_id: int
    template_id: int
    template_version: int
    status: str
    total_rows: int
    pending: int
    sent: int
    failed: int
    created_on: str
    finished_on: str | None
    rows: list[BulkRowResult]
    errors: list[BulkRowResult]


class BulkActionBody(VendorModel):
    """The guide's bulk sign / share body: the packages, and (for SIGN) how to sign."""

    ids: list[int] = Field(default_factory=list, max_length=5_000)
    transaction_id: str | None = Field(default=None, max_length=100)


class BulkActionStarted(VendorModel):
    status: str
    transaction_id: str


class BulkStatusBody(VendorModel):
    transaction_id: str = Field(min_length=1, max_length=100)


class BulkPackageStatus(VendorModel):
    id: int | None
    name: str | None
    status: str
    percentage: int
    error: str | None
    action: str | None = None


class BulkActionStatus(VendorModel):
    status: str
    packages: list[BulkPackageStatus]
