"""Mail delivery: an SMTP relay when one is configured, else .eml files under DATA_DIR/mail."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import Protocol, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from signflow.file_modes import private_directory

logger = logging.getLogger("signflow.notify.mail")

DEFAULT_SMTP_TIMEOUT_SECONDS = 30.0
MAX_8BIT_LINE = 998  # RFC 5322's limit on a line; longer text stays quoted-printable
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class MailDeliveryError(Exception):
    """The relay refused the message or could not be reached; worth trying again later."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None  # None: upgrade when the server offers STARTTLS


def parse_smtp_url(smtp_url: str) -> SmtpTarget:
    """`smtp://[user:pass@]host[:port][?starttls=true|false]` or `smtps://...` (implicit TLS)."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("the mail URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("the mail URL has no host")
    implicit_tls = parts.scheme == "smtps"
    start_tls: bool | None = None
    for value in parse_qs(parts.query).get("starttls", []):
        if value.lower() in _TRUE:
            start_tls = True
        elif value.lower() in _FALSE:
            start_tls = False
        else:
            raise ValueError(f"starttls must be true or false, not {value!r}")
    if implicit_tls and start_tls:
        raise ValueError("smtps:// is already TLS; drop starttls=true or use smtp://")
    return SmtpTarget(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=implicit_tls,
        start_tls=False if implicit_tls else start_tls,
    )


class SmtpMailer:
    def __init__(
        self,
        smtp_url: str,
        timeout: float = DEFAULT_SMTP_TIMEOUT_SECONDS,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.target = parse_smtp_url(smtp_url)
        self.timeout = timeout
        self.tls_context = tls_context  # e.g. to trust a private CA; default: system CAs

    async def send(self, message: EmailMessage) -> None:
        target = self.target
        try:
            await aiosmtplib.send(
                message,
                hostname=target.hostname,
                port=target.port,
                username=target.username,
                password=target.password,
                use_tls=target.use_tls,
                start_tls=target.start_tls,
                timeout=self.timeout,
                tls_context=self.tls_context,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(
                f"mail to {message['To']} via {target.hostname}:{target.port} failed: {exc}"
            ) from exc
        logger.info("mail sent: %s", message["Subject"], extra={"mail_to": str(message["To"])})


class FileMailer:
    """Writes each message as an .eml file: for development and installs without a relay."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        path = await asyncio.to_thread(self._write, message)
        logger.info(
            "mail written: %s",
            message["Subject"],
            extra={"mail_to": str(message["To"]), "mail_file": str(path)},
        )

    def _write(self, message: EmailMessage) -> Path:
        private_directory(self.directory)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex}.eml"
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(readable(message).as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path


def create_mailer(smtp_url: str | None, data_dir: Path) -> Mailer:
    if smtp_url:
        return SmtpMailer(smtp_url)
    return FileMailer(data_dir / "mail")


_Part = TypeVar("_Part", bound=MIMEPart)


def readable(message: EmailMessage) -> EmailMessage:
    """A copy whose text parts are plain 8-bit UTF-8: a developer reading the file sees
    whole lines and whole links, where quoted-printable would break them at 76 columns.

    Only the parts that change are new objects: the containers and the re-encoded text
    parts (their headers shared, not parsed again); every other part is the original's,
    left as it is. A deep copy of the message cost more than building it."""
    return _readable(message)


def _readable(part: _Part) -> _Part:
    if part.is_multipart():
        children = part.get_payload()
        # A message built with EmailMessage holds EmailMessage parts.
        assert isinstance(children, list) and all(isinstance(c, MIMEPart) for c in children)
        copied = _with_headers_of(part)
        copied.set_payload([_readable(cast(MIMEPart, child)) for child in children])
        copied.preamble, copied.epilogue = part.preamble, part.epilogue
        return copied
    if part.get_content_maintype() != "text":
        return part
    text = part.get_content()
    if any(len(line.encode()) > MAX_8BIT_LINE for line in text.splitlines()):
        return part
    copied = _with_headers_of(part)
    copied.set_content(text, subtype=part.get_content_subtype(), cte="8bit")
    return copied


def _with_headers_of(part: _Part) -> _Part:
    copied = type(part)(policy=part.policy)
    for name, value in part.raw_items():
        copied.set_raw(name, value)
    copied.set_default_type(part.get_default_type())
    unixfrom = part.get_unixfrom()
    if unixfrom is not None:
        copied.set_unixfrom(unixfrom)
    return copied
