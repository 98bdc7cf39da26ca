"""Bodies of the workflow, fields and processing endpoints, with the vendor's field names."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from signflow.faces.signinghub.package_schemas import SignerRef
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import RecipientRole, WorkflowMode, WorkflowType
from signflow.workflow.fields import Placement

# Workflow details


class WorkflowUpdate(VendorModel):
    workflow_type: WorkflowType | None = None
    workflow_mode: WorkflowMode | None = None
    continue_on_decline: bool | None = None
    message: str | None = Field(default=None, max_length=5000)
    # Ours: the package expires (EXPIRED) at this moment unless completed before.
    expires_on: dt.datetime | None = None


class PostProcessRecipient(VendorModel):
    name: str = Field(default="", max_length=200)
    email: str = Field(min_length=3, max_length=320)


class PostProcess(VendorModel):
    """Copies sent when the workflow completes (SigningHub's post-processing)."""

    enabled: bool = False
    contacts: list[str] = []
    recipients: list[PostProcessRecipient] = []
    workflow_recipients: bool = False
    message: str = Field(default="", max_length=5000)
    google_drive: bool = False
    dropbox: bool = False


class WorkflowSettings(VendorModel):
    workflow_type: str
    workflow_mode: str
    continue_on_decline: bool
    workflow_status: str
    read_only: bool
    message: str | None
    expires_on: str | None
    post_process: PostProcess = PostProcess()


class DocumentCertify(VendorModel):
    enabled: bool
    allowed_permissions: list[str]
    default_permission: str


class WorkflowDocument(VendorModel):
    document_id: int
    document_name: str
    document_order: int
    page_count: int
    document_type: str = "PDF"
    document_source: str | None = None
    document_width: float = 0
    document_height: float = 0
    document_pages: int = 0
    created_on: str | None = None
    modified_on: str | None = None
    form_fields: bool = False
    template: str | None = None
    certify: DocumentCertify | None = None
    lock_form_fields: bool = False
    locked: bool = False


class WorkflowUser(VendorModel):
    order: int
    user_email: str
    user_name: str
    role: str
    email_notification: bool
    signing_order: int
    process_status: str
    processed_on: str | None
    reason: str | None
    mobile_number: str | None
    # A group recipient (docs/templates.md#groups): its name and its members' addresses.
    group_name: str | None = None
    group_members: list[str] | None = None
    # A placeholder's title (docs/templates.md); `user_email` is empty until it is filled.
    placeholder: str | None = None
    # Ours (docs/web.md, "Languages"): their mails' and first page's language; null: the
    # enterprise's default.
    language: str | None = None


class WorkflowDetails(VendorModel):
    package_id: int
    package_name: str
    package_owner: str
    owner_name: str
    package_status: str
    folder: str = "INBOX"
    unread: bool = False
    next_signer: str | None = None
    next_signer_email: list[SignerRef] = []
    uploaded_on: str
    modified_on: str
    workflow: WorkflowSettings
    documents: list[WorkflowDocument]
    users: list[WorkflowUser]


class PackageDetails(WorkflowDetails):
    """`packages/{pid}/details`: a package list item and the workflow details in one."""

    tags: list[str] = []


class SharedPackageBody(VendorModel):
    package_id: int
    documents: list[int]


# Recipients


class UserAdd(VendorModel):
    # Either an address or (ours) one of the caller's contacts: docs/templates.md, "Contacts".
    user_email: str | None = Field(default=None, min_length=3, max_length=320)
    contact_id: int | None = None
    user_name: str | None = Field(default=None, max_length=200)
    role: RecipientRole = RecipientRole.SIGNER
    email_notification: bool = True
    signing_order: int | None = Field(default=None, ge=1)
    mobile_number: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=20)


class UserUpdate(VendorModel):
    user_email: str | None = Field(default=None, min_length=3, max_length=320)
    user_name: str | None = Field(default=None, max_length=200)
    role: RecipientRole | None = None
    email_notification: bool | None = None
    signing_order: int | None = Field(default=None, ge=1)
    mobile_number: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=20)


class UserReorder(VendorModel):
    order: int = Field(ge=1)


class Permissions(VendorModel):
    print: bool = True
    download: bool = True
    add_text: bool = True
    add_attachment: bool = True
    change_recipients: bool = False


class PermissionsBody(VendorModel):
    apply_to_all: bool = False
    permissions: Permissions = Permissions()


class PasswordSetting(VendorModel):
    enabled: bool = False
    user_password: str | None = Field(default=None, max_length=200)


class SmsOtpSetting(VendorModel):
    enabled: bool = False
    mobile_number: str | None = Field(default=None, max_length=40)


class EmailOtpSetting(VendorModel):
    enabled: bool = False


class AuthenticationSetting(VendorModel):
    enabled: bool = False
    password: PasswordSetting = PasswordSetting()
    sms_otp: SmsOtpSetting = SmsOtpSetting()
    # Ours: the opening code by email rather than SMS.
    email_otp: EmailOtpSetting = EmailOtpSetting()


class DateRange(VendorModel):
    start_date_time: dt.datetime | None = None
    end_date_time: dt.datetime | None = None


class ByDate(VendorModel):
    enabled: bool = False
    duration: DateRange = DateRange()


class TotalDays(VendorModel):
    total_days: int | None = Field(default=None, ge=1)


class ByDays(VendorModel):
    enabled: bool = False
    duration: TotalDays = TotalDays()


class AccessDuration(VendorModel):
    enabled: bool = False
    duration_by_date: ByDate = ByDate()
    duration_by_days: ByDays = ByDays()


class AuthenticationBody(VendorModel):
    apply_to_all: bool = False
    authentication: AuthenticationSetting = AuthenticationSetting()
    access_duration: AccessDuration = AccessDuration()


class RepeatSetting(VendorModel):
    enabled: bool = False
    keep_reminding_after: int | None = Field(default=None, ge=1)
    total_reminders: int | None = Field(default=None, ge=1, le=100)


class RemindersBody(VendorModel):
    apply_to_all: bool = False
    enabled: bool = False
    remind_after: int | None = Field(default=None, ge=1)
    repeat: RepeatSetting = RepeatSetting()


# History


class LogAction(VendorModel):
    log_id: int
    date_time: str
    action_type: str
    user_email: str | None
    user_name: str | None
    ip_address: str | None


class LogBody(VendorModel):
    package_id: int
    package_name: str
    actions: list[LogAction]


class LogDetail(VendorModel):
    key: str
    value: str | None


class LogDetailsBody(VendorModel):
    log_id: int
    action_type: str
    date_time: str
    user_email: str | None
    user_name: str | None
    ip_address: str | None
    user_agent: str | None
    details: list[LogDetail]


# Fields


class FieldDimensions(VendorModel):
    x: float
    y: float
    width: float = Field(gt=0)
    height: float = Field(gt=0)


class FieldPlacement(VendorModel):
    """Where a new field goes; a checkbox or radio button may leave its size out."""

    x: float
    y: float
    width: float | None = Field(default=None, gt=0)
    height: float | None = Field(default=None, gt=0)


class FieldSize(VendorModel):
    width: float | None = Field(default=None, gt=0)
    height: float | None = Field(default=None, gt=0)


class FieldSmsOtp(VendorModel):
    enabled: bool = False
    mobile_number: str | None = Field(default=None, max_length=40)


class FieldAuthentication(VendorModel):
    """The guide's `{enabled, sms_otp: {enabled, mobile_number}}`, or our shorter
    `{enabled, sms}`; either way the code goes by SMS when asked, else by email."""

    enabled: bool = False
    sms: bool | None = None
    sms_otp: FieldSmsOtp | bool | None = None

    def as_option(self) -> dict[str, object]:
        sms_otp = self.sms_otp
        by_sms = self.sms
        if by_sms is None:
            by_sms = sms_otp.enabled if isinstance(sms_otp, FieldSmsOtp) else bool(sms_otp)
        option: dict[str, object] = {"enabled": self.enabled, "sms": by_sms}
        if isinstance(sms_otp, FieldSmsOtp) and sms_otp.mobile_number:
            option["mobile_number"] = sms_otp.mobile_number
        return option


ValidationRule = Literal["MANDATORY", "OPTIONAL"]
FieldValueIn = Annotated[str, Field(max_length=10000)] | bool


class FieldOptions(VendorModel):
    """What a field may carry besides its place, whatever its kind."""

    display: str | None = Field(default=None, max_length=40)
    level_of_assurance: list[str] | str | None = None
    value: FieldValueIn | None = None
    validation_rule: ValidationRule | None = None
    placeholder: str | None = Field(default=None, max_length=255)
    max_length: int | None = Field(default=None, ge=1)
    multiline: bool | None = None
    # Text fields: TEXT, NAME, EMAIL, COMPANY, JOBTITLE or DATE; a date's format.
    type: str | None = Field(default=None, max_length=20)
    format: str | None = Field(default=None, max_length=40)
    # Ours: a date field left empty shows the signing date (default true).
    default_to_signing_date: bool | None = None
    radio_group_name: str | None = Field(default=None, max_length=255)
    # Dropdown and list box fields: the options to choose from.
    choices: list[str] | None = Field(default=None, max_length=200)
    # Electronic signature fields: a signing code (documents/{did}/otp) before signing.
    authentication: FieldAuthentication | None = None


class FieldAdd(FieldOptions):
    order: int | None = Field(default=None, ge=1)
    page_no: int = Field(ge=1)
    field_name: str | None = Field(default=None, max_length=255)
    dimensions: FieldPlacement
    required: bool = True


class FieldResize(VendorModel):
    """An update's dimensions: only those that change need be sent."""

    x: float | None = None
    y: float | None = None
    width: float | None = Field(default=None, gt=0)
    height: float | None = Field(default=None, gt=0)


class FieldUpdate(FieldOptions):
    field_name: str = Field(min_length=1, max_length=255)
    renamed_as: str | None = Field(default=None, max_length=255)
    order: int | None = Field(default=None, ge=1)
    page_no: int | None = Field(default=None, ge=1)
    dimensions: FieldResize | None = None
    required: bool | None = None


class FieldNameBody(VendorModel):
    field_name: str


class AutoplaceBody(FieldOptions):
    search_text: str = Field(min_length=1, max_length=200)
    order: int | None = Field(default=None, ge=1)
    field_type: str = "digital_signature"
    placement: Placement = Placement.RIGHT
    dimensions: FieldSize = FieldSize()


class AutoplacedField(VendorModel):
    field_name: str
    page_no: int
    dimensions: FieldDimensions


class FieldAssignment(VendorModel):
    field_name: str = Field(min_length=1, max_length=255)
    order: int = Field(ge=1)
    radio_group_name: str | None = Field(default=None, max_length=255)


class FieldDelete(VendorModel):
    field_name: str = Field(min_length=1, max_length=255)


class FieldValue(VendorModel):
    field_name: str = Field(min_length=1, max_length=255)
    # Checkboxes and radio buttons take true or false (JSON or text).
    value: FieldValueIn
    radio_group_name: str | None = Field(default=None, max_length=255)


class FillBody(VendorModel):
    auto_save: bool = False
    text: list[FieldValue] = []
    radio: list[FieldValue] = []
    checkbox: list[FieldValue] = []
    dropdown: list[FieldValue] = []
    listbox: list[FieldValue] = []


class FieldBody(VendorModel):
    order: int | None
    field_name: str
    page_no: int
    display: str | None
    dimensions: FieldDimensions
    value: str | None
    required: bool
    signed: bool


class SignatureFieldBody(FieldBody):
    # The levels of assurance asked for (and accepted) when the field was placed.
    level_of_assurance: list[str] | None = None


class TextFieldBody(FieldBody):
    type: str
    format: str | None = None
    placeholder: str | None = None
    max_length: int | None = None
    multiline: bool = False


class RadioFieldBody(FieldBody):
    radio_group_name: str
    checked: bool


class ChoiceFieldBody(FieldBody):
    choices: list[str]


class DocumentFields(VendorModel):
    signature: list[SignatureFieldBody] = []
    digital_signature: list[SignatureFieldBody] = []
    electronic_signature: list[SignatureFieldBody] = []
    in_person_signature: list[SignatureFieldBody] = []
    initials: list[FieldBody] = []
    text: list[TextFieldBody] = []
    checkbox: list[FieldBody] = []
    radio: list[RadioFieldBody] = []
    dropdown: list[ChoiceFieldBody] = []
    listbox: list[ChoiceFieldBody] = []


# Processing


class PasswordBody(VendorModel):
    password: str = Field(min_length=1, max_length=200)


class UnblockBody(VendorModel):
    action: Literal["reset", "approve", "reject"]
    message: str | None = Field(default=None, max_length=500)


class OtpFieldBody(VendorModel):
    field_name: str = Field(min_length=1, max_length=255)


class InitialsBody(VendorModel):
    field_name: str = Field(min_length=1, max_length=255)
    image: str | None = None
    """The initials as a base64 image (drawn in the stamp as a hand signature is)."""
    apply_to_all: bool = False


class FieldStatusReply(VendorModel):
    status: str


class SignBody(VendorModel):
    field_name: str = Field(min_length=1, max_length=255)
    hand_signature_image: str | None = None
    signing_reason: str | None = Field(default=None, max_length=500)
    signing_location: str | None = Field(default=None, max_length=500)
    contact_information: str | None = Field(default=None, max_length=500)
    user_name: str | None = Field(default=None, max_length=200)
    signing_capacity: str | None = Field(default=None, max_length=200)


class DeclineBody(VendorModel):
    reason: str = Field(default="", max_length=500)
    # Ours: the documents declined (default: all of them).
    documents: list[int] | None = None


class ApproveBody(VendorModel):
    reason: str | None = Field(default=None, max_length=500)
