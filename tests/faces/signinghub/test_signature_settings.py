"""Personal signature settings (settings/signatures/...): what is saved, what is refused,
that another user sees none of it, the stamp preview, and that a signature made without
an image, reason or location takes them from the signer's settings."""

from __future__ import annotations

import base64
import io
import subprocess
import tempfile
from pathlib import Path

import httpx
from PIL import Image, ImageChops
from pyhanko.pdf_utils.reader import PdfFileReader

from signflow.context import AppContext
from tests.factories import Tenant, bearer, sign_in
from tests.signing.checks import assert_pdfsig_valid
from tests.workflow.helpers import People, add_users, new_package, share

SETTINGS = "/v4/settings/signatures"
APPEARANCE = SETTINGS + "/appearance"
RED = (220, 0, 0)


def image_bytes(
    size: tuple[int, int] = (200, 80), color: tuple[int, int, int] = RED, kind: str = "PNG"
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()


def count_red(image: Image.Image) -> int:
    red, green, blue = (
        band.point(lambda v, t=t: 255 if t(v) else 0)
        for band, t in zip(
            image.convert("RGB").split(),
            (lambda v: v > 180, lambda v: v < 60, lambda v: v < 60),
            strict=True,
        )
    )
    both = ImageChops.multiply(ImageChops.multiply(red, green), blue)
    return int(sum(both.histogram()[255:]))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG"
        return img.size


async def test_settings_are_saved_checked_and_private(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    ana, ben = people["ana"], people["ben"]
    fresh = (await client.get(SETTINGS, headers=ana)).json()
    assert fresh["default_design"] == "HAND_SIGNATURE_WITH_DETAILS"
    assert fresh["browser"] == {"default_method": "DRAW", "text_value": None, "upload_image": None}
    missing = await client.get(APPEARANCE + "/hand_signature/web/upload", headers=ana)
    assert (missing.status_code, missing.json()) == (
        404,
        {"Message": "No hand signature image was uploaded for web browsers"},
    )

    jpeg = image_bytes(kind="JPEG")
    steps = [
        (APPEARANCE + "/design", {"default_design": "hand_signature_only"}),
        (
            SETTINGS + "/metadata",
            {
                "signing_reason": "I approve",
                "signing_location": "Gent",
                "contact_information": "+32 9 000",
            },
        ),
        (
            APPEARANCE + "/browser",
            {"default_method": "UPLOAD", "upload_image": b64(jpeg), "text_value": "Ana P."},
        ),
        (
            APPEARANCE + "/mobile",
            {"default_method": "TEXT", "upload_image": None, "text_value": "A"},
        ),
        (
            APPEARANCE + "/initials",
            {"default_method": "TEXT", "upload_image": "", "text_value": "AP"},
        ),
    ]
    for url, body in steps:
        response = await client.put(url, json=body, headers=ana)
        assert (response.status_code, response.content) == (200, b""), (url, response.text)

    saved = (await client.get(SETTINGS, headers=ana | {"x-base64": "true"})).json()
    assert saved["default_design"] == "HAND_SIGNATURE_ONLY"
    assert (saved["signing_reason"], saved["signing_location"]) == ("I approve", "Gent")
    assert saved["contact_information"] == "+32 9 000"
    assert saved["browser"]["default_method"] == "UPLOAD"
    stored = base64.b64decode(saved["browser"]["upload_image"])
    assert png_size(stored) == (200, 80)  # the JPEG, kept as a PNG
    assert saved["mobile"] == {"default_method": "TEXT", "text_value": "A", "upload_image": None}
    assert saved["initials"]["text_value"] == "AP"
    plain = (await client.get(SETTINGS, headers=ana | {"x-base64": "false"})).json()
    assert plain["browser"]["upload_image"] is None

    upload = await client.get(APPEARANCE + "/hand_signature/web/upload", headers=ana)
    assert (upload.headers["content-type"], upload.content) == ("image/png", stored)
    for path in ("hand_signature/web/text", "hand_signature/mobile/text", "initials/text"):
        typed = await client.get(f"{APPEARANCE}/{path}", headers=ana)
        assert typed.status_code == 200, path
        png_size(typed.content)
    for path in ("hand_signature/mobile/upload", "initials/upload"):
        assert (await client.get(f"{APPEARANCE}/{path}", headers=ana)).status_code == 404

    # A token acting for Ana (which may not sign for her) may not change what she signs with.
    scoped = await sign_in(client, tenant, tenant.admin_email, scope=people.email("ana"))
    acting = {"Authorization": f"Bearer {scoped['access_token']}"}
    planted = await client.put(
        APPEARANCE + "/browser",
        json={"default_method": "UPLOAD", "upload_image": b64(image_bytes(color=(0, 200, 0)))},
        headers=acting,
    )
    assert (planted.status_code, planted.json()) == (
        403,
        {"Message": "A token acting for another user cannot change their signature settings"},
    )
    assert (await client.get(SETTINGS, headers=acting)).json() == saved

    # Another user of the same enterprise sees only their own (empty) settings.
    theirs = (await client.get(SETTINGS, headers=ben)).json()
    assert theirs["browser"]["upload_image"] is None and theirs["signing_reason"] is None
    assert (
        await client.get(APPEARANCE + "/hand_signature/web/upload", headers=ben)
    ).status_code == 404

    huge = Image.new("RGB", (5000, 10))
    out = io.BytesIO()
    huge.save(out, "PNG")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    refused = {
        "unknown design": (APPEARANCE + "/design", {"default_design": "SPARKLES"}),
        "unknown method": (APPEARANCE + "/browser", {"default_method": "PAINT"}),
        "upload without an image": (APPEARANCE + "/mobile", {"default_method": "UPLOAD"}),
        "not base64": (
            APPEARANCE + "/browser",
            {"default_method": "UPLOAD", "upload_image": "not base64!", "text_value": "x"},
        ),
        "not an image": (
            APPEARANCE + "/browser",
            {"default_method": "UPLOAD", "upload_image": b64(b"%PDF-1.7 hello")},
        ),
        "a GIF": (
            APPEARANCE + "/browser",
            {"default_method": "UPLOAD", "upload_image": b64(gif.getvalue())},
        ),
        "too many pixels": (
            APPEARANCE + "/browser",
            {"default_method": "UPLOAD", "upload_image": b64(out.getvalue())},
        ),
        "initials too long": (
            APPEARANCE + "/initials",
            {"default_method": "TEXT", "text_value": "ABCDEFGHIJKL"},
        ),
        "a text of two lines": (
            APPEARANCE + "/browser",
            {"default_method": "TEXT", "text_value": "Ana\nPeeters"},
        ),
        "reason too long": (SETTINGS + "/metadata", {"signing_reason": "x" * 201}),
        "no method": (APPEARANCE + "/browser", {"text_value": "x"}),
    }
    for case, (url, body) in refused.items():
        response = await client.put(url, json=body, headers=ana)
        assert response.status_code == 400, (case, response.text)
        assert response.json()["Message"], case
    # An image over 1 MB makes a body over the JSON limit: refused before it is read.
    too_big = await client.put(
        APPEARANCE + "/browser",
        json={"default_method": "UPLOAD", "upload_image": b64(b"\x89PNG" + bytes(1024 * 1024))},
        headers=ana,
    )
    assert too_big.status_code == 413
    # Nothing half-changed: the refused updates left every setting as it was.
    assert (await client.get(SETTINGS, headers=ana)).json() == saved


async def test_the_preview_draws_the_design(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    ana = people["ana"]
    await client.put(
        APPEARANCE + "/browser",
        json={"default_method": "UPLOAD", "upload_image": b64(image_bytes())},
        headers=ana,
    )
    previews = {}
    for design in ("HAND_SIGNATURE_WITH_DETAILS", "HAND_SIGNATURE_ONLY", "DETAILS_ONLY"):
        response = await client.get(f"{APPEARANCE}/design/{design}/preview", headers=ana)
        assert response.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(response.content)) as img:
            pixels = img.convert("RGB")
        previews[design] = count_red(pixels)
    # The uploaded image fills the stamp alone, shares it with the details, or is absent.
    assert previews["HAND_SIGNATURE_ONLY"] > previews["HAND_SIGNATURE_WITH_DETAILS"] > 0
    assert previews["DETAILS_ONLY"] == 0
    unknown = await client.get(f"{APPEARANCE}/design/SPARKLES/preview", headers=ana)
    assert unknown.status_code == 400
    assert "HAND_SIGNATURE_ONLY" in unknown.json()["Message"]


def signature_metadata(pdf: bytes) -> list[tuple[str | None, ...]]:
    """(/Reason, /Location, /ContactInfo) of each signature, in signing order (this
    poppler's pdfsig does not print them)."""
    found = []
    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
        found.append(
            tuple(
                str(sig.sig_object[key]) if key in sig.sig_object else None
                for key in ("/Reason", "/Location", "/ContactInfo")
            )
        )
    return found


def pdf_text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signed.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        )
    return done.stdout


def red_pixels(pdf: bytes) -> int:
    """Red pixels of page 1 rendered by poppler (the test documents have none)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signed.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(path), f"{tmp}/page"],
            check=True,
        )
        (page,) = Path(tmp).glob("page*.png")
        with Image.open(page) as img:
            pixels = img.convert("RGB")
    return count_red(pixels)


async def signed_document(people: People, design: str, *, initials: bool) -> bytes:
    """Ana signs (and initials) a new package through the API, sending no image, reason or
    location; the signed document."""
    client = people.client
    ana = people["ana"]
    saved = await client.put(APPEARANCE + "/design", json={"default_design": design}, headers=ana)
    assert saved.status_code == 200
    package_id, (document_id,) = await new_package(people, texts=["Lease"])
    await add_users(people, package_id, [("ana", "SIGNER")])
    fields = f"/v3/packages/{package_id}/documents/{document_id}/fields"
    box = {"x": 72, "y": 300, "width": 240, "height": 90}
    added = await client.post(
        fields + "/digital_signature",
        json={"order": 1, "page_no": 1, "field_name": "AnaSigns", "dimensions": box},
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    if initials:
        added = await client.post(
            fields + "/initials",
            json={
                "order": 1,
                "page_no": 1,
                "field_name": "AnaInitials",
                "dimensions": {"x": 400, "y": 100, "width": 80, "height": 40},
            },
            headers=people.owner,
        )
        assert added.status_code == 200, added.text
    await share(people, package_id)
    sign = f"/v3/packages/{package_id}/documents/{document_id}/sign"
    for name in ("AnaSigns", "AnaInitials") if initials else ("AnaSigns",):
        signed = await client.post(sign, json={"field_name": name}, headers=ana)
        assert signed.status_code == 200, signed.text
    download = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}", headers=people.owner
    )
    assert download.status_code == 200
    return download.content


async def test_a_signature_without_image_or_metadata_takes_the_saved_ones(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    ana = people["ana"]
    for url, body in (
        (
            APPEARANCE + "/browser",
            {"default_method": "UPLOAD", "upload_image": b64(image_bytes()), "text_value": ""},
        ),
        (APPEARANCE + "/initials", {"default_method": "TEXT", "text_value": "QX"}),
        (
            SETTINGS + "/metadata",
            {
                "signing_reason": "Agreed in full",
                "signing_location": "Leuven",
                "contact_information": "ana@desk",
            },
        ),
    ):
        assert (await client.put(url, json=body, headers=ana)).status_code == 200

    detailed = await signed_document(people, "HAND_SIGNATURE_WITH_DETAILS", initials=True)
    assert_pdfsig_valid(detailed, 2)
    assert signature_metadata(detailed) == [("Agreed in full", "Leuven", "ana@desk")] * 2
    text = pdf_text(detailed)
    assert "Ana" in text and "Reason: Agreed in full" in text, text
    assert "QX" in text, text  # the saved typed initials, not ones derived from the name
    assert red_pixels(detailed) > 50  # the saved hand signature image is on the stamp

    only_image = await signed_document(people, "HAND_SIGNATURE_ONLY", initials=False)
    assert_pdfsig_valid(only_image, 1)
    assert signature_metadata(only_image) == [("Agreed in full", "Leuven", "ana@desk")]
    assert "Reason:" not in pdf_text(only_image)  # the design shows the image alone
    assert red_pixels(only_image) > red_pixels(detailed) / 2

    no_image = await signed_document(people, "DETAILS_ONLY", initials=False)
    assert_pdfsig_valid(no_image, 1)
    assert "Reason: Agreed in full" in pdf_text(no_image)
    assert red_pixels(no_image) == 0


async def test_a_user_without_settings_signs_as_before(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    """Another enterprise's user with the same settings changes nothing for Ana."""
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    await client.put(
        APPEARANCE + "/browser",
        json={"default_method": "UPLOAD", "upload_image": b64(image_bytes())},
        headers=stranger,
    )
    await client.put(SETTINGS + "/metadata", json={"signing_reason": "Theirs"}, headers=stranger)
    people = await People(client, context, tenant).start("ana")
    pdf = await signed_document(people, "HAND_SIGNATURE_WITH_DETAILS", initials=False)
    assert_pdfsig_valid(pdf, 1)
    assert red_pixels(pdf) == 0
    assert "Theirs" not in pdf_text(pdf)
    assert signature_metadata(pdf) == [(None, None, None)]
