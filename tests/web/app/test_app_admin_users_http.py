"""The admin's users page over HTTP, on SQLite and PostgreSQL: admins only, inviting,
changing roles, disabling (which ends the account's sessions), every form with CSRF,
and nothing of another enterprise reachable."""

from __future__ import annotations

from sqlalchemy import select

from signflow.app import create_app
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import User
from tests.accounts.helpers import file_mails, send_mail, to
from tests.factories import Tenant
from tests.web.app.helpers import browser, form_token, sign_in

PAGE = "/app/admin/users"


async def _user(context: AppContext, email: str, enterprise_id: int | None = None) -> User:
    query = select(User).where(User.email == email, User.email_verified_at.is_not(None))
    if enterprise_id is not None:
        query = select(User).where(User.email == email, User.enterprise_id == enterprise_id)
    async with transaction(context.sessions) as session:
        user = await session.scalar(query)
        assert user is not None
        return user


async def test_only_admins_see_and_use_the_page(context: AppContext, tenant: Tenant) -> None:
    app = create_app(context=context)
    target = await _user(context, tenant.admin_email)
    async with browser(app) as client:
        await sign_in(client, tenant.user_email)
        home = await client.get("/app/")
        assert PAGE not in home.text
        assert (await client.get(PAGE)).status_code == 403
        token = await form_token(client, "/app/")
        for path, data in (
            (PAGE, {"email": "x@acme.test", "name": "X"}),
            (f"{PAGE}/{target.id}", {"enabled": "0"}),
        ):
            answer = await client.post(path, data={**data, "csrf": token})
            assert answer.status_code == 403, path
    assert (await _user(context, tenant.admin_email)).is_active


async def test_an_admin_invites_a_person(context: AppContext, tenant: Tenant) -> None:
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        page = await client.get(PAGE)
        assert page.status_code == 200 and tenant.user_email in page.text
        token = await form_token(client, PAGE)
        form = {"csrf": token, "email": "New.Person@acme.test", "name": "New Person"}
        answer = await client.post(PAGE, data={**form, "role": "admin"})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{PAGE}?done=invited"
        listed = await client.get(answer.headers["location"])
        assert "new.person@acme.test" in listed.text and "not yet activated" in listed.text
        again = await client.post(PAGE, data={**form, "role": "user"})
        assert again.status_code == 409 and "already exists" in again.text
    invited = await _user(context, "new.person@acme.test", tenant.enterprise_id)
    assert invited.role == "admin" and invited.email_verified_at is None
    await send_mail(context)
    assert to(file_mails(context), "new.person@acme.test")


async def test_an_admin_changes_roles_and_disables_accounts(
    context: AppContext, tenant: Tenant
) -> None:
    app = create_app(context=context)
    target = await _user(context, tenant.user_email)
    admin = await _user(context, tenant.admin_email)
    async with browser(app) as client, browser(app) as victim:
        await sign_in(victim, tenant.user_email)
        await sign_in(client, tenant.admin_email)
        token = await form_token(client, PAGE)
        role = await client.post(f"{PAGE}/{target.id}", data={"csrf": token, "role": "admin"})
        assert role.status_code == 303
        assert (await _user(context, tenant.user_email)).role == "admin"
        off = await client.post(f"{PAGE}/{target.id}", data={"csrf": token, "enabled": "0"})
        assert off.status_code == 303
        assert not (await _user(context, tenant.user_email)).is_active
        assert (await victim.get("/app/")).status_code == 303  # signed out
        own = await client.post(f"{PAGE}/{admin.id}", data={"csrf": token, "enabled": "0"})
        assert own.status_code == 400 and "your own account" in own.text
        on = await client.post(f"{PAGE}/{target.id}", data={"csrf": token, "enabled": "1"})
        assert on.status_code == 303
        assert (await _user(context, tenant.user_email)).is_active


async def test_another_enterprises_users_are_out_of_reach(
    context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    target = await _user(context, tenant.user_email)
    async with browser(create_app(context=context)) as intruder:
        await sign_in(intruder, other_tenant.admin_email)
        page = await intruder.get(PAGE)
        assert tenant.user_email not in page.text
        token = await form_token(intruder, PAGE)
        for data in ({"enabled": "0"}, {"role": "admin"}):
            answer = await intruder.post(f"{PAGE}/{target.id}", data={**data, "csrf": token})
            assert answer.status_code == 404
        # Inviting an address of the other enterprise makes a pending account here only.
        invite = {"csrf": token, "email": tenant.user_email, "name": "Same Address"}
        assert (await intruder.post(PAGE, data=invite)).status_code == 303
    after = await _user(context, tenant.user_email, tenant.enterprise_id)
    assert after.is_active and after.role == "user" and after.enterprise_id == tenant.enterprise_id


async def test_every_form_needs_its_csrf_token(context: AppContext, tenant: Tenant) -> None:
    target = await _user(context, tenant.user_email)
    async with browser(create_app(context=context)) as client:
        await sign_in(client, tenant.admin_email)
        own = await form_token(client, PAGE)
        for path, data in (
            (PAGE, {"email": "x@acme.test", "name": "X"}),
            (f"{PAGE}/{target.id}", {"enabled": "0"}),
        ):
            for token in (None, "forged"):
                body = data if token is None else {**data, "csrf": token}
                assert (await client.post(path, data=body)).status_code == 403
            cross = await client.post(
                path, data={**data, "csrf": own}, headers={"origin": "https://evil.test"}
            )
            assert cross.status_code == 403
    assert (await _user(context, tenant.user_email)).is_active
