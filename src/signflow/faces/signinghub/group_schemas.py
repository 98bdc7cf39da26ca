"""Bodies of the group endpoints.

The clients send a group as `{"Name", "Description", "Members"}` (the erwinmintiens
client's add calls) or in lower case (its update-personal-group call): both are read.
A member is an address, or an object naming one (`UserEmail`/`user_email`/`Email`) with
an optional name (`UserName`/`user_name`/`Name`). Answers use the add call's spelling.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import RecipientRole

_EMAIL_KEYS = ("useremail", "user_email", "email", "emailaddress", "email_address")
_NAME_KEYS = ("username", "user_name", "name")


class MemberBody(VendorModel):
    email: str = Field(min_length=1, max_length=320)
    name: str | None = Field(default=None, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _read(cls, value: Any) -> Any:
        if isinstance(value, dict):
            lowered = {str(k).lower(): v for k, v in value.items()}
            email = next((lowered[k] for k in _EMAIL_KEYS if lowered.get(k)), None)
            name = next((lowered[k] for k in _NAME_KEYS if lowered.get(k)), None)
            return {"email": email, "name": name}
        return value


class GroupIn(VendorModel):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    # An address, or an object naming one.
    members: list[str | MemberBody] | None = Field(default=None, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k).lower(): v for k, v in value.items()}
        return value


class MemberOut(VendorModel):
    UserEmail: str
    UserName: str


class GroupOut(VendorModel):
    Id: int
    Name: str
    Description: str | None
    # PERSONAL (the caller's) or ENTERPRISE (the enterprise's, read only outside admin calls).
    Type: str
    Members: list[MemberOut]
    CreatedOn: str
    ModifiedOn: str


class WorkflowGroupAdd(VendorModel):
    group_name: str = Field(min_length=1, max_length=200)
    role: RecipientRole = RecipientRole.SIGNER
    email_notification: bool = True
    signing_order: int | None = Field(default=None, ge=1)


class WorkflowGroupUpdate(VendorModel):
    group_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: RecipientRole | None = None
    email_notification: bool | None = None
    signing_order: int | None = Field(default=None, ge=1)
