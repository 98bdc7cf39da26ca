"""Personal signature settings (settings/signatures/...): read them, preview the stamp,
fetch the saved hand signatures and initials as images, and change each part, in the
bodies the SigningHub clients send."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import Field

from signflow.accounts.principal import Principal
from signflow.accounts.signature_settings import (
    DEFAULT_DESIGN,
    DEFAULT_METHOD,
    HandSignatureChange,
    MetadataChange,
    Slot,
    design_named,
    settings_of,
    signing_defaults,
    typed_signature_png,
    update_design,
    update_hand_signature,
    update_metadata,
)
from signflow.errors import Forbidden, NotFound
from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.models import SignatureSettings, User
from signflow.signing.appearance import DESIGNS, AppearanceSpec

router = APIRouter(route_class=TransactionalRoute, tags=["account"])

PNG = "image/png"
_IMAGE: dict[int | str, dict[str, Any]] = {200: {"content": {PNG: {}}}}
NO_IMAGE = {
    "browser": "No hand signature image was uploaded for web browsers",
    "mobile": "No hand signature image was uploaded for mobile apps",
    "initials": "No initials image was uploaded",
}


SCOPED_CHANGE = "A token acting for another user cannot change their signature settings"


def own_user_id(principal: Principal) -> int:
    """The caller's user id for a change. What is saved here goes on that user's own
    signatures, so a token acting for them (which may not sign) may not change it either."""
    if principal.is_scoped:
        raise Forbidden(SCOPED_CHANGE)
    return principal.user.id


class HandSignatureSettings(VendorModel):
    default_method: str
    text_value: str | None = None
    upload_image: str | None = None
    """The saved image, base64 PNG (null when none, or when x-base64 is false)."""


class SignatureSettingsBody(VendorModel):
    default_design: str
    designs: list[str]
    signing_reason: str | None = None
    signing_location: str | None = None
    contact_information: str | None = None
    browser: HandSignatureSettings
    mobile: HandSignatureSettings
    initials: HandSignatureSettings


class DesignUpdate(VendorModel):
    default_design: str = Field(max_length=40)


class MetadataUpdate(VendorModel):
    signing_reason: str | None = Field(default=None, max_length=200)
    signing_location: str | None = Field(default=None, max_length=200)
    contact_information: str | None = Field(default=None, max_length=200)


class HandSignatureUpdate(VendorModel):
    default_method: str = Field(max_length=10)
    upload_image: str | None = None
    text_value: str | None = Field(default=None, max_length=100)


def _slot(row: SignatureSettings | None, slot: Slot, images: bool) -> HandSignatureSettings:
    if row is None:
        return HandSignatureSettings(default_method=DEFAULT_METHOD)
    image: bytes | None = getattr(row, f"{slot}_image")
    return HandSignatureSettings(
        default_method=getattr(row, f"{slot}_method"),
        text_value=getattr(row, f"{slot}_text"),
        upload_image=base64.b64encode(image).decode() if image and images else None,
    )


@router.get(
    "/settings/signatures",
    dependencies=[ReadOnly],
    response_model=SignatureSettingsBody,
)
async def get_signature_settings(
    principal: PrincipalDep,
    session: SessionDep,
    x_base64: Annotated[str | None, Header()] = None,
) -> SignatureSettingsBody:
    """The images come base64-encoded unless `x-base64` says false."""
    images = (x_base64 or "true").strip().lower() != "false"
    row = await settings_of(session, principal.user.id)
    return SignatureSettingsBody(
        default_design=row.default_design if row else DEFAULT_DESIGN,
        designs=list(DESIGNS),
        signing_reason=row.signing_reason if row else None,
        signing_location=row.signing_location if row else None,
        contact_information=row.contact_information if row else None,
        browser=_slot(row, "browser", images),
        mobile=_slot(row, "mobile", images),
        initials=_slot(row, "initials", images),
    )


@router.get(
    "/settings/signatures/appearance/design/{design}/preview",
    dependencies=[ReadOnly],
    response_class=Response,
    responses=_IMAGE,
)
async def preview_design(design: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """The caller's stamp in this design, as a PNG: their saved hand signature (a typed
    one in their name when they draw it at signing), name, the time now and saved reason."""
    from signflow.signing.preview import stamp_preview_png
    from signflow.signing.text_signature import text_signature_png

    chosen = design_named(design)
    user = principal.user
    defaults = await signing_defaults(session, user)
    spec = AppearanceSpec(
        kind="signature",
        signer_name=user.name,
        signed_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        reason=defaults.signing_reason,
        hand_signature_png=defaults.hand_signature_png or text_signature_png(user.name),
        design=chosen,
    )
    return Response(await asyncio.to_thread(stamp_preview_png, spec), media_type=PNG)


async def _image(session: SessionDep, user: User, slot: Slot, typed: bool) -> Response:
    row = await settings_of(session, user.id)
    if typed:
        return Response(typed_signature_png(row, slot, user), media_type=PNG)
    image: bytes | None = getattr(row, f"{slot}_image") if row is not None else None
    if image is None:
        raise NotFound(NO_IMAGE[slot])
    return Response(image, media_type=PNG)


def serve_image(path: str, name: str, slot: Slot, *, typed: bool, description: str = "") -> None:
    """Register one of the image calls: a saved (uploaded) image, 404 when there is none,
    or a typed one, drawn from the saved text or else the name."""

    async def image(principal: PrincipalDep, session: SessionDep) -> Response:
        return await _image(session, principal.user, slot, typed=typed)

    router.add_api_route(
        f"/settings/signatures/appearance/{path}",
        image,
        methods=["GET"],
        dependencies=[ReadOnly],
        response_class=Response,
        responses=_IMAGE,
        name=name,
        description=description,
    )


serve_image(
    "hand_signature/web/text",
    "web_text",
    "browser",
    typed=True,
    description="The typed hand signature for web browsers, drawn (the saved text, else the name).",
)
serve_image("hand_signature/mobile/text", "mobile_text", "mobile", typed=True)
serve_image(
    "hand_signature/web/upload",
    "web_upload",
    "browser",
    typed=False,
    description="The uploaded hand signature for web browsers; 404 when none was uploaded.",
)
serve_image("hand_signature/mobile/upload", "mobile_upload", "mobile", typed=False)
serve_image("initials/upload", "initials_upload", "initials", typed=False)
serve_image("initials/text", "initials_text", "initials", typed=True)


@router.put("/settings/signatures/appearance/design")
async def put_design(body: DesignUpdate, principal: PrincipalDep, session: SessionDep) -> Response:
    await update_design(session, own_user_id(principal), body.default_design)
    return empty_ok()


@router.put("/settings/signatures/metadata")
async def put_metadata(
    body: MetadataUpdate, principal: PrincipalDep, session: SessionDep
) -> Response:
    change = MetadataChange(
        signing_reason=body.signing_reason,
        signing_location=body.signing_location,
        contact_information=body.contact_information,
    )
    await update_metadata(session, own_user_id(principal), change)
    return empty_ok()


def _change(body: HandSignatureUpdate) -> HandSignatureChange:
    return HandSignatureChange(
        default_method=body.default_method,
        upload_image=body.upload_image,
        text_value=body.text_value,
    )


def serve_hand_signature_change(slot: Slot, name: str) -> None:
    """Register the change of one saved hand signature (browser, mobile or initials)."""

    async def change(
        body: HandSignatureUpdate, principal: PrincipalDep, session: SessionDep
    ) -> Response:
        await update_hand_signature(session, own_user_id(principal), slot, _change(body))
        return empty_ok()

    router.add_api_route(
        f"/settings/signatures/appearance/{slot}", change, methods=["PUT"], name=name
    )


serve_hand_signature_change("browser", "put_browser")
serve_hand_signature_change("mobile", "put_mobile")
serve_hand_signature_change("initials", "put_initials")
