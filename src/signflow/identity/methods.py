"""What a recipient must present to open a package, read from their stored settings.

The stored shape is the SigningHub `authentication` object (plus our `email_otp`):
`{enabled, password{enabled, password_hash}, sms_otp{enabled, mobile_number},
email_otp{enabled}}`. The password given by the owner is replaced by its argon2id
hash before it is stored (`protect_authentication`); it is never kept in clear.
Authentication enabled with no method chosen means a code by email.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from signflow.accounts.credentials import hash_password
from signflow.models import Field, FieldKind, Recipient

PASSWORD_HASH_KEY = "password_hash"  # noqa: S105  (a dictionary key, not a secret)


def _mapping(value: object) -> dict[str, object]:
    return cast(dict[str, object], value) if isinstance(value, dict) else {}


@dataclass(frozen=True)
class OpeningMethods:
    password: bool
    # "sms", "email" or None when no code is needed.
    otp_channel: str | None
    mobile_number: str | None

    @property
    def required(self) -> bool:
        return self.password or self.otp_channel is not None


def authentication_settings(recipient: Recipient) -> dict[str, object]:
    stored = _mapping(recipient.authentication)
    return _mapping(stored["authentication"]) if "authentication" in stored else stored


def opening_methods(recipient: Recipient) -> OpeningMethods:
    settings = authentication_settings(recipient)
    if not settings.get("enabled"):
        return OpeningMethods(False, None, None)
    password = bool(_mapping(settings.get("password")).get("enabled"))
    sms = _mapping(settings.get("sms_otp"))
    email = _mapping(settings.get("email_otp"))
    channel = None
    if sms.get("enabled"):
        channel = "sms"
    elif email.get("enabled") or not password:
        channel = "email"
    number = sms.get("mobile_number") or recipient.mobile_number
    return OpeningMethods(password, channel, str(number) if number else None)


def stored_password_hash(recipient: Recipient) -> tuple[str | None, str | None]:
    """(argon2id hash, legacy clear text) of the recipient's opening password."""
    password = _mapping(authentication_settings(recipient).get("password"))
    hashed = password.get(PASSWORD_HASH_KEY)
    clear = password.get("user_password")
    return (
        hashed if isinstance(hashed, str) else None,
        clear if isinstance(clear, str) and clear else None,
    )


def protect_authentication(
    authentication: dict[str, object], previous: dict[str, object] | None = None
) -> dict[str, object]:
    """The settings to store: the clear password replaced by its argon2id hash.

    A PUT that keeps the password enabled without giving it again keeps the
    previous hash.
    """
    result = dict(authentication)
    password = dict(_mapping(result.get("password")))
    clear = password.pop("user_password", None)
    if isinstance(clear, str) and clear:
        password[PASSWORD_HASH_KEY] = hash_password(clear)
    elif password.get("enabled") and previous is not None:
        old = _mapping(_mapping(previous).get("password")).get(PASSWORD_HASH_KEY)
        if isinstance(old, str):
            password[PASSWORD_HASH_KEY] = old
    result["password"] = password
    return result


def signing_code_channel(field: Field) -> str | None:
    """ "sms" or "email" for an electronic-signature field with authentication, else None.

    Set on the field as `authentication: {enabled, sms}` (SMS to the recipient's
    mobile number; otherwise by email).
    """
    if field.kind != FieldKind.ELECTRONIC_SIGNATURE.value:
        return None
    authentication = _mapping(_mapping(field.options).get("authentication"))
    if not authentication.get("enabled"):
        return None
    return "sms" if authentication.get("sms") else "email"


def signing_code_number(recipient: Recipient, field: Field) -> str | None:
    """Where a signing code sent by SMS goes: the number in the recipient's settings for
    this package (their `authentication.sms_otp`), else the one the field names, else
    the workflow user's own `mobile_number`. Never the number on the signer's account:
    the package's owner chose where the package's codes go."""
    sms = _mapping(authentication_settings(recipient).get("sms_otp"))
    field_number = _mapping(_mapping(field.options).get("authentication")).get("mobile_number")
    for number in (sms.get("mobile_number"), field_number, recipient.mobile_number):
        if isinstance(number, str) and number.strip():
            return number.strip()
    return None
