"""Adopting a signature once: a signer's signature and initials, kept for their turn.

The signer pages ask for the signature and initials at the first signature or initials
field; each further one of the same turn applies them without asking again. An adoption
belongs to one recipient entry and the user acting for it, within the package's
enterprise, and is usable only while that recipient's turn is open.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.images import MAX_IMAGE_SIDE, normalized_png
from signflow.audit.history import Actor, record
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, Forbidden
from signflow.models import (
    FieldKind,
    Package,
    ProcessStatus,
    Recipient,
    SignatureAdoption,
    User,
    WorkflowStatus,
)
from signflow.workflow.common import NOT_ALLOWED, SIGNING_ROLES, turn_is_open

ADOPTED_ACTION = "SIGNATURE_ADOPTED"
NOT_ADOPTED = "adopt.missing"
NOT_AN_IMAGE = "adopt.not_image"
IMAGE_TOO_LARGE = "adopt.too_large"
IMAGE_TOO_WIDE = "adopt.too_wide"
MAX_INITIALS = 10
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_NAME = 200
# The handwriting styles of typed signatures (fonts under web/static/fonts).
TYPED_STYLES = ("dancing-script", "caveat", "great-vibes", "sacramento")


class AdoptionMethod(StrEnum):
    DRAWN = "drawn"
    TYPED = "typed"
    UPLOADED = "uploaded"


@dataclass(frozen=True)
class Adoption:
    """What the signer adopts: PNG bytes as sent (re-encoded here), and how they made them."""

    method: AdoptionMethod
    signature_png: bytes
    initials_png: bytes
    initials: str
    consent: str
    style: str | None = None
    typed_name: str | None = None


def initials_of(name: str) -> str:
    """Initials from a name: "Ana María López" -> "AML" (letters only, at most 10)."""
    letters = [part[0] for part in name.split() if part and part[0].isalpha()]
    return "".join(letters).upper()[:MAX_INITIALS]


def require_signing_turn(package: Package, recipient: Recipient) -> None:
    """Adoptions are made and used only during the recipient's open signing turn."""
    if (
        package.status != WorkflowStatus.SHARED.value
        or recipient.role not in SIGNING_ROLES
        or recipient.process_status != ProcessStatus.IN_PROGRESS.value
        or not turn_is_open(recipient)
    ):
        raise Forbidden(NOT_ALLOWED)


def _checked(adoption: Adoption) -> Adoption:
    try:
        method = AdoptionMethod(adoption.method)
    except ValueError as exc:
        raise BadRequest("adopt.method_bad") from exc
    initials = adoption.initials.strip()
    if not initials or len(initials) > MAX_INITIALS:
        raise BadRequest("adopt.initials_bad")
    if method is AdoptionMethod.TYPED:
        if adoption.style not in TYPED_STYLES:
            raise BadRequest("adopt.style_bad")
        if not (adoption.typed_name or "").strip():
            raise BadRequest("sign.empty")
    if not adoption.consent.strip():
        raise BadRequest("adopt.consent_missing")
    return adoption


def _png_header_side(data: bytes) -> int:
    """A PNG's longer side as its header states it (0 when it is no PNG)."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return 0
    return max(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))


def _reencoded(data: bytes) -> bytes:
    """The image re-encoded as PNG (transparency kept), or a 400 naming what is wrong."""
    if _png_header_side(data) > MAX_IMAGE_SIDE:
        # Said before Pillow refuses it as a decompression bomb, as something else.
        raise BadRequest(IMAGE_TOO_WIDE)
    try:
        return normalized_png(data, "image")
    except BadRequest as exc:
        if "pixels" in exc.message:
            raise BadRequest(IMAGE_TOO_WIDE) from exc
        if "1 MB" in exc.message:
            raise BadRequest(IMAGE_TOO_LARGE) from exc
        raise BadRequest(NOT_AN_IMAGE) from exc


async def adopt(
    session: AsyncSession,
    actor: Actor,
    package: Package,
    recipient: Recipient,
    user: User,
    adoption: Adoption,
) -> SignatureAdoption:
    """Keep `adoption` for the recipient's turn (replacing an earlier one) and record it,
    with its consent and the digests of its images, in the package's history."""
    require_signing_turn(package, recipient)
    checked = _checked(adoption)
    signature = _reencoded(checked.signature_png)
    initials = _reencoded(checked.initials_png)
    await session.execute(
        delete(SignatureAdoption).where(
            SignatureAdoption.enterprise_id == package.enterprise_id,
            SignatureAdoption.recipient_id == recipient.id,
            SignatureAdoption.user_id == user.id,
        )
    )
    typed = checked.method is AdoptionMethod.TYPED
    row = SignatureAdoption(
        enterprise_id=package.enterprise_id,
        recipient_id=recipient.id,
        user_id=user.id,
        method=checked.method.value,
        style=checked.style if typed else None,
        typed_name=(checked.typed_name or "").strip()[:MAX_NAME] if typed else None,
        initials=checked.initials.strip(),
        signature_png=signature,
        initials_png=initials,
        signature_sha256=hashlib.sha256(signature).hexdigest(),
        initials_sha256=hashlib.sha256(initials).hexdigest(),
        consent=checked.consent.strip(),
        adopted_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        package.id,
        ADOPTED_ACTION,
        actor,
        {
            "order": recipient.position,
            "method": row.method,
            "style": row.style,
            "initials": row.initials,
            "signature_sha256": row.signature_sha256,
            "initials_sha256": row.initials_sha256,
            "consent": row.consent,
        },
    )
    return row


async def current_adoption(
    session: AsyncSession, package: Package, recipient: Recipient, user: User
) -> SignatureAdoption | None:
    """The adoption of this recipient entry and user, while their turn is open."""
    if recipient.package_id != package.id:
        raise Forbidden(NOT_ALLOWED)
    try:
        require_signing_turn(package, recipient)
    except Forbidden:
        return None
    found: SignatureAdoption | None = await session.scalar(
        select(SignatureAdoption).where(
            SignatureAdoption.enterprise_id == package.enterprise_id,
            SignatureAdoption.recipient_id == recipient.id,
            SignatureAdoption.user_id == user.id,
        )
    )
    return found


async def adopted_mark(
    session: AsyncSession, package: Package, recipient: Recipient, user: User, field_kind: str
) -> bytes:
    """The adopted PNG for a field of `field_kind` (the initials for an initials field, the
    signature for any other); refused outside the turn or when nothing was adopted."""
    require_signing_turn(package, recipient)
    found = await current_adoption(session, package, recipient, user)
    if found is None:
        raise Conflict(NOT_ADOPTED)
    return found.initials_png if field_kind == FieldKind.INITIALS.value else found.signature_png
