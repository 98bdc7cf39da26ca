"""A browser's multipart/form-data post with several files and text fields, split into
parts by `faces.form_upload.form_parts`, which also reads the API's one-file uploads."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from signflow.errors import BadRequest, PayloadTooLarge
from signflow.faces.bodies import read_limited
from signflow.faces.form_upload import form_parts, is_form
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


def parse_multipart(content_type: str, body: bytes) -> MultipartForm:
    """Text parts become values; parts with a file name and content become files (a file
    input left empty sends a part without content: skipped)."""
    if not is_form(content_type):
        raise BadRequest(NOT_A_FORM)
    form = MultipartForm()
    for part in form_parts(content_type, body, NOT_A_FORM, NOT_A_FORM):
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
