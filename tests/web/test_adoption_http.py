"""Adopting a signature once over HTTP, on SQLite and PostgreSQL: an uploaded image
re-encoded with its transparency, each further field one post without any image, the
adoption in the history; bad images, another recipient, and an ended turn refused."""

from __future__ import annotations

import base64
import io

import httpx
from PIL import Image
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry, SignatureAdoption
from tests.factories import Tenant
from tests.web.test_web_http import _csrf, _links, _path
from tests.workflow.helpers import People, add_users, new_package, share

JSON = {"accept": "application/json"}
CONSENT = "By selecting Sign, I agree that my electronic signature"


def at(x: float, y: float, w: float = 160, h: float = 50) -> dict[str, float]:
    return {"x": x, "y": y, "width": w, "height": h}


def png(size: tuple[int, int] = (300, 100), mode: str = "RGBA") -> bytes:
    """A stroke on a transparent background."""
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else 0)
    for x in range(20, size[0] - 20):
        image.putpixel((x, size[1] // 2), (10, 31, 92, 255) if mode == "RGBA" else 1)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def data_url(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode("ascii")


async def _package(client: httpx.AsyncClient, context: AppContext, tenant: Tenant) -> tuple:
    people = await People(client, context, tenant).start()
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    base = f"/v4/packages/{package_id}/documents/{document_id}/fields"
    for kind, order, name, box in (
        ("digital_signature", 1, "AnaSigns", at(72, 80)),
        ("initials", 1, "AnaInitials", at(300, 80, 80, 40)),
        ("digital_signature", 1, "AnaSignsAgain", at(72, 200)),
        ("digital_signature", 2, "BenSigns", at(72, 400)),
    ):
        body = {"order": order, "page_no": 1, "field_name": name, "dimensions": box}
        response = await client.post(f"{base}/{kind}", json=body, headers=people.owner)
        assert response.status_code == 200, response.text
    await share(people, package_id)
    return people, package_id, document_id


def _adopt_form(csrf: str, document_id: int, field: str, image: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "document_id": str(document_id),
        "field_name": field,
        "adopt": "1",
        "adopt_method": "uploaded",
        "hand_signature_image": image,
        "initials_image": data_url(png((120, 80))),
        "initials": "AL",
    }


async def _refusal(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    response = await client.post("/web/package/sign", data=form, headers=JSON)
    assert 400 <= response.status_code < 500, response.text
    return response


async def test_an_uploaded_signature_is_adopted_once_then_each_field_is_one_post(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    _people, package_id, document_id = await _package(client, context, tenant)
    links = await _links(context, package_id)
    await client.get(_path(links["ana"]))
    html = (await client.get("/web/package")).text
    assert 'id="adopt-panel"' in html and "data-adopted" not in html
    assert 'name="initials" maxlength="10" value="A"' in html  # from "Ana", not the name
    csrf = _csrf(html, "/web/package/sign")
    # Nothing adopted yet: neither the image nor a one-tap post.
    assert (await client.get("/web/package/adopted/signature.png")).status_code == 404
    one_tap = {
        "csrf": csrf,
        "document_id": str(document_id),
        "field_name": "AnaSigns",
        "use_adopted": "1",
    }
    missing = await _refusal(client, one_tap)
    assert missing.json()["message"].startswith("Adopt your signature first")

    # Bad uploads: each a clear 4xx, nothing kept.
    not_image = await _refusal(
        client, _adopt_form(csrf, document_id, "AnaSigns", data_url(b"%PDF-1.7 not an image"))
    )
    assert not_image.json()["message"] == "The signature must be a PNG or JPEG image."
    not_base64 = await _refusal(client, _adopt_form(csrf, document_id, "AnaSigns", "data:,%%%"))
    assert not_base64.json()["message"] == "The signature must be a PNG or JPEG image."
    huge = data_url(b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024 + 10))
    too_large = await _refusal(client, _adopt_form(csrf, document_id, "AnaSigns", huge))
    assert too_large.json()["message"] == "The image must be at most 1 MB."
    # A small file whose header promises 400 million pixels: refused before decoding.
    bomb = png((20000, 20000), mode="1")
    assert len(bomb) < 1024 * 1024
    bombed = await _refusal(client, _adopt_form(csrf, document_id, "AnaSigns", data_url(bomb)))
    assert bombed.json()["message"] == "The image must be at most 4000 pixels wide and high."
    no_initials = _adopt_form(csrf, document_id, "AnaSigns", data_url(png())) | {"initials": ""}
    assert (await _refusal(client, no_initials)).json()["message"].startswith("Give your initials")
    bad_style = _adopt_form(csrf, document_id, "AnaSigns", data_url(png())) | {
        "adopt_method": "typed",
        "adopt_style": "comic-sans",
        "typed_name": "Ana",
    }
    assert (await _refusal(client, bad_style)).status_code == 400
    async with transaction(context.sessions) as session:
        assert list(await session.scalars(select(SignatureAdoption))) == []

    # Adopted with the first signature: a JPEG upload works too, then a PNG replaces it.
    jpeg = io.BytesIO()
    Image.new("RGB", (200, 80), "white").save(jpeg, "JPEG")
    form = _adopt_form(csrf, document_id, "AnaSigns", data_url(jpeg.getvalue(), "image/jpeg"))
    signed = await client.post("/web/package/sign", data=form)
    assert signed.status_code == 303 and signed.headers["location"] == "/web/package"
    html = (await client.get("/web/package")).text
    assert "The field “AnaSigns” is signed." in html
    assert 'id="adopted-panel"' in html and 'form="adopted-field-' in html
    shown = await client.get("/web/package/adopted/signature.png")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(shown.content)).mode == "RGB"

    # "Change my signature": the PNG (transparent background kept) for the next field.
    form = _adopt_form(csrf, document_id, "AnaSignsAgain", data_url(png()))
    assert (await client.post("/web/package/sign", data=form)).status_code == 303
    shown = await client.get("/web/package/adopted/signature.png")
    adopted = Image.open(io.BytesIO(shown.content))
    assert adopted.mode == "RGBA" and adopted.getpixel((0, 0))[3] == 0
    assert adopted.getpixel((150, 50))[3] == 255
    initials = await client.get("/web/package/adopted/initials.png")
    assert initials.status_code == 200

    # The initials field: one post, no image sent.
    one_tap["field_name"] = "AnaInitials"
    assert (await client.post("/web/package/sign", data=one_tap)).status_code == 303
    html = (await client.get("/web/package")).text
    assert "The field “AnaInitials” is signed." in html
    async with transaction(context.sessions) as session:
        rows = list(await session.scalars(select(SignatureAdoption)))
        assert len(rows) == 1  # replaced, not added
        entries = list(
            await session.scalars(
                select(HistoryEntry)
                .where(
                    HistoryEntry.package_id == package_id,
                    HistoryEntry.action == "SIGNATURE_ADOPTED",
                )
                .order_by(HistoryEntry.sequence)
            )
        )
    assert [e.details["method"] for e in entries] == ["uploaded", "uploaded"]
    assert entries[-1].details["signature_sha256"] == rows[0].signature_sha256
    assert entries[-1].details["initials"] == "AL"
    assert str(entries[-1].details["consent"]).startswith(CONSENT)

    # Ben's turn: Ana's adoption is not his, before or after her turn ends.
    finished = await client.post("/web/package/finish", data={"csrf": csrf})
    assert finished.status_code == 303
    after_turn = await client.get("/web/package/adopted/signature.png")
    assert after_turn.status_code == 404
    one_tap["field_name"] = "AnaSignsAgain"
    assert (await _refusal(client, one_tap)).status_code in (403, 409)
    client.cookies.clear()
    await client.get(_path(links["ben"]))
    html = (await client.get("/web/package")).text
    assert 'id="adopt-panel"' in html and "data-adopted" not in html
    assert (await client.get("/web/package/adopted/signature.png")).status_code == 404
    ben_csrf = _csrf(html, "/web/package/sign")
    theirs = await _refusal(
        client,
        {
            "csrf": ben_csrf,
            "document_id": str(document_id),
            "field_name": "BenSigns",
            "use_adopted": "1",
        },
    )
    assert theirs.status_code == 409
    # Nor can he sign Ana's field with his own.
    form = _adopt_form(ben_csrf, document_id, "AnaSignsAgain", data_url(png())) | {"initials": "B"}
    assert (await _refusal(client, form)).status_code == 403
