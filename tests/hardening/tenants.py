"""Two enterprises with every kind of object, built through the API (real ids), and helpers
that read the whole database: shared by the cross-tenant matrix and the OpenAPI fuzz tests."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import select, text

from signflow.context import AppContext
from signflow.db import Base, transaction
from signflow.models import Attachment, CredentialKind, Enterprise, HistoryEntry, Recipient
from signflow.packages.links import recipient_link
from signflow.signing.enterprise_keys import credential_for
from tests.factories import Tenant, bearer, upload_document
from tests.workflow.helpers import make_pdf

BOX = {"x": 72, "y": 100, "width": 150, "height": 50}


@dataclass
class World:
    """One enterprise's credentials and the ids of its objects."""

    tenant: Tenant
    admin: dict[str, str]
    user: dict[str, str]
    app: dict[str, str]
    api: dict[str, str]
    package_id: int = 0
    document_id: int = 0
    shared_package_id: int = 0
    shared_document_id: int = 0
    log_id: int = 0
    attachment_id: int = 0
    endpoint_id: int = 0
    delivery_id: int = 0
    key_id: int = 0
    template_id: int = 0
    bulk_id: int = 0
    library_id: int = 0
    contact_id: int = 0
    group_id: int = 0
    application_id: int = 0
    request_id: str = ""
    request_document_id: int = 0
    signer_link: str = ""
    pki_key: str = ""
    certificate_serial: str = ""
    signing_certificate_id: int = 0
    # Strings that only this enterprise's data contains: none may appear in an answer
    # to the other enterprise.
    secrets: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.tenant.name.lower()


async def client_token(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    response = await client.post(
        "/authenticate",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _ok(response: httpx.Response, *statuses: int) -> dict[str, object] | list[object]:
    assert response.status_code in (statuses or (200,)), response.text
    body: dict[str, object] | list[object] = response.json() if response.content else {}
    return body


async def build_world(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, webhook_url: str
) -> World:
    """Every kind of object an enterprise owns, made through its own API calls."""
    world = World(
        tenant=tenant,
        admin=await bearer(client, tenant, tenant.admin_email),
        user=await bearer(client, tenant, tenant.user_email),
        app=await client_token(client, tenant),
        api={"x-api-key": tenant.api_key},
    )
    async with transaction(context.sessions) as session:
        world.pki_key = (await session.get_one(Enterprise, tenant.enterprise_id)).pki_key
        seal = await credential_for(
            session, context.settings, tenant.enterprise_id, CredentialKind.SEAL
        )
        world.certificate_serial = seal.serial_number
    name, slug = tenant.name, world.slug
    signer_email, signer_name = f"signer@{slug}.test", f"{name} Outside Signer"
    world.secrets += [
        name,
        f"@{slug}.test",
        f"{name} User",
        signer_name,
        f"{name} secret package",
        f"{slug}-contract",
        f"{slug}-request",
        f"{name} key",
        f"{slug}-hook",
        tenant.api_key[:12],
    ]
    admin = world.admin

    async def package(package_name: str, share: bool) -> tuple[int, int]:
        created = await _ok(
            await client.post("/v3/packages", json={"package_name": package_name}, headers=admin)
        )
        assert isinstance(created, dict)
        package_id = int(str(created["package_id"]))
        document_id = await upload_document(
            client, admin, package_id, make_pdf(2, ["Contract"]), f"{slug}-contract.pdf"
        )
        await _ok(
            await client.post(
                f"/v3/packages/{package_id}/workflow/users",
                json=[
                    {
                        "user_email": tenant.user_email,
                        "user_name": f"{name} User",
                        "role": "SIGNER",
                    },
                    {"user_email": signer_email, "user_name": signer_name, "role": "SIGNER"},
                ],
                headers=admin,
            )
        )
        for order, field_name in ((1, "UserSigns"), (2, "OutsideSigns")):
            await _ok(
                await client.post(
                    f"/v3/packages/{package_id}/documents/{document_id}/fields/digital_signature",
                    json={
                        "order": order,
                        "page_no": 1,
                        "field_name": field_name,
                        "dimensions": BOX,
                    },
                    headers=admin,
                )
            )
        if share:
            await _ok(await client.post(f"/v3/packages/{package_id}/workflow", headers=admin))
        return package_id, document_id

    world.package_id, world.document_id = await package(f"{name} secret package", share=False)
    world.shared_package_id, world.shared_document_id = await package(
        f"{name} secret package (shared)", share=True
    )
    saved = await _ok(
        await client.post(
            "/v3/settings/templates",
            json={
                "package_id": world.package_id,
                "template_name": f"{name} secret template",
                "enterprise": True,
                "placeholders": [{"order": 2, "placeholder": f"{name} Placeholder"}],
            },
            headers=admin,
        )
    )
    assert isinstance(saved, dict)
    world.template_id = int(str(saved["template_id"]))
    run = await _ok(
        await client.post(
            f"/v3/settings/templates/{world.template_id}/bulk",
            json={"rows": [{f"{name} Placeholder email": f"bulk@{slug}.test"}]},
            headers=admin,
        ),
        201,
    )
    assert isinstance(run, dict)
    world.bulk_id = int(str(run["bulk_id"]))
    library = await _ok(await client.get("/v3/settings/library/10/1", headers=admin))
    assert isinstance(library, list)
    world.library_id = int(str(library[0]["library_id"]))
    group = await _ok(
        await client.post(
            "/v3/enterprise/groups",
            json={"Name": f"{name} secret group", "Members": [f"member@{slug}.test"]},
            headers=admin,
        )
    )
    assert isinstance(group, dict)
    world.group_id = int(str(group["Id"]))
    await _ok(
        await client.post(
            "/v3/settings/groups",
            json={"Name": f"{name} personal group", "Members": [signer_email]},
            headers=world.user,
        )
    )
    await _ok(
        await client.post(
            f"/v3/packages/{world.package_id}/documents/{world.document_id}/attachments",
            content=f"{name} secret attachment".encode(),
            headers=admin | {"x-file-name": f"{slug}-notes.txt"},
        ),
        201,
    )
    endpoint = await _ok(
        await client.post(
            "/v3/webhooks",
            json={"url": f"{webhook_url}/{slug}-hook", "description": f"{name} hook"},
            headers=admin,
        ),
        201,
    )
    assert isinstance(endpoint, dict)
    world.endpoint_id = int(str(endpoint["id"]))
    delivery = await _ok(await client.post(f"/v3/webhooks/{world.endpoint_id}/test", headers=admin))
    assert isinstance(delivery, dict)
    world.delivery_id = int(str(delivery["delivery_id"]))
    key = await _ok(
        await client.post("/v3/enterprise/apikeys", json={"name": f"{name} key"}, headers=admin),
        201,
    )
    assert isinstance(key, dict)
    world.key_id = int(str(key["id"]))
    contact = await _ok(
        await client.post(
            "/v3/enterprise/contacts",
            json={"user_email": f"{slug}-legal@contacts.test", "user_name": f"{name} Legal"},
            headers=admin,
        )
    )
    assert isinstance(contact, dict)
    world.contact_id = int(str(contact["contact_id"]))
    await _ok(
        await client.post(
            "/v3/settings/contacts",
            json={"user_email": f"{slug}-friend@contacts.test", "user_name": f"{name} Friend"},
            headers=world.user,
        )
    )
    await _ok(
        await client.post(
            "/v3/enterprise/invitations",
            json={"user_email": f"{slug}-invitee@contacts.test", "user_name": f"{name} Invitee"},
            headers=admin,
        )
    )
    world.secrets += [
        f"{slug}-legal@contacts.test",
        f"{slug}-friend@contacts.test",
        f"{slug}-invitee@contacts.test",
    ]
    applications = await _ok(await client.get("/v3/enterprise/applications", headers=admin))
    assert isinstance(applications, list)
    world.application_id = int(str(applications[0]["id"]))
    capacity = await _ok(
        await client.post(
            "/v3/enterprise/signingcertificates",
            json={
                "user_email": tenant.user_email,
                "capacity_name": f"{name} capacity",
                "certificate_alias": f"{slug}-alias",
                "level_of_assurance": "ADVANCED_ELECTRONIC_SIGNATURE",
                "key_protection_option": "USER_PASSWORD",
                "isDefault": False,
            },
            headers=admin,
        )
    )
    assert isinstance(capacity, dict)
    world.signing_certificate_id = int(str(capacity["certificate_id"]))
    request = await _ok(
        await client.post(
            "/JSON/signatureRequest",
            json={
                "filedata": {"content": base64.b64encode(make_pdf()).decode()},
                "filename": f"{slug}-request.pdf",
            },
            headers=world.api,
        )
    )
    assert isinstance(request, dict)
    world.request_id = str(request["result"])
    world.request_document_id = int(str(request["documentId"]))
    world.secrets.append(world.request_id)
    async with transaction(context.sessions) as session:
        world.log_id = int(
            await session.scalar(
                select(HistoryEntry.id)
                .where(HistoryEntry.package_id == world.package_id)
                .order_by(HistoryEntry.id)
                .limit(1)
            )
            or 0
        )
        outside = await session.scalar(
            select(Recipient).where(
                Recipient.package_id == world.shared_package_id, Recipient.email == signer_email
            )
        )
        assert outside is not None
        world.signer_link = recipient_link(context.settings, outside).removeprefix(
            "http://testserver"
        )
        world.attachment_id = int(
            await session.scalar(
                select(Attachment.id).where(Attachment.document_id == world.document_id)
            )
            or 0
        )
    assert world.log_id and world.attachment_id
    return world


async def database_rows(context: AppContext) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted: equal before and after means nothing changed."""
    snapshot: dict[str, list[tuple[object, ...]]] = {}
    async with transaction(context.sessions) as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(text(f'SELECT * FROM "{table.name}"'))
            snapshot[table.name] = sorted(
                (tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows),
                key=repr,
            )
    return snapshot


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, walked from the app itself."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path
        for method in sorted(route.methods or ()):
            if method != "HEAD" and path:
                found.append((method, path))
    return found
