from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default

import httpx
import pytest
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import OneTimeCode, Recipient, RecipientIdentity
from signflow.outbox.worker import Worker
from tests.factories import Tenant
from tests.notify.conftest import Sink, SmtpServer, smtp_server, smtp_server_factory  # noqa: F401
from tests.workflow.helpers import People, add_users, new_package, share


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:  # noqa: F811
    return {
        "smtp_url": f"smtp://127.0.0.1:{smtp_server.port}",
        "webhook_allowed_networks": "127.0.0.0/8",
        "webhook_timeout_seconds": 2.0,
    }


def authentication(
    *,
    password: str | None = None,
    sms: str | None = None,
    email_otp: bool = False,
    access: dict[str, object] | None = None,
) -> dict[str, object]:
    return {
        "authentication": {
            "enabled": bool(password or sms or email_otp),
            "password": {"enabled": password is not None, "user_password": password},
            "sms_otp": {"enabled": sms is not None, "mobile_number": sms},
            "email_otp": {"enabled": email_otp},
        },
        "access_duration": access or {"enabled": False},
    }


async def shared_with_ana(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, settings: dict[str, object]
) -> tuple[People, int, int]:
    """A shared package whose first signer, Ana, has the given opening settings."""
    people = await People(client, context, tenant).start("ana")
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    response = await client.put(
        f"/v3/packages/{package_id}/workflow/1/authentication", json=settings, headers=people.owner
    )
    assert response.status_code == 200, response.text
    await share(people, package_id)
    return people, package_id, document_id


def code_in(message_bytes: bytes) -> str:
    message = email.message_from_bytes(message_bytes, policy=default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"\b(\d{6})\b", body.get_content())
    assert found, "no code in the email"
    return found.group(1)


async def emailed_code(context: AppContext, sink: Sink) -> str:
    """Run the worker; the one new verification email's code."""
    before = len(sink.messages)
    await Worker(context).run_until_idle()
    codes = [m for m in sink.messages[before:] if b"verification code" in m.data]
    assert len(codes) == 1
    return code_in(codes[0].data)


async def identity_row(context: AppContext, package_id: int, order: int = 1) -> RecipientIdentity:
    async with transaction(context.sessions) as session:
        recipient = await session.scalar(
            select(Recipient).where(Recipient.package_id == package_id, Recipient.position == order)
        )
        assert recipient is not None
        row = await session.get(RecipientIdentity, recipient.id)
        return row if row is not None else RecipientIdentity(recipient_id=recipient.id, failures=0)


async def forget_verification(context: AppContext, package_id: int) -> None:
    """As if the recipient came back in a new session that never verified."""
    async with transaction(context.sessions) as session:
        ids = select(Recipient.id).where(Recipient.package_id == package_id)
        await session.execute(
            update(RecipientIdentity)
            .where(RecipientIdentity.recipient_id.in_(ids))
            .values(verified_at=None, verified_by=None)
        )


async def age_codes(context: AppContext, **delta: float) -> None:
    import datetime as dt

    shift = dt.timedelta(**delta)
    async with transaction(context.sessions) as session:
        for code in await session.scalars(select(OneTimeCode)):
            code.created_at -= shift
            code.expires_at -= shift
