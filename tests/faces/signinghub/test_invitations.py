"""Invitations: an admin invites an address; only the account that proved the address,
signed in, sees, accepts or declines it. An invitation proves nothing: it cannot take over
an address that belongs to another enterprise's user, and one enterprise never sees or
changes another's invitations."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Invitation, User
from tests.accounts.helpers import file_mails, send_mail, text_of, to
from tests.factories import Tenant, bearer, create_package, sign_in

NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}
NOT_FOUND = {"Message": "Invitation not found"}


async def invite(
    client: httpx.AsyncClient, headers: dict[str, str], email: str, role: str = "user"
) -> httpx.Response:
    return await client.post(
        "/v4/enterprise/invitations",
        json={"user_email": email, "user_name": "Invited", "enterprise_role": role},
        headers=headers,
    )


async def user_row(context: AppContext, email: str) -> User:
    async with transaction(context.sessions) as session:
        user = await session.scalar(
            select(User).where(User.email == email, User.email_verified_at.is_not(None))
        )
    assert user is not None
    return user


async def test_an_invited_user_of_another_enterprise_accepts_and_moves(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    acme_user = await bearer(client, tenant, tenant.user_email)
    invited = await invite(client, globex_admin, tenant.user_email.upper(), role="admin")
    assert invited.status_code == 200, invited.text
    assert invited.json()["user_email"] == tenant.user_email
    assert invited.json()["status"] == "PENDING"

    await send_mail(context)
    [mail] = to(file_mails(context), tenant.user_email)
    assert "Globex" in str(mail["Subject"])
    assert "sign in to your account and accept" in " ".join(text_of(mail).split())

    listed = await client.get("/v4/enterprise/invitations/1/10", headers=globex_admin)
    assert listed.headers["x-total-records"] == "1"
    assert [i["user_email"] for i in listed.json()] == [tenant.user_email]
    # Acme's admin sees none of Globex's invitations.
    acme_admin = await bearer(client, tenant, tenant.admin_email)
    assert (await client.get("/v4/enterprise/invitations/1/10", headers=acme_admin)).json() == []

    mine = await client.post("/v4/account/invitations", headers=acme_user)
    assert mine.status_code == 200
    assert [(i["enterprise_name"], i["enterprise_role"]) for i in mine.json()] == [
        ("Globex", "admin")
    ]
    accepted = await client.put(
        "/v4/account/invitations", json={"enterprise_name": "Globex"}, headers=acme_user
    )
    assert accepted.status_code == 200, accepted.text
    moved = await user_row(context, tenant.user_email)
    assert (moved.enterprise_id, moved.role) == (other_tenant.enterprise_id, "admin")
    # Every token went with the old enterprise's application; signing in through the new
    # enterprise's works.
    assert (await client.get("/v4/settings/profile", headers=acme_user)).status_code == 401
    assert (await sign_in(client, other_tenant, tenant.user_email))["access_token"]
    async with transaction(context.sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 0


async def test_an_invitation_cannot_take_over_an_address(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    """Globex invites Acme's user and registers the address as its own pending user: the
    address stays with Acme's account, Globex's admin cannot accept for it, and declining
    leaves the account where it was."""
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    assert (await invite(client, globex_admin, tenant.user_email)).status_code == 200
    registered = await client.post(
        "/v4/enterprise/users",
        json={"user_email": tenant.user_email, "user_name": "Mine now"},
        headers=globex_admin,
    )
    assert registered.status_code == 201
    # Globex's admin may not act for Acme's user, and cannot accept for them.
    scoped = await client.post(
        "/authenticate",
        data={
            "grant_type": "password",
            "client_id": other_tenant.client_id,
            "client_secret": other_tenant.client_secret,
            "username": other_tenant.admin_email,
            "password": other_tenant.password,
            "scope": tenant.user_email,
        },
    )
    assert scoped.status_code in (400, 401, 403)
    own = await client.put(
        "/v4/account/invitations", json={"enterprise_name": "Globex"}, headers=globex_admin
    )
    assert own.status_code == 404
    assert own.json() == NOT_FOUND
    owner = await user_row(context, tenant.user_email)
    assert owner.enterprise_id == tenant.enterprise_id

    acme_user = await bearer(client, tenant, tenant.user_email)
    declined = await client.delete("/v4/account/invitations", headers=acme_user)
    assert declined.status_code == 200
    assert (await client.post("/v4/account/invitations", headers=acme_user)).json() == []
    listed = (await client.get("/v4/enterprise/invitations/1/10", headers=globex_admin)).json()
    assert [i["status"] for i in listed] == ["DECLINED"]
    refused = await client.put(
        "/v4/account/invitations", json={"enterprise_name": "Globex"}, headers=acme_user
    )
    assert refused.status_code == 404
    assert (await user_row(context, tenant.user_email)).enterprise_id == tenant.enterprise_id


async def test_an_account_tied_to_its_enterprise_cannot_leave(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    acme_user = await bearer(client, tenant, tenant.user_email)
    await create_package(client, acme_user)
    await invite(client, globex_admin, tenant.user_email)
    refused = await client.put(
        "/v4/account/invitations", json={"enterprise_name": "Globex"}, headers=acme_user
    )
    assert refused.status_code == 409
    assert refused.json() == {
        "Message": "Your account owns document packages in its enterprise: hand them over first"
    }
    assert (await user_row(context, tenant.user_email)).enterprise_id == tenant.enterprise_id
    assert (await client.get("/v4/settings/profile", headers=acme_user)).status_code == 200
    # The enterprise's only admin cannot leave it either.
    await invite(client, globex_admin, tenant.admin_email)
    acme_admin = await bearer(client, tenant, tenant.admin_email)
    alone = await client.put(
        "/v4/account/invitations", json={"enterprise_name": "Globex"}, headers=acme_admin
    )
    assert alone.status_code == 409


async def test_invitations_are_an_admins_and_scoped_to_the_enterprise(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    acme_user = await bearer(client, tenant, tenant.user_email)
    acme_admin = await bearer(client, tenant, tenant.admin_email)
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    for response in (
        await invite(client, acme_user, "x@example.test"),
        await client.get("/v4/enterprise/invitations/1/10", headers=acme_user),
        await client.request(
            "DELETE",
            "/v4/enterprise/invitations",
            json={"user_email": "x@example.test"},
            headers=acme_user,
        ),
    ):
        assert response.status_code == 403
        assert response.json() == NOT_ALLOWED
    own_user = await invite(client, acme_admin, tenant.user_email)
    assert own_user.status_code == 409
    assert own_user.json() == {"Message": "This user is already a user of your enterprise"}
    bad = await client.post(
        "/v4/enterprise/invitations", json={"user_email": "not-an-address"}, headers=acme_admin
    )
    assert bad.status_code == 400

    assert (await invite(client, acme_admin, "new@example.test")).status_code == 200
    # Globex cannot withdraw Acme's invitation: for Globex it does not exist.
    foreign = await client.request(
        "DELETE",
        "/v4/enterprise/invitations",
        json={"user_email": "new@example.test"},
        headers=globex_admin,
    )
    assert foreign.status_code == 404
    assert foreign.json() == NOT_FOUND
    # Inviting again updates it (one row); withdrawing removes it.
    assert (await invite(client, acme_admin, "new@example.test", role="admin")).status_code == 200
    listed = (await client.get("/v4/enterprise/invitations/1/10", headers=acme_admin)).json()
    assert [(i["user_email"], i["enterprise_role"]) for i in listed] == [
        ("new@example.test", "admin")
    ]
    withdrawn = await client.request(
        "DELETE",
        "/v4/enterprise/invitations",
        json={"user_email": "new@example.test"},
        headers=acme_admin,
    )
    assert withdrawn.status_code == 200
    assert (await client.get("/v4/enterprise/invitations/1/10", headers=acme_admin)).json() == []
    for page in ("0/10", "1/0", "1/101"):
        response = await client.get(f"/v4/enterprise/invitations/{page}", headers=acme_admin)
        assert response.status_code == 400


async def test_an_address_without_an_account_is_told_how_to_join(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """The admin's answer is the same as for an address with an account (nothing leaks);
    the mail, with registration off, tells the person to ask to be registered."""
    admin = await bearer(client, tenant, tenant.admin_email)
    response = await invite(client, admin, "stranger@example.test")
    assert response.status_code == 200
    await send_mail(context)
    [mail] = to(file_mails(context), "stranger@example.test")
    text = " ".join(text_of(mail).split())
    assert "does not let people register themselves" in text
    assert "/web/" not in text  # no link: an invitation is no credential


async def test_an_admin_acting_for_a_member_cannot_see_or_answer_their_invitations(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    globex_admin = await bearer(client, other_tenant, other_tenant.admin_email)
    await invite(client, globex_admin, tenant.user_email)
    tokens = await sign_in(client, tenant, tenant.admin_email, scope=tenant.user_email)
    scoped = {"Authorization": f"Bearer {tokens['access_token']}"}
    scoped_text = {
        "Message": "A token acting for another user cannot see or answer their invitations"
    }
    for response in (
        await client.post("/v4/account/invitations", headers=scoped),
        await client.put(
            "/v4/account/invitations", json={"enterprise_name": "Globex"}, headers=scoped
        ),
        await client.delete("/v4/account/invitations", headers=scoped),
    ):
        assert response.status_code == 403
        assert response.json() == scoped_text
    listed = (await client.get("/v4/enterprise/invitations/1/10", headers=globex_admin)).json()
    assert [i["status"] for i in listed] == ["PENDING"]
    assert (await user_row(context, tenant.user_email)).enterprise_id == tenant.enterprise_id
