"""Document-opening security through the SigningHub face: password, codes, access window."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.identity.codes import CodeCheck, check_code
from signflow.models import HistoryEntry, OneTimeCode, Recipient
from signflow.outbox.worker import Worker
from tests.factories import Tenant
from tests.identity.conftest import (
    age_codes,
    authentication,
    emailed_code,
    forget_verification,
    identity_row,
    shared_with_ana,
)
from tests.notify.conftest import SmtpServer
from tests.webhooks.receiver import Receiver

PASSWORD = "open sesame 42"


async def history(context: AppContext, package_id: int, action: str) -> list[dict[str, object]]:
    async with transaction(context.sessions) as session:
        rows = await session.scalars(
            select(HistoryEntry.details)
            .where(HistoryEntry.package_id == package_id, HistoryEntry.action == action)
            .order_by(HistoryEntry.sequence)
        )
        return list(rows)


async def test_password_opens_and_guards_every_read_and_action(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people, package_id, document_id = await shared_with_ana(
        client, context, tenant, authentication(password=PASSWORD)
    )
    ana = people["ana"]
    opened = f"/v3/packages/{package_id}/open"
    missing = await client.get(opened, headers=ana)
    assert (missing.status_code, missing.json()) == (
        403,
        {"Message": "A password is required to open this document", "Error": "password_required"},
    )
    for path in (
        f"/v3/packages/{package_id}/documents/{document_id}/details",
        f"/v3/packages/{package_id}/documents/{document_id}",
        f"/v3/packages/{package_id}/documents/{document_id}/images/1/Low",
        f"/v3/packages/{package_id}",
    ):
        refused = await client.get(path, headers=ana)
        assert (refused.status_code, refused.json()["Error"]) == (403, "password_required"), path
    action = await client.post(
        f"/v3/packages/{package_id}/decline", json={"reason": "x"}, headers=ana
    )
    assert (action.status_code, action.json()["Error"]) == (403, "password_required")
    wrong = await client.get(opened, headers=ana | {"x-password": "guess"})
    assert (wrong.status_code, wrong.json()) == (
        403,
        {"Message": "The password or code is not valid", "Error": "invalid_credentials"},
    )
    assert (await identity_row(context, package_id)).failures == 1
    right = await client.get(opened, headers=ana | {"x-password": PASSWORD})
    assert right.status_code == 200, right.text
    assert (await identity_row(context, package_id)).failures == 0
    details = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/details", headers=ana
    )
    assert details.status_code == 200
    # The owner reads without any check; the password is stored only as an argon2id hash.
    assert (await client.get(f"/v3/packages/{package_id}", headers=people.owner)).status_code == 200
    async with transaction(context.sessions) as session:
        recipient = await session.scalar(
            select(Recipient).where(Recipient.package_id == package_id)
        )
        assert recipient is not None
        stored = json.dumps(recipient.authentication)
    assert PASSWORD not in stored
    assert recipient.authentication["password"]["password_hash"].startswith("$argon2id$")  # type: ignore[index]
    assert [d["method"] for d in await history(context, package_id, "IDENTITY_VERIFIED")] == [
        "password"
    ]


async def test_authentication_password_endpoint_grants_access(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(password=PASSWORD)
    )
    url = f"/v3/packages/{package_id}/workflow/1/authentication/password"
    wrong = await client.post(url, json={"password": "nope"}, headers=people["ana"])
    assert (wrong.status_code, wrong.json()["Error"]) == (403, "invalid_credentials")
    owner = await client.post(url, json={"password": PASSWORD}, headers=people.owner)
    assert owner.status_code == 403  # only the recipient presents their password
    granted = await client.post(url, json={"password": PASSWORD}, headers=people["ana"])
    assert (granted.status_code, granted.json()) == (
        200,
        {"Message": "access to the document is granted"},
    )
    opened = await client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    assert opened.status_code == 200
    empty = await client.post(url, json={}, headers=people["ana"])
    assert empty.status_code == 400


async def test_email_code_opens_once_and_not_again(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, smtp_server: SmtpServer
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(email_otp=True)
    )
    ana = people["ana"]
    opened = f"/v3/packages/{package_id}/open"
    missing = await client.get(opened, headers=ana)
    assert (missing.status_code, missing.json()["Error"]) == (403, "otp_required")
    sent = await client.post(
        f"/v3/packages/{package_id}/workflow/1/authentication/otp", headers=ana
    )
    assert (sent.status_code, sent.content) == (200, b"")
    code = await emailed_code(context, smtp_server.sink)
    assert {tuple(m.rcpt_tos) for m in smtp_server.sink.messages} == {(people.email("ana"),)}
    # Stored only as a keyed hash, and the sealed copy for delivery is gone once sent.
    async with transaction(context.sessions) as session:
        row = await session.scalar(select(OneTimeCode))
        assert row is not None
        assert code not in row.code_hash and row.pending_delivery is None
        assert row.channel == "email"
    malformed = await client.get(opened, headers=ana | {"x-otp": "12ab"})
    assert malformed.status_code == 400
    assert (await client.get(opened, headers=ana | {"x-otp": code})).status_code == 200
    # Single use: the same code does not open a second time.
    await forget_verification(context, package_id)
    reused = await client.get(opened, headers=ana | {"x-otp": code})
    assert (reused.status_code, reused.json()["Error"]) == (403, "otp_used")
    assert (await identity_row(context, package_id)).failures == 0  # not a guess: not counted
    assert [d["channel"] for d in await history(context, package_id, "OTP_SENT")] == ["email"]


async def test_expired_code_is_refused_without_counting(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, smtp_server: SmtpServer
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(email_otp=True)
    )
    ana = people["ana"]
    await client.post(f"/v3/packages/{package_id}/workflow/1/authentication/otp", headers=ana)
    code = await emailed_code(context, smtp_server.sink)
    await age_codes(context, minutes=5, seconds=1)
    expired = await client.get(f"/v3/packages/{package_id}/open", headers=ana | {"x-otp": code})
    assert (expired.status_code, expired.json()) == (
        403,
        {"Message": "The code has expired; ask for a new one", "Error": "otp_expired"},
    )
    assert (await identity_row(context, package_id)).failures == 0


async def test_check_code_is_single_use(context: AppContext, tenant: Tenant):
    # The core rule under the API, including the race of two users of one code.
    from signflow.identity.codes import hash_code

    async with transaction(context.sessions) as session:
        from tests.identity.test_opening import _recipient_row

        recipient_id = await _recipient_row(session, context, tenant)
        now = utcnow()
        session.add(
            OneTimeCode(
                recipient_id=recipient_id,
                purpose="open",
                channel="email",
                code_hash=hash_code(context.settings, recipient_id, "open", "123456"),
                destination="x@example.com",
                created_at=now,
                expires_at=now + dt.timedelta(minutes=5),
            )
        )
        await session.flush()
        checks = [
            await check_code(session, context.settings, recipient_id, "open", value, now)
            for value in ("654321", "123456", "123456")
        ]
    assert checks == [CodeCheck.WRONG, CodeCheck.OK, CodeCheck.USED]


async def _recipient_row(session: object, context: AppContext, tenant: Tenant) -> int:
    from sqlalchemy.ext.asyncio import AsyncSession

    from signflow.models import Package, User

    assert isinstance(session, AsyncSession)
    owner = await session.scalar(select(User).where(User.email == tenant.user_email))
    assert owner is not None
    package = Package(enterprise_id=tenant.enterprise_id, owner_id=owner.id, name="p")
    session.add(package)
    await session.flush()
    recipient = Recipient(
        public_id="r_test",
        package_id=package.id,
        position=1,
        signing_order=1,
        email="x@example.com",
        name="X",
    )
    session.add(recipient)
    await session.flush()
    return recipient.id


async def test_resend_is_limited_to_one_a_minute_and_five_an_hour(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, smtp_server: SmtpServer
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(email_otp=True)
    )
    url = f"/v3/packages/{package_id}/workflow/1/authentication/otp"
    assert (await client.post(url, headers=people["ana"])).status_code == 200
    again = await client.post(url, headers=people["ana"])
    assert again.status_code == 429
    assert again.json()["Error"] == "too_many_requests"
    assert 1 <= int(again.headers["retry-after"]) <= 60
    for _ in range(4):
        await age_codes(context, seconds=61)
        assert (await client.post(url, headers=people["ana"])).status_code == 200
    await age_codes(context, seconds=61)
    sixth = await client.post(url, headers=people["ana"])
    assert (sixth.status_code, sixth.json()["Message"]) == (
        429,
        "At most 5 codes an hour may be sent",
    )
    await age_codes(context, minutes=60)
    assert (await client.post(url, headers=people["ana"])).status_code == 200


async def test_sms_code_through_the_http_gateway(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, receiver: Receiver
):
    context.settings.sms_channel = "http"
    context.settings.sms_gateway_url = receiver.url("/sms")
    context.settings.sms_gateway_token = "gw-token"
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(sms="+573001234567")
    )
    ana = people["ana"]
    sent = await client.post(
        f"/v3/packages/{package_id}/workflow/1/authentication/otp", headers=ana
    )
    assert sent.status_code == 200
    await Worker(context).run_until_idle()
    [request] = [r for r in receiver.requests if r.path == "/sms"]
    assert request.headers["authorization"] == "Bearer gw-token"
    body = json.loads(request.body)
    assert body["to"] == "+573001234567"
    code = body["message"][:6]
    assert code.isdigit()
    assert (await history(context, package_id, "OTP_SENT"))[0]["channel"] == "sms:http"
    opened = await client.get(f"/v3/packages/{package_id}/open", headers=ana | {"x-otp": code})
    assert opened.status_code == 200


async def test_sms_log_channel_writes_a_file_not_a_log_line(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
):
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(sms="+573001234567")
    )
    ana = people["ana"]
    await client.post(f"/v3/packages/{package_id}/workflow/1/authentication/otp", headers=ana)
    caplog.set_level("INFO")
    await Worker(context).run_until_idle()
    [file] = list(Path(context.settings.data_dir, "sms").iterdir())
    text = file.read_text()
    code = text.split("\n\n", 1)[1][:6]
    assert text.startswith("To: +573001234567")
    assert code not in caplog.text
    assert (await history(context, package_id, "OTP_SENT"))[0]["channel"] == "sms:log"
    opened = await client.get(f"/v3/packages/{package_id}/open", headers=ana | {"x-otp": code})
    assert opened.status_code == 200


def window(start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict[str, object]:
    return {
        "enabled": True,
        "duration_by_date": {
            "enabled": True,
            "duration": {
                "start_date_time": start.isoformat() if start else None,
                "end_date_time": end.isoformat() if end else None,
            },
        },
        "duration_by_days": {"enabled": False, "duration": {"total_days": None}},
    }


async def test_access_window_before_and_after(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    now = utcnow()
    people, package_id, document_id = await shared_with_ana(
        client, context, tenant, authentication(access=window(start=now + dt.timedelta(hours=1)))
    )
    early = await client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    assert (early.status_code, early.json()) == (
        403,
        {
            "Message": "You cannot access this document before the access period starts",
            "Error": "access_period_not_started",
        },
    )
    read = await client.get(
        f"/v3/packages/{package_id}/documents/{document_id}/details", headers=people["ana"]
    )
    assert read.status_code == 403
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Recipient)
            .where(Recipient.package_id == package_id)
            .values(access_duration=window(end=now - dt.timedelta(minutes=1)))
        )
    late = await client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    assert late.status_code == 403
    assert late.json()["Message"] == "You cannot access this document after the access period ends"
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Recipient)
            .where(Recipient.package_id == package_id)
            .values(
                access_duration=window(
                    start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1)
                )
            )
        )
    assert (
        await client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    ).status_code == 200


async def test_access_window_by_days_after_sharing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    by_days = {
        "enabled": True,
        "duration_by_date": {"enabled": False, "duration": {}},
        "duration_by_days": {"enabled": True, "duration": {"total_days": 2}},
    }
    people, package_id, _ = await shared_with_ana(
        client, context, tenant, authentication(access=by_days)
    )
    assert (
        await client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    ).status_code == 200
    async with transaction(context.sessions) as session:
        await session.execute(
            update(Recipient)
            .where(Recipient.package_id == package_id)
            .values(turn_started_at=utcnow() - dt.timedelta(days=2, minutes=1))
        )
    late = await client.get(f"/v3/packages/{package_id}/open", headers=people["ana"])
    assert (late.status_code, late.json()["Message"]) == (
        403,
        "You cannot access this document after the access period ends",
    )
