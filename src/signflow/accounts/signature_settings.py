"""A user's personal signature settings (SigningHub's settings/signatures): the stamp's
design, the metadata signatures carry, and the default hand signature and initials.

They have effect: a signature the user makes without sending an image gets their saved
hand signature (or initials), and without a reason, location or contact information the
saved ones (`signing_defaults`, read by `signing/service.py`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.images import decode_base64_image
from signflow.db import dialect_insert, utcnow
from signflow.errors import BadRequest
from signflow.models import SignatureSettings, User
from signflow.signing.appearance import DESIGNS, SignatureDesign

Method = Literal["DRAW", "TEXT", "UPLOAD"]
METHODS: tuple[Method, ...] = get_args(Method)
Slot = Literal["browser", "mobile", "initials"]
DEFAULT_DESIGN: SignatureDesign = "HAND_SIGNATURE_WITH_DETAILS"
DEFAULT_METHOD: Method = "DRAW"
MAX_TEXT = {"browser": 100, "mobile": 100, "initials": 10}


def design_named(value: str) -> SignatureDesign:
    design = value.strip().upper()
    for known in DESIGNS:
        if design == known:
            return known
    raise BadRequest(
        f"Unknown signature appearance design '{value}': use one of {', '.join(DESIGNS)}"
    )


def _method_named(value: str) -> Method:
    method = value.strip().upper()
    for known in METHODS:
        if method == known:
            return known
    raise BadRequest(f"default_method must be one of {', '.join(METHODS)}, not '{value}'")


async def settings_of(session: AsyncSession, user_id: int) -> SignatureSettings | None:
    return await session.get(SignatureSettings, user_id)


async def _own_row(session: AsyncSession, user_id: int) -> SignatureSettings:
    """The user's row, made with the defaults when missing, locked for the change."""
    insert = dialect_insert(session)
    await session.execute(
        insert(SignatureSettings)
        .values(
            user_id=user_id,
            default_design=DEFAULT_DESIGN,
            browser_method=DEFAULT_METHOD,
            mobile_method=DEFAULT_METHOD,
            initials_method=DEFAULT_METHOD,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    row = await session.scalar(
        select(SignatureSettings)
        .where(SignatureSettings.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def update_design(session: AsyncSession, user_id: int, value: str) -> None:
    design = design_named(value)
    row = await _own_row(session, user_id)
    row.default_design = design
    row.updated_at = utcnow()


@dataclass(frozen=True)
class MetadataChange:
    """None leaves a value as it is; an empty string clears it."""

    signing_reason: str | None = None
    signing_location: str | None = None
    contact_information: str | None = None


async def update_metadata(session: AsyncSession, user_id: int, change: MetadataChange) -> None:
    row = await _own_row(session, user_id)
    for name in ("signing_reason", "signing_location", "contact_information"):
        value = getattr(change, name)
        if value is not None:
            setattr(row, name, value.strip() or None)
    row.updated_at = utcnow()


@dataclass(frozen=True)
class HandSignatureChange:
    default_method: str
    upload_image: str | None = None
    """Base64 PNG or JPEG; None or empty keeps the image saved before."""
    text_value: str | None = None
    """None keeps the text saved before; an empty string clears it."""


async def update_hand_signature(
    session: AsyncSession, user_id: int, slot: Slot, change: HandSignatureChange
) -> None:
    """The browser or mobile hand signature, or the initials: every input is checked
    before anything is written."""
    method = _method_named(change.default_method)
    field = "upload_image"
    image = decode_base64_image(change.upload_image, field) if change.upload_image else None
    text = change.text_value.strip() if change.text_value is not None else None
    if text is not None and len(text) > MAX_TEXT[slot]:
        raise BadRequest(f"text_value must be at most {MAX_TEXT[slot]} characters")
    if text is not None and any(unicodedata.category(c).startswith("C") for c in text):
        raise BadRequest("text_value must be one line of text, without control characters")
    row = await _own_row(session, user_id)
    if image is not None:
        setattr(row, f"{slot}_image", image)
    if text is not None:
        setattr(row, f"{slot}_text", text or None)
    if method == "UPLOAD" and getattr(row, f"{slot}_image") is None:
        raise BadRequest("upload_image is required when default_method is UPLOAD")
    setattr(row, f"{slot}_method", method)
    row.updated_at = utcnow()


@dataclass(frozen=True)
class SigningDefaults:
    """What a user's signature takes from their settings when the request does not say."""

    design: SignatureDesign = DEFAULT_DESIGN
    signing_reason: str | None = None
    signing_location: str | None = None
    contact_information: str | None = None
    hand_signature_png: bytes | None = None
    initials_png: bytes | None = None
    initials_text: str | None = None


def typed_signature_png(row: SignatureSettings | None, slot: Slot, user: User) -> bytes:
    """The typed hand signature (or initials) of `slot` as an image: the saved text, or
    the user's name (their initials) when none was saved."""
    from signflow.signing.text_signature import text_signature_png

    saved: str | None = getattr(row, f"{slot}_text") if row is not None else None
    text = saved or (initials_of(user.name) if slot == "initials" else user.name)
    return text_signature_png(text)


def initials_of(name: str) -> str:
    return "".join(part[0] for part in name.split() if part).upper()[:4] or "?"


async def signing_defaults(session: AsyncSession, user: User) -> SigningDefaults:
    row = await settings_of(session, user.id)
    if row is None:
        return SigningDefaults()
    hand: bytes | None = None
    if row.browser_method == "UPLOAD":
        hand = row.browser_image
    elif row.browser_method == "TEXT":
        hand = typed_signature_png(row, "browser", user)
    return SigningDefaults(
        design=design_named(row.default_design),
        signing_reason=row.signing_reason,
        signing_location=row.signing_location,
        contact_information=row.contact_information,
        hand_signature_png=hand,
        initials_png=row.initials_image if row.initials_method == "UPLOAD" else None,
        initials_text=(row.initials_text or initials_of(user.name))
        if row.initials_method == "TEXT"
        else None,
    )
