"""Self-registration, enabled by the operator: into the enterprise that invited the
address, or else the configured one; pending until the address is proven; the same
answer for an address already registered."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Invitation, User
from tests.accounts.helpers import activate_by_mail, file_mails, send_mail, text_of, to
from tests.factories import Tenant, bearer, sign_in


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"self_registration": True, "self_registration_enterprise": "Acme"}


async def accounts(context: AppContext, email: str) -> list[tuple[int, str, bool]]:
    async with transaction(context.sessions) as session:
        rows = await session.execute(
            select(User.enterprise_id, User.role, User.email_verified_at.is_not(None))
            .where(User.email == email)
            .order_by(User.id)
        )
        return [(e, r, bool(v)) for e, r, v in rows]


async def test_a_person_registers_into_the_configured_enterprise_and_proves_the_address(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    app = await bearer(client, other_tenant, other_tenant.admin_email)
    body = {
        "user_email": "Self@Example.test",
        "user_name": "Self",
        "job_title": "Notary",
        "invitation": {},
    }
    response = await client.post("/v4/account", json=body, headers=app)
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert await accounts(context, "self@example.test") == [(tenant.enterprise_id, "user", False)]
    # Again: the same answer, no second account.
    assert (await client.post("/v4/account", json=body, headers=app)).status_code == 200
    assert len(await accounts(context, "self@example.test")) == 1
    await activate_by_mail(client, context, "self@example.test", "my own passphrase")
    assert (await sign_in(client, tenant, "self@example.test", "my own passphrase"))["access_token"]


async def test_an_invited_person_registers_into_the_inviting_enterprise(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    invited = await client.post(
        "/v4/enterprise/invitations",
        json={"user_email": "new@example.test", "user_name": "New", "enterprise_role": "admin"},
        headers=globex_admin,
    )
    assert invited.status_code == 200
    await send_mail(context)
    [mail] = to(file_mails(context), "new@example.test")
    assert "naming the invitation" in " ".join(text_of(mail).split())
    registered = await client.post(
        "/v4/account",
        json={
            "user_email": "new@example.test",
            "user_name": "New",
            "invitation": {"enterprise_name": "Globex"},
        },
        headers=globex_admin,
    )
    assert registered.status_code == 200
    assert await accounts(context, "new@example.test") == [
        (other_tenant.enterprise_id, "admin", False)
    ]
    async with transaction(context.sessions) as session:
        assert await session.scalar(select(Invitation.id)) is None
    # Naming an enterprise that did not invite the address: the configured one instead.
    other = await client.post(
        "/v4/account",
        json={
            "user_email": "x@example.test",
            "user_name": "X",
            "invitation": {"enterprise_name": "Globex"},
        },
        headers=globex_admin,
    )
    assert other.status_code == 200
    assert await accounts(context, "x@example.test") == [(tenant.enterprise_id, "user", False)]


async def test_registering_an_address_with_an_account_changes_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    app = await bearer(client, tenant, tenant.admin_email)
    response = await client.post(
        "/v4/account",
        json={"user_email": tenant.user_email, "user_name": "Again"},
        headers=app,
    )
    assert response.status_code == 200
    assert await accounts(context, tenant.user_email) == [(tenant.enterprise_id, "user", True)]
    bad = await client.post("/v4/account", json={"user_email": "x@example.test"}, headers=app)
    assert bad.status_code == 400
