"""Bodies of the self-service account calls and of invitations, with the vendor's names."""

from __future__ import annotations

from pydantic import Field

from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import EnterpriseRole


class RegistrationInvitation(VendorModel):
    enterprise_name: str | None = Field(default=None, max_length=200)


class RegistrationBody(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)
    user_name: str = Field(min_length=1, max_length=200)
    job_title: str | None = Field(default=None, max_length=200)
    company_name: str | None = Field(default=None, max_length=200)
    mobile_number: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=100)
    time_zone: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=20)
    # Accepted and not kept: the terms are the installation's (GET terms).
    service_agreements: bool | None = None
    marketing_emails: bool | None = None
    invitation: RegistrationInvitation | None = None


class EmailBody(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)


class NewPasswordBody(VendorModel):
    password: str = Field(min_length=1, max_length=1000)
    # SigningHub asks its own security question; Signflow has none: accepted, not used.
    security_question: str | None = None
    security_answer: str | None = None


class PasswordPolicyBody(VendorModel):
    minimum_length: int
    maximum_length: int
    uppercase_required: bool = False
    lowercase_required: bool = False
    digit_required: bool = False
    special_character_required: bool = False


class RoleBody(VendorModel):
    role_name: str
    enterprise_role: EnterpriseRole
    application_integration: bool


class AccountBody(VendorModel):
    user_email: str
    user_name: str
    job_title: str | None
    company_name: str | None
    mobile_number: str | None
    country: str | None
    time_zone: str | None
    language: str | None
    enterprise_id: int
    enterprise_name: str
    enterprise_role: EnterpriseRole
    activated: bool
    enabled: bool
    created_on: str


class TermsBody(VendorModel):
    terms_of_service: str | None
    privacy_policy: str | None


class NotificationBody(VendorModel):
    notification_id: int
    package_id: int
    package_name: str
    package_status: str
    sender_name: str
    message: str
    process_status: str
    created_on: str | None


class LogItem(VendorModel):
    log_id: int
    action_type: str
    package_id: int
    package_name: str
    ip_address: str | None
    user_agent: str | None
    logged_on: str


class LogDetail(VendorModel):
    key: str
    value: str


class LogDetails(LogItem):
    details: list[LogDetail]


class InvitationCreate(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)
    user_name: str | None = Field(default=None, max_length=200)
    enterprise_role: EnterpriseRole = EnterpriseRole.USER


class InvitationBody(VendorModel):
    user_email: str
    user_name: str
    enterprise_role: EnterpriseRole
    status: str
    invited_on: str


class AccountInvitationBody(VendorModel):
    enterprise_name: str
    enterprise_role: EnterpriseRole
    invited_on: str


class AcceptInvitationBody(VendorModel):
    enterprise_name: str = Field(min_length=1, max_length=200)
