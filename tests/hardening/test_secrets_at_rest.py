"""After a full workflow, the database holds no secret in clear, and no log line or URL a token."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from sqlalchemy import select, text

from signflow.context import AppContext
from signflow.db import Base, transaction
from signflow.models import User
from signflow.outbox.worker import Worker
from tests.factories import PASSWORD, Tenant, create_package, sign_in, upload_document
from tests.pdf.builders import make_pdf
from tests.webhooks.receiver import Receiver

ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allowed_networks": "127.0.0.0/8"}


async def database_dump(context: AppContext) -> str:
    parts = []
    async with transaction(context.sessions) as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(text(f'SELECT * FROM "{table.name}"'))
            for row in rows:
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


async def test_no_secret_is_stored_or_logged_in_clear(
    client: httpx.AsyncClient,
    tenant: Tenant,
    context: AppContext,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    owner_tokens = await sign_in(client, tenant, tenant.admin_email)
    signer_tokens = await sign_in(client, tenant, tenant.user_email)
    refreshed = await client.post(
        "/authenticate",
        data={
            "grant_type": "refresh_token",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "refresh_token": signer_tokens["refresh_token"],
        },
    )
    signer_tokens = refreshed.json()
    owner = {"Authorization": f"Bearer {owner_tokens['access_token']}"}
    signer = {"Authorization": f"Bearer {signer_tokens['access_token']}"}
    endpoint = await client.post("/v3/webhooks", json={"url": receiver.url()}, headers=owner)
    webhook_secret = endpoint.json()["secret"]
    package_id = await create_package(client, owner)
    document_id = await upload_document(client, owner, package_id, make_pdf())
    await client.post(
        f"/v3/packages/{package_id}/workflow/users",
        json=[{"user_email": tenant.user_email, "user_name": "Signer", "role": "SIGNER"}],
        headers=owner,
    )
    await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "S",
            "dimensions": {"x": 72, "y": 100, "width": 150, "height": 50},
        },
        headers=owner,
    )
    await client.post(f"/v3/packages/{package_id}/workflow", headers=owner)
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "S"},
        headers=signer,
    )
    assert signed.status_code == 200, signed.text
    assert (
        await client.post(f"/v3/packages/{package_id}/finish", headers=signer)
    ).status_code == 200
    await Worker(context).run_until_idle()
    assert receiver.requests, "the workflow notified the endpoint"

    secrets = {
        "owner access token": owner_tokens["access_token"],
        "owner refresh token": owner_tokens["refresh_token"],
        "signer access token": signer_tokens["access_token"],
        "signer refresh token": signer_tokens["refresh_token"],
        "client secret": tenant.client_secret,
        "api key": tenant.api_key,
        "password": PASSWORD,
        "webhook secret": webhook_secret,
        "webhook secret body": webhook_secret.removeprefix("whsec_"),
        "secret key": context.settings.effective_secret_key,
    }
    dump = await database_dump(context)
    for name, value in secrets.items():
        assert str(value) not in dump, f"the {name} is stored in clear"

    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    for name in ("owner access token", "signer access token", "owner refresh token"):
        assert str(secrets[name]) not in logged, f"the {name} appears in a log line"
    for request in receiver.requests:
        assert str(secrets["owner access token"]) not in request.path

    async with transaction(context.sessions) as session:
        hashes = list(await session.scalars(select(User.password_hash)))
    assert hashes
    for password_hash in hashes:
        match = ARGON2.match(password_hash or "")
        assert match, password_hash
        memory, time_cost, parallelism = (int(group) for group in match.groups())
        assert memory >= 19 * 1024 and time_cost >= 2 and parallelism >= 1
