"""A file sent as a browser form (multipart/form-data), as well as a raw body.

Browser clients post a `FormData` with the file in one part; the guide sends the bytes
raw. The form is parsed with the standard library's MIME parser: the first part that
carries a file name (or, failing that, the first part) is the upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from signflow.errors import BadRequest

NO_FILE = "The form has no file part"


@dataclass(frozen=True)
class FormFile:
    data: bytes
    file_name: str | None


def is_form(content_type: str | None) -> bool:
    return (content_type or "").strip().lower().startswith("multipart/form-data")


def form_parts(
    content_type: str, body: bytes, no_boundary: str, not_multipart: str
) -> list[EmailMessage]:
    """The parts of a multipart/form-data body; BadRequest with the caller's texts when it
    has no boundary or is not multipart."""
    if "boundary=" not in content_type.lower():
        raise BadRequest(no_boundary)
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.default).parsebytes(header + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise BadRequest(not_multipart)
    return [part for part in message.iter_parts() if isinstance(part, EmailMessage)]


def file_from_form(content_type: str, body: bytes) -> FormFile:
    parts = form_parts(content_type, body, "A multipart/form-data body needs a boundary", NO_FILE)
    named = [part for part in parts if part.get_filename()]
    candidates = named or parts
    if not candidates:
        raise BadRequest(NO_FILE)
    chosen = candidates[0]
    payload = chosen.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        raise BadRequest(NO_FILE)
    return FormFile(data=payload, file_name=chosen.get_filename())
