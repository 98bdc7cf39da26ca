"""Request and answer bodies of the SigningHub face, field names exactly as the vendor's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from signflow.models import EnterpriseRole


class VendorModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TokenBody(VendorModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth token type, not a secret)
    expires_in: int
    refresh_token: str


class AboutBody(VendorModel):
    installation_name: str
    version: str
    build: str


class DeviceBody(VendorModel):
    device_id: str
    device_name: str
    secure_element: bool
    touch_id: bool


class ProfileGeneral(VendorModel):
    user_email: str
    user_name: str
    job_title: str | None = None
    company_name: str | None = None
    mobile_number: str | None
    enterprise_id: int
    enterprise_role: str
    application_integration: bool
    acting_as_scope: bool
    # Not kept here (no registration authority, no national id check): always null.
    ra_userid: str | None = None
    user_national_id: str | None = None


class ProfileSecurity(VendorModel):
    # Signflow has no security questions; named for clients that read the key.
    question: str | None = None


class ProfileLocale(VendorModel):
    country: str | None = None
    timezone: str | None = None
    language: str | None = None


class ProfileEnterprise(VendorModel):
    enterprise_name: str
    owner: str | None
    owner_email: str | None
    mobile_number: str | None


class ProfileBody(VendorModel):
    general: ProfileGeneral
    security: ProfileSecurity = ProfileSecurity()
    locale: ProfileLocale = ProfileLocale()
    enterprise: ProfileEnterprise | None = None


class ProfileUpdate(VendorModel):
    """`PUT settings/profile/general`: only what is sent changes."""

    user_name: str | None = Field(default=None, min_length=1, max_length=200)
    job_title: str | None = Field(default=None, max_length=200)
    company_name: str | None = Field(default=None, max_length=200)
    mobile_number: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=100)
    time_zone: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=20)


class LocaleUpdate(VendorModel):
    """`PUT settings/profile/locale`."""

    country: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=20)


class PasswordChange(VendorModel):
    """`PUT settings/profile/password`: the current password and the new one."""

    user_old_password: str = Field(min_length=1, max_length=200)
    user_new_password: str = Field(min_length=8, max_length=200)


class ScopeRequest(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)


class EnterpriseUserCreate(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)
    user_name: str = Field(min_length=1, max_length=200)
    user_password: str | None = Field(default=None, min_length=8, max_length=200)
    mobile_number: str | None = Field(default=None, max_length=40)
    enterprise_role: EnterpriseRole = EnterpriseRole.USER
    application_integration: bool = False


class EnterpriseUserUpdate(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)
    user_name: str | None = Field(default=None, min_length=1, max_length=200)
    enterprise_role: EnterpriseRole | None = None
    enabled: bool | None = None
    mobile_number: str | None = Field(default=None, max_length=40)
    application_integration: bool | None = None
    user_password: str | None = Field(default=None, min_length=8, max_length=200)


class EnterpriseUserDelete(VendorModel):
    user_email: str = Field(min_length=3, max_length=320)


class EnterpriseUserBody(VendorModel):
    user_email: str
    user_name: str
    mobile_number: str | None
    enterprise_role: str
    application_integration: bool
    enabled: bool
    # False until the person has proven the address through the activation link.
    activated: bool
    created_on: str


class ErrorBody(VendorModel):
    Message: str
    Error: str | None = None


class OAuthErrorBody(VendorModel):
    error: str
    error_description: str
