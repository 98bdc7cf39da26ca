"""E-mail ownership: an account holds an address's recipient rights only once it has
proven the address, and another enterprise can neither claim it nor learn that it has
an account (docs/security.md, "E-mail ownership")."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from signflow.accounts.tokens import issue_tokens
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Application, User
from tests.accounts.helpers import activate, activation_path, send_mail, smtp_mails, text_of, to
from tests.factories import PASSWORD, Tenant, bearer, create_package, sign_in, upload_document
from tests.notify.conftest import SmtpServer
from tests.workflow.helpers import make_pdf

VICTIM = "dana@outside.test"
INVALID_GRANT = {"error": "invalid_grant", "error_description": "Invalid username or password"}
NOT_FOUND = {"Message": "Document not found"}
NOT_ALLOWED = {"Message": "You are not allowed to perform the requested operation"}
BOX = {"x": 72, "y": 100, "width": 150, "height": 50}


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:
    return {"smtp_url": f"smtp://127.0.0.1:{smtp_server.port}"}


def auth(tokens: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def password_grant(
    client: httpx.AsyncClient,
    app_of: Tenant,
    username: str,
    password: str,
    scope: str | None = None,
) -> httpx.Response:
    form = {
        "grant_type": "password",
        "client_id": app_of.client_id,
        "client_secret": app_of.client_secret,
        "username": username,
        "password": password,
    }
    if scope:
        form["scope"] = scope
    return await client.post("/authenticate", data=form)


async def shared_package(
    client: httpx.AsyncClient, owner: dict[str, str], signer: str
) -> tuple[int, int]:
    """A package sent to `signer` for one signature, shared: their turn is open."""
    package_id = await create_package(client, owner, "Loan agreement")
    document_id = await upload_document(client, owner, package_id, make_pdf(1))
    added = await client.post(
        f"/v3/packages/{package_id}/workflow/users",
        json=[{"user_email": signer, "user_name": "Dana", "role": "SIGNER"}],
        headers=owner,
    )
    assert added.status_code == 200, added.text
    field = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
        json={"order": 1, "page_no": 1, "field_name": "Dana", "dimensions": BOX},
        headers=owner,
    )
    assert field.status_code == 200, field.text
    shared = await client.post(f"/v3/packages/{package_id}/workflow", headers=owner)
    assert shared.status_code == 200, shared.text
    return package_id, document_id


async def token_of(context: AppContext, tenant: Tenant, email: str) -> dict[str, str]:
    """A token for the account `email` of `tenant`, issued by the core as a sign-in would:
    what an attacker would hold had any way in been left open."""
    async with transaction(context.sessions) as session:
        user = await session.scalar(
            select(User).where(User.email == email, User.enterprise_id == tenant.enterprise_id)
        )
        application = await session.scalar(
            select(Application).where(Application.name == tenant.client_id)
        )
        assert user is not None and application is not None
        issued = await issue_tokens(session, context.settings, user=user, application=application)
    return {"Authorization": f"Bearer {issued.access_token}"}


async def listed(client: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    response = await client.get("/v3/packages/ALL/1/100", headers=headers)
    assert response.status_code == 200, response.text
    return [item["package_id"] for item in response.json()]


async def assert_cannot_touch(
    client: httpx.AsyncClient, headers: dict[str, str], package_id: int, document_id: int
) -> None:
    """Nothing of the package: not listed, every read as if it did not exist, and no
    action (a scoped token's signing is refused before the package is even looked up)."""
    assert package_id not in await listed(client, headers)
    base = f"/v3/packages/{package_id}"
    for path in (
        base,
        f"{base}/documents/{document_id}",
        f"{base}/documents/{document_id}/details",
        f"{base}/log",
        f"{base}/workflow",
        f"{base}/open",
    ):
        response = await client.get(path, headers=headers)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), path
    for path, body in (
        (f"{base}/documents/{document_id}/sign", {"field_name": "Dana"}),
        (f"{base}/finish", None),
    ):
        response = await client.post(path, json=body, headers=headers)
        refused = (response.status_code, response.json())
        assert refused in ((404, NOT_FOUND), (403, NOT_ALLOWED)), path


async def workflow_statuses(
    client: httpx.AsyncClient, owner: dict[str, str], package_id: int
) -> tuple[str, list[str]]:
    response = await client.get(f"/v3/packages/{package_id}/workflow", headers=owner)
    body = response.json()
    return body["workflow"]["workflow_status"], [u["process_status"] for u in body["users"]]


async def test_another_enterprise_cannot_take_over_an_external_recipient(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    smtp_server: SmtpServer,
):
    """The round-two takeover, end to end: Globex's admin registers the address of a
    person Acme sent a package to, and gets nowhere; the person activates through the
    mailed link and then signs and finishes as usual."""
    owner = await bearer(client, tenant, tenant.user_email)
    package_id, document_id = await shared_package(client, owner, VICTIM)

    attacker = await bearer(client, other_tenant, other_tenant.admin_email)
    created = await client.post(
        "/v3/enterprise/users",
        json={"user_email": VICTIM, "user_name": "Dana", "user_password": "chosen-by-attacker"},
        headers=attacker,
    )
    assert created.status_code == 201, created.text
    assert created.json()["activated"] is False

    # Signing in as the registered account fails like a wrong password, through either
    # enterprise's application; acting as it through scope is refused.
    for app_of in (other_tenant, tenant):
        response = await password_grant(client, app_of, VICTIM, "chosen-by-attacker")
        assert (response.status_code, response.json()) == (400, INVALID_GRANT)
    scoped = await password_grant(
        client, other_tenant, other_tenant.admin_email, PASSWORD, scope=VICTIM
    )
    assert scoped.status_code == 403, scoped.text
    switched = await client.post(
        "/v4/authenticate/scope", json={"user_email": VICTIM}, headers=attacker
    )
    assert switched.status_code == 403, switched.text

    # Even holding a token of the pending account, nothing of Acme's package is reachable.
    await assert_cannot_touch(
        client, await token_of(context, other_tenant, VICTIM), package_id, document_id
    )
    assert await workflow_statuses(client, owner, package_id) == ("SHARED", ["IN_PROGRESS"])

    # The person gets the activation link (beside Acme's signing invitation), from Globex.
    await send_mail(context)
    mails = to(smtp_mails(smtp_server), VICTIM)
    [mail] = [m for m in mails if "/web/activate/" in text_of(m)]
    assert other_tenant.name in mail["Subject"]
    path = activation_path(mail)
    page = await client.get(path)
    assert page.status_code == 200
    assert VICTIM in page.text and other_tenant.name in page.text
    done = await activate(client, path, "dana's own password")
    assert done.status_code == 200, done.text
    assert (await activate(client, path, "a second try at it")).status_code == 404

    # Now the account is hers: the attacker's password is gone, hers works, and she
    # acts on Acme's package normally.
    stale = await password_grant(client, other_tenant, VICTIM, "chosen-by-attacker")
    assert (stale.status_code, stale.json()) == (400, INVALID_GRANT)
    dana = auth(await sign_in(client, other_tenant, VICTIM, "dana's own password"))
    assert package_id in await listed(client, dana)
    assert (await client.get(f"/v3/packages/{package_id}/log", headers=dana)).status_code == 200
    download = await client.get(f"/v3/packages/{package_id}", headers=dana)
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    signed = await client.post(
        f"/v3/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "Dana"},
        headers=dana,
    )
    assert signed.status_code == 200, signed.text
    finished = await client.post(f"/v3/packages/{package_id}/finish", headers=dana)
    assert finished.status_code == 200, finished.text
    assert await workflow_statuses(client, owner, package_id) == ("COMPLETED", ["SIGNED"])

    # Globex's admin, acting as her through scope, still reaches nothing of Acme's.
    as_her = auth(await sign_in(client, other_tenant, other_tenant.admin_email, scope=VICTIM))
    assert package_id not in await listed(client, as_her)
    response = await client.get(f"/v3/packages/{package_id}", headers=as_her)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_registering_an_address_that_has_an_account_elsewhere_reveals_nothing(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    smtp_server: SmtpServer,
):
    attacker = await bearer(client, other_tenant, other_tenant.admin_email)
    taken, fresh = tenant.user_email, "nobody@outside.test"

    def without_address(response: httpx.Response, address: str) -> dict[str, object]:
        body: dict[str, object] = response.json()
        assert body.pop("user_email") == address
        body.pop("created_on")
        return body

    answers = {}
    for address in (taken, fresh):
        answers[address] = await client.post(
            "/v3/enterprise/users",
            json={"user_email": address, "user_name": "Someone", "user_password": "x" * 12},
            headers=attacker,
        )
        assert answers[address].status_code == 201, answers[address].text
    assert without_address(answers[taken], taken) == without_address(answers[fresh], fresh)
    assert answers[taken].headers["content-type"] == answers[fresh].headers["content-type"]

    users = (await client.get("/v3/enterprise/users", headers=attacker)).json()
    by_address = {u["user_email"]: u for u in users}
    assert by_address[taken]["activated"] is by_address[fresh]["activated"] is False
    # Registering either again is the same duplicate answer, in the enterprise's own terms.
    for address in (taken, fresh):
        again = await client.post(
            "/v3/enterprise/users", json={"user_email": address, "user_name": "X"}, headers=attacker
        )
        assert (again.status_code, again.json()) == (
            409,
            {"Message": f"A user with email '{address}' already exists"},
        )

    # The address's owner is told, with no link; the new address gets its link.
    await send_mail(context)
    [notice] = to(smtp_mails(smtp_server), taken)
    assert other_tenant.name in notice["Subject"]
    assert "/web/activate/" not in text_of(notice)
    assert "already has an account" in text_of(notice)
    [invitation] = to(smtp_mails(smtp_server), fresh)
    assert activation_path(invitation).startswith("/web/activate/")

    # The account elsewhere is untouched, and only it signs in with the address.
    assert (await sign_in(client, tenant, taken))["access_token"]
    through_globex = await password_grant(client, other_tenant, taken, PASSWORD)
    assert (through_globex.status_code, through_globex.json()) == (400, INVALID_GRANT)


async def test_a_user_cannot_sign_in_through_another_enterprises_application(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    wrong_password = await password_grant(client, other_tenant, tenant.user_email, "wrong-one")
    wrong_app = await password_grant(client, other_tenant, tenant.user_email, PASSWORD)
    wrong_app_scoped = await password_grant(
        client, other_tenant, tenant.admin_email, PASSWORD, scope=tenant.user_email
    )
    for response in (wrong_password, wrong_app, wrong_app_scoped):
        assert (response.status_code, response.json()) == (400, INVALID_GRANT)
    assert (await sign_in(client, tenant, tenant.user_email))["access_token"]


async def test_a_token_of_another_enterprises_application_cannot_switch_scope(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
):
    """A grant through another enterprise's application (none is issued any more; the
    migration revoked those issued before) cannot be turned into a scoped one."""
    async with transaction(context.sessions) as session:
        admin = await session.scalar(select(User).where(User.email == tenant.admin_email))
        foreign_app = await session.scalar(
            select(Application).where(Application.name == other_tenant.client_id)
        )
        assert admin is not None and foreign_app is not None
        issued = await issue_tokens(session, context.settings, user=admin, application=foreign_app)
    response = await client.post(
        "/v4/authenticate/scope",
        json={"user_email": tenant.user_email},
        headers={"Authorization": f"Bearer {issued.access_token}"},
    )
    assert response.status_code == 403, response.text


async def test_an_admin_acting_as_a_member_gets_no_recipient_rights_in_another_enterprise(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
):
    """Acme sent a package to a Globex user: the user sees it, Globex's admin acting as
    them through scope does not (the person's rights are not their admins')."""
    owner = await bearer(client, tenant, tenant.user_email)
    package_id, document_id = await shared_package(client, owner, other_tenant.user_email)
    member = await bearer(client, other_tenant, other_tenant.user_email)
    assert package_id in await listed(client, member)
    assert (await client.get(f"/v3/packages/{package_id}", headers=member)).status_code == 200
    as_member = auth(
        await sign_in(client, other_tenant, other_tenant.admin_email, scope=other_tenant.user_email)
    )
    await assert_cannot_touch(client, as_member, package_id, document_id)
