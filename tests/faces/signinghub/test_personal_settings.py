"""Profile picture, security question and the e-mail notification reset
(settings/profile/general/photo, settings/profile/security, settings/notifications/...)."""

from __future__ import annotations

import base64
import io

import httpx
from PIL import Image
from sqlalchemy import select

from signflow.accounts.credentials import verify_password
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import SecurityQuestion, User
from tests.factories import PASSWORD, Tenant, bearer
from tests.workflow.helpers import People

PHOTO = "/v4/settings/profile/general/photo"


def jpeg(size: tuple[int, int] = (64, 48)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 120, 200)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


async def test_profile_picture_round_trip_and_refusals(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben")
    ana = people["ana"]
    none = await client.get(PHOTO, headers=ana)
    assert (none.status_code, none.json()) == (404, {"Message": "No profile picture was uploaded"})
    saved = await client.put(PHOTO + "/base64", json={"photo": jpeg()}, headers=ana)
    assert (saved.status_code, saved.content) == (200, b"")
    raw = await client.get(PHOTO, headers=ana)
    assert raw.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(raw.content)) as img:
        assert (img.format, img.size) == ("PNG", (64, 48))
    encoded = await client.get(PHOTO + "/base64", headers=ana)
    assert base64.b64decode(encoded.content) == raw.content
    # Another user, of this enterprise or another, has no picture of theirs.
    assert (await client.get(PHOTO, headers=people["ben"])).status_code == 404
    stranger = await bearer(client, other_tenant, other_tenant.user_email)
    assert (await client.get(PHOTO, headers=stranger)).status_code == 404

    for case, body in {
        "not base64": {"photo": "**"},
        "not an image": {"photo": base64.b64encode(b"<svg/>").decode()},
        "too large a picture": {"photo": jpeg((4500, 8))},
        "no photo": {},
    }.items():
        response = await client.put(PHOTO + "/base64", json=body, headers=ana)
        assert response.status_code == 400, (case, response.text)
    assert (await client.get(PHOTO, headers=ana)).content == raw.content


async def test_security_question_needs_the_password_and_keeps_only_a_hash(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    url = "/v4/settings/profile/security"
    body = {"password": PASSWORD, "question": "First pet?", "answer": "Rex the Dog"}
    wrong = await client.put(url, json=body | {"password": "not it"}, headers=people["ana"])
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"Message": "The current password is not correct"},
    )
    for case, sent in {
        "empty question": body | {"question": " "},
        "empty answer": body | {"answer": ""},
        "no answer": {"password": PASSWORD, "question": "Q"},
    }.items():
        response = await client.put(url, json=sent, headers=people["ana"])
        assert response.status_code == 400, (case, response.text)
    async with transaction(context.sessions) as session:
        assert await session.scalar(select(SecurityQuestion)) is None

    saved = await client.put(url, json=body, headers=people["ana"])
    assert (saved.status_code, saved.content) == (200, b"")
    again = await client.put(url, json=body | {"question": "City?"}, headers=people["ana"])
    assert again.status_code == 200
    async with transaction(context.sessions) as session:
        user = await session.scalar(select(User).where(User.email == people.email("ana")))
        assert user is not None
        row = await session.get_one(SecurityQuestion, user.id)
        assert row.question == "City?"
        assert "Rex" not in row.answer_hash
        assert verify_password(row.answer_hash, "rex the dog")


async def test_reset_email_notifications_answers_as_the_guide(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana")
    url = "/v4/settings/notifications/email/reset"
    response = await client.put(url, headers=people["ana"])
    assert (response.status_code, response.content) == (200, b"")
    assert "content-type" not in response.headers
    assert (await client.put(url)).status_code == 401
