"""A browser's multipart/form-data post with several files and text fields, read with the
standard library's MIME parser (as `faces.form_upload` reads the API's one file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from fastapi import Request

from signflow.errors import BadRequest, PayloadTooLarge
from signflow.faces.bodies import read_limited
from signflow.faces.routing import get_context

NOT_A_FORM = "upload.not_a_form"
TOO_LARGE = "upload.too_large"


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


async def read_multipart(request: Request) -> MultipartForm:
    """The posted multipart form (at most four times the upload limit), read once per
    request: the CSRF check reads its token, the route its files."""
    cached = getattr(request.state, "app_multipart", None)
    if isinstance(cached, MultipartForm):
        return cached
    limit = get_context(request).settings.max_upload_bytes * 4
    body = await read_limited(request, limit, lambda: PayloadTooLarge(TOO_LARGE))
    form = parse_multipart(request.headers.get("content-type") or "", body)
    request.state.app_multipart = form
    return form
