"""Notifications to people: email messages and the mailers that deliver them."""

from signflow.notify.mailer import (
    FileMailer,
    MailDeliveryError,
    Mailer,
    SmtpMailer,
    create_mailer,
    parse_smtp_url,
)
from signflow.notify.messages import (
    Download,
    account_activation,
    address_has_an_account,
    endpoint_disabled,
    one_time_code,
    package_completed,
    package_declined,
    reminder,
    your_turn_to_sign,
)

__all__ = [
    "Download",
    "FileMailer",
    "MailDeliveryError",
    "Mailer",
    "SmtpMailer",
    "account_activation",
    "address_has_an_account",
    "create_mailer",
    "endpoint_disabled",
    "one_time_code",
    "package_completed",
    "package_declined",
    "parse_smtp_url",
    "reminder",
    "your_turn_to_sign",
]
