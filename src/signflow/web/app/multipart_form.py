"""A browser's multipart/form-data post with several files and text fields, read with the
standard library's MIME parser (as `faces.form_upload` reads the API's one file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from signflow.errors import BadRequest

NOT_A_FORM = "upload.not_a_form"


@dataclass(frozen=True)
class FormPart:
    data: bytes
    file_name: str


@dataclass(frozen=True)
class MultipartForm:
    values: dict[str, str] = field(default_factory=dict)
    files: list[FormPart] = field(default_factory=list)


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").strip().lower().startswith("multipart/form-data")


def parse_multipart(content_type: str, body: bytes) -> MultipartForm:
    """Text parts become values; parts with a file name and content become files (a file
    input left empty sends a part without content: skipped)."""
    if not is_multipart(content_type) or "boundary=" not in content_type.lower():
        raise BadRequest(NOT_A_FORM)
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.default).parsebytes(header + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise BadRequest(NOT_A_FORM)
    form = MultipartForm()
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        file_name = part.get_filename()
        if file_name is not None:
            if data:
                form.files.append(FormPart(data, file_name))
        elif isinstance(name, str):
            form.values[name] = data.decode("utf-8", errors="replace")
    return form
