"""The emails Signflow sends, each with a plain-text and an HTML body.

Templates live in templates/en/<kind>.{subject.txt,txt,html}, written in English; the
sentences in their `{% trans %}` blocks are translated through the `mail` gettext
catalogs (`signflow.i18n`). A sentence no catalog has yet, or a template without
`{% trans %}` blocks, is sent in English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from signflow.branding import Branding
from signflow.i18n import MAIL_DOMAIN, PAGES_DOMAIN, gettext_for, supported

DEFAULT_LANGUAGE = "en"
DEFAULT_BRAND = "Signflow"
TEMPLATES = Path(__file__).parent / "templates"
LOGO_CID = "brand-logo"

Recipient: TypeAlias = str | Address


@cache
def _environment(language: str) -> Environment:
    """One environment per language, its gettext installed (rendering stays thread-safe)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        gettext_for(language, MAIL_DOMAIN), newstyle=True
    )
    pages = gettext_for(language, PAGES_DOMAIN)
    # Status words (SIGNED, DECLINED...) as the pages say them, never raw.
    environment.globals["status_word"] = lambda status: pages.gettext(f"status.{status}")
    environment.globals["workflow_word"] = lambda status: pages.gettext(f"workflow.{status}")
    return environment


@dataclass(frozen=True)
class Download:
    name: str
    url: str


def your_turn_to_sign(
    *,
    mail_from: str,
    to: Recipient,
    recipient_name: str,
    package_name: str,
    sender_name: str,
    signing_link: str,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "your_turn",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        recipient_name=recipient_name,
        package_name=package_name,
        sender_name=sender_name,
        signing_link=signing_link,
    )


def reminder(
    *,
    mail_from: str,
    to: Recipient,
    recipient_name: str,
    package_name: str,
    sender_name: str,
    signing_link: str,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "reminder",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        recipient_name=recipient_name,
        package_name=package_name,
        sender_name=sender_name,
        signing_link=signing_link,
    )


def package_completed(
    *,
    mail_from: str,
    to: Recipient,
    recipient_name: str,
    package_name: str,
    downloads: Sequence[Download],
    links_valid_days: int | None = None,
    message: str = "",
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    """`message`: the owner's post-processing message, when they set one."""
    return _build(
        "completed",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        recipient_name=recipient_name,
        package_name=package_name,
        downloads=list(downloads),
        links_valid_days=links_valid_days,
        message=message,
    )


def recipient_replaced(
    *,
    mail_from: str,
    to: Recipient,
    recipient_name: str,
    package_name: str,
    sender_name: str,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    """To a recipient the owner replaced by another person: the package left them."""
    return _build(
        "replaced",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        recipient_name=recipient_name,
        package_name=package_name,
        sender_name=sender_name,
    )


def package_declined(
    *,
    mail_from: str,
    to: Recipient,
    owner_name: str,
    package_name: str,
    decliner_name: str,
    decliner_email: str,
    reason: str,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "declined",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        owner_name=owner_name,
        package_name=package_name,
        decliner_name=decliner_name,
        decliner_email=decliner_email,
        reason=reason,
    )


def group_turn_taken(
    *,
    mail_from: str,
    to: Recipient,
    recipient_name: str,
    package_name: str,
    group_name: str,
    taker_name: str,
    taker_email: str,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    """A group member hears that another member acted for the group: their invitation
    is withdrawn."""
    return _build(
        "group_turn_taken",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        recipient_name=recipient_name,
        package_name=package_name,
        group_name=group_name,
        taker_name=taker_name,
        taker_email=taker_email,
    )


def recipient_blocked(
    *,
    mail_from: str,
    to: Recipient,
    owner_name: str,
    package_name: str,
    blocked_name: str,
    blocked_email: str,
    order: int,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "blocked",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        owner_name=owner_name,
        package_name=package_name,
        blocked_name=blocked_name,
        blocked_email=blocked_email,
        order=order,
    )


def one_time_code(
    *,
    mail_from: str,
    to: Recipient,
    recipient_name: str,
    code: str,
    valid_minutes: int,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    if not re.fullmatch(r"\d{6}", code):
        raise ValueError("a one-time code is six digits")
    return _build(
        "one_time_code",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        recipient_name=recipient_name,
        code=code,
        valid_minutes=valid_minutes,
    )


def one_time_code_sms(
    *,
    code: str,
    valid_minutes: int,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
) -> str:
    """The text of a code sent by SMS, in the recipient's language; the code comes first
    in every language, so a phone's preview shows it."""
    if not re.fullmatch(r"\d{6}", code):
        raise ValueError("a one-time code is six digits")
    language = supported(language) or DEFAULT_LANGUAGE
    context = {"code": code, "brand": brand, "valid_minutes": valid_minutes}
    return " ".join(_render(language, "one_time_code.sms.txt", context).split())


def endpoint_disabled(
    *,
    mail_from: str,
    to: Sequence[Recipient],
    endpoint_url: str,
    reason: str,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "endpoint_disabled",
        mail_from=mail_from,
        to=to,
        language=language,
        brand=brand,
        branding=branding,
        endpoint_url=endpoint_url,
        reason=reason,
    )


def account_activation(
    *,
    mail_from: str,
    to: Recipient,
    person_name: str,
    enterprise_name: str,
    activation_link: str,
    valid_days: int,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "account_activation",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        person_name=person_name,
        enterprise_name=enterprise_name,
        activation_link=activation_link,
        valid_days=valid_days,
    )


def address_has_an_account(
    *,
    mail_from: str,
    to: Recipient,
    person_name: str,
    enterprise_name: str,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "address_has_an_account",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        person_name=person_name,
        enterprise_name=enterprise_name,
    )


def password_reset(
    *,
    mail_from: str,
    to: Recipient,
    person_name: str,
    enterprise_name: str,
    reset_link: str,
    valid_minutes: int,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "password_reset",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        person_name=person_name,
        enterprise_name=enterprise_name,
        reset_link=reset_link,
        valid_minutes=valid_minutes,
    )


def enterprise_invitation(
    *,
    mail_from: str,
    to: Recipient,
    person_name: str,
    enterprise_name: str,
    inviter_name: str,
    has_account: bool,
    can_register: bool,
    language: str = DEFAULT_LANGUAGE,
    brand: str = DEFAULT_BRAND,
    branding: Branding | None = None,
) -> EmailMessage:
    return _build(
        "enterprise_invitation",
        mail_from=mail_from,
        to=[to],
        language=language,
        brand=brand,
        branding=branding,
        person_name=person_name,
        enterprise_name=enterprise_name,
        inviter_name=inviter_name,
        has_account=has_account,
        can_register=can_register,
    )


def _render(language: str, name: str, context: Mapping[str, Any]) -> str:
    return _environment(language).get_template(f"{DEFAULT_LANGUAGE}/{name}").render(context)


def _build(
    kind: str,
    *,
    mail_from: str,
    to: Sequence[Recipient],
    language: str,
    brand: str,
    branding: Branding | None = None,
    **values: Any,
) -> EmailMessage:
    if not to:
        raise ValueError("a message needs at least one recipient")
    language = supported(language) or DEFAULT_LANGUAGE
    branding = branding or Branding()
    logo = branding.logo if branding.logo_type else None
    context = {
        "brand": brand,
        "language": language,
        "branding": _MailBranding(branding, LOGO_CID if logo else None),
        **values,
    }
    # Names typed by users end up in the subject: one line, whatever they contain.
    subject = " ".join(_render(language, f"{kind}.subject.txt", context).split())
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = ", ".join(str(r) for r in to)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=_domain(mail_from))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_render(language, f"{kind}.txt", context))
    message.add_alternative(_render(language, f"{kind}.html", context), subtype="html")
    if logo is not None and branding.logo_type:
        # Inline (multipart/related), not a remote image: shown without loading anything.
        html_part = message.get_body(("html",))
        assert isinstance(html_part, EmailMessage)  # built above with add_alternative
        maintype, _, subtype = branding.logo_type.partition("/")
        html_part.add_related(logo, maintype, subtype, cid=f"<{LOGO_CID}>")
    return message


@dataclass(frozen=True)
class _MailBranding:
    """What the templates read of the branding: colours, the name, the logo's cid."""

    branding: Branding
    logo_cid: str | None

    @property
    def display_name(self) -> str | None:
        return self.branding.display_name

    @property
    def accent(self) -> str:
        return self.branding.accent

    @property
    def on_accent(self) -> str:
        return self.branding.on_accent

    @property
    def link(self) -> str:
        return self.branding.link


def _domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "signflow.invalid"
