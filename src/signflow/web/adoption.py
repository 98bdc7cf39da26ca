"""The sign dialog's "Adopt your signature": adopting once, then one tap per field.

The sign form (`templates/_sign_dialog.html`) posts to `/web/package/sign` with either
`adopt=1` (the signature and initials adopted in the dialog: drawn, typed in a style, or
uploaded, as PNG or JPEG data URLs the server re-encodes) or `use_adopted=1` (a field's
"Sign here" once adopted, a plain form that works without script). Without either it is the
former per-field drawing or typing (signature requests keep using it).
"""

from __future__ import annotations

import base64
import binascii

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.images import MAX_IMAGE_BYTES
from signflow.audit.history import Actor
from signflow.errors import BadRequest, NotFound
from signflow.faces.routing import get_session
from signflow.models import Document, Field, FieldKind
from signflow.web.pages import security_headers
from signflow.web.session import WebSession
from signflow.workflow.adoption import (
    IMAGE_TOO_LARGE,
    NOT_ADOPTED,
    NOT_AN_IMAGE,
    Adoption,
    AdoptionMethod,
    adopt,
    adopted_mark,
    current_adoption,
)
from signflow.workflow.recipient_session import RecipientSession
from signflow.workflow.sign import SignatureRequest

ADOPTED_IMAGE_PATH = "/web/package/adopted/{kind}.png"


def image_bytes(value: str | None) -> bytes:
    """A data URL's (or plain base64's) bytes, before Pillow reads them; a clear 400 when
    there are none, they are not base64 or they exceed the 1 MB an image may have."""
    text = (value or "").strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if not text:
        raise BadRequest("sign.empty")
    if len(text) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise BadRequest(IMAGE_TOO_LARGE)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(NOT_AN_IMAGE) from exc


def adoption_from(form: dict[str, str], consent: str) -> Adoption:
    """The adoption the dialog's form describes, accepted with the consent line shown beside
    its button."""
    method = form.get("adopt_method", "")
    if method not in {m.value for m in AdoptionMethod}:
        raise BadRequest("adopt.method_bad")
    return Adoption(
        method=AdoptionMethod(method),
        signature_png=image_bytes(form.get("hand_signature_image")),
        initials_png=image_bytes(form.get("initials_image")),
        initials=(form.get("initials") or "").strip(),
        consent=consent,
        style=form.get("adopt_style") or None,
        typed_name=(form.get("typed_name") or "").strip() or None,
    )


async def _field_kind(session: AsyncSession, rs: RecipientSession, form: dict[str, str]) -> str:
    """The kind of the field the form names (a signature when it names none of this
    package's: signing then refuses the name itself)."""
    document_id = form.get("document_id", "")
    kind = await session.scalar(
        select(Field.kind)
        .join(Document, Document.id == Field.document_id)
        .where(
            Document.package_id == rs.package.id,
            Field.document_id == (int(document_id) if document_id.isdigit() else -1),
            Field.name == form.get("field_name", ""),
        )
    )
    return kind or FieldKind.SIGNATURE.value


async def signature_with_adoption(
    request: Request,
    rs: RecipientSession,
    actor: Actor,
    form: dict[str, str],
    consent: str,
    fallback: SignatureRequest | None,
) -> SignatureRequest:
    """The signature the sign form asks for: a new adoption applied, the current one
    applied, or (neither asked) `fallback`, the dialog's one-off drawing or typing."""
    session = get_session(request)
    adopting = form.get("adopt") == "1"
    if adopting:
        await adopt(
            session,
            actor,
            rs.package,
            rs.recipient,
            rs.principal.user,
            adoption_from(form, consent),
        )
    elif form.get("use_adopted") != "1" and fallback is not None:
        return fallback
    kind = await _field_kind(session, rs, form)
    png = await adopted_mark(session, rs.package, rs.recipient, rs.principal.user, kind)
    adopted = await current_adoption(session, rs.package, rs.recipient, rs.principal.user)
    return SignatureRequest(
        field_name=form.get("field_name", ""),
        hand_signature_image=base64.b64encode(png).decode("ascii"),
        user_name=adopted.typed_name if adopted is not None else None,
    )


async def adopted_image(
    request: Request, web: WebSession, rs: RecipientSession, kind: str
) -> Response:
    """The adopted signature or initials as a PNG, for the signer's own page while their
    turn is open; 404 for anyone else, before adopting, or after the turn."""
    if kind not in ("signature", "initials"):
        raise NotFound("error.link")
    found = await current_adoption(
        get_session(request), rs.package, rs.recipient, rs.principal.user
    )
    if found is None:
        raise NotFound(NOT_ADOPTED)
    png = found.initials_png if kind == "initials" else found.signature_png
    response = Response(png, media_type="image/png")
    response = security_headers(response, web)
    response.headers["Cache-Control"] = "private, no-store"
    return response
