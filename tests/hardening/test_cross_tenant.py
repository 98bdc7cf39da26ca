"""The cross-tenant matrix: every route that takes an id, called by one enterprise on the
other enterprise's real ids, with each of its credentials. Every answer is a 403/404 (or the
dialect's 400 for an unknown id) whose body is a bare error naming nothing of the other
side, and the database is the same, row for row, before and after.

The routes are walked from the app, so a new route with a path parameter fails
`test_every_route_with_a_path_parameter_is_in_the_matrix` until it is added here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from signflow.app import create_app
from signflow.context import AppContext
from tests.factories import Tenant
from tests.hardening.tenants import BOX, World, api_routes, build_world, database_rows
from tests.webhooks.receiver import Receiver
from tests.workflow.helpers import make_pdf

PDF = make_pdf()
VERSION = re.compile(r"^/v[34](?=/)")


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allowed_networks": "127.0.0.0/8", "enterprise_rate_per_second": 0}


def template(path: str) -> str:
    return VERSION.sub("", path)


Body = Callable[[World, World], Any]  # (caller, victim) -> JSON body, bytes or None


@dataclass(frozen=True)
class Case:
    """How to call a route on the victim's objects: its JSON body (valid, so the call gets
    past validation to the ownership check), or raw bytes."""

    body: Body | None = None
    raw: bool = False


def field_spec(name: str) -> Body:
    return lambda caller, victim: {"order": 1, "page_no": 1, "field_name": name, "dimensions": BOX}


def recipient(caller: World, victim: World) -> Any:
    return {"user_email": caller.tenant.user_email, "user_name": "Intruder", "role": "SIGNER"}


P = "/packages/{package_id}"
D = P + "/documents/{document_id}"
W = P + "/workflow/{order}"
MATRIX: dict[tuple[str, str], Case] = {
    # Packages and documents.
    ("PUT", P): Case(lambda c, v: {"package_name": "Hijacked"}),
    ("DELETE", P): Case(),
    ("PUT", P + "/owner"): Case(lambda c, v: {"owner": c.tenant.user_email}),
    ("GET", P): Case(),
    ("GET", P + "/base64"): Case(),
    ("POST", P + "/documents"): Case(raw=True),
    ("POST", D + "/attachments"): Case(raw=True),
    ("GET", D + "/details"): Case(),
    ("GET", D + "/images/{page_no}/{resolution}"): Case(),
    ("GET", D + "/images/{page_no}/{resolution}/base64"): Case(),
    ("GET", D): Case(),
    ("GET", D + "/base64"): Case(),
    ("PUT", D): Case(lambda c, v: {"document_name": "Hijacked"}),
    ("DELETE", D): Case(),
    ("PUT", D + "/reorder"): Case(lambda c, v: {"order": 1}),
    ("GET", D + "/attachments"): Case(),
    ("GET", D + "/attachments/{attachment_id}"): Case(),
    ("DELETE", D + "/attachments/{attachment_id}"): Case(),
    ("GET", D + "/certify"): Case(),
    ("PUT", D + "/certify"): Case(
        lambda c, v: {"certify": {"enabled": True}, "lock_form_fields": True}
    ),
    ("GET", P + "/verification"): Case(),
    ("GET", D + "/verification"): Case(),
    ("GET", P + "/report"): Case(),
    ("GET", P + "/details"): Case(),
    ("PUT", P + "/move_to"): Case(lambda c, v: {"folder": "Stolen"}),
    ("GET", "/shared_spaces/{space_id}"): Case(),
    ("PUT", "/shared_spaces/{space_id}"): Case(),
    ("DELETE", "/shared_spaces/{space_id}"): Case(),
    # Workflow.
    ("GET", P + "/workflow"): Case(),
    ("PUT", P + "/workflow"): Case(lambda c, v: {"message": "Hijacked"}),
    ("POST", P + "/workflow"): Case(),
    ("DELETE", P + "/workflow"): Case(),
    ("POST", P + "/complete"): Case(),
    ("POST", P + "/workflow/users"): Case(lambda c, v: [recipient(c, v)]),
    ("GET", P + "/workflow/users"): Case(),
    ("PUT", W + "/user"): Case(recipient),
    ("PUT", W + "/reorder"): Case(lambda c, v: {"order": 2}),
    ("DELETE", W): Case(),
    ("GET", W + "/permissions"): Case(),
    ("PUT", W + "/permissions"): Case(
        lambda c, v: {"apply_to_all": True, "permissions": {"download": False}}
    ),
    ("GET", W + "/authentication"): Case(),
    ("PUT", W + "/authentication"): Case(
        lambda c, v: {
            "apply_to_all": True,
            "authentication": {
                "enabled": True,
                "password": {"enabled": True, "user_password": "intruder-pass"},
            },
        }
    ),
    ("POST", W + "/authentication/otp"): Case(),
    ("POST", W + "/authentication/password"): Case(lambda c, v: {"password": "guess"}),
    ("POST", W + "/unblock"): Case(lambda c, v: {"action": "reset"}),
    ("GET", W + "/reminders"): Case(),
    ("PUT", W + "/reminders"): Case(lambda c, v: {"enabled": True, "remind_after": 1}),
    ("GET", P + "/log"): Case(),
    ("GET", P + "/log/{log_id}/details"): Case(),
    ("GET", P + "/log/{log_id}/details/{key}"): Case(),
    ("GET", P + "/log/{page_no}/{records_per_page}"): Case(),
    ("GET", "/enterprise/packages/{package_id}"): Case(),
    ("POST", "/enterprise/packages/{package_id}/complete"): Case(),
    ("PUT", P + "/workflow/post_process"): Case(
        lambda c, v: {"enabled": True, "recipients": [{"name": "I", "email": c.tenant.user_email}]}
    ),
    ("GET", "/enterprise/packages/{package_id}/workflow/{order}/authentication"): Case(),
    ("PUT", "/enterprise/packages/{package_id}/workflow/{order}/authentication"): Case(
        lambda c, v: {"authentication": {"enabled": True, "password": {"enabled": False}}}
    ),
    # Fields.
    ("GET", D + "/fields"): Case(),
    ("GET", D + "/fields/{page_no}"): Case(),
    ("POST", D + "/fields/autoplace"): Case(
        lambda c, v: {
            "search_text": "Contract",
            "order": 1,
            "field_type": "digital_signature",
            "placement": "RIGHT",
            "dimensions": {"width": 100, "height": 40},
        }
    ),
    ("PUT", D + "/fields/assign"): Case(lambda c, v: [{"field_name": "UserSigns", "order": 2}]),
    ("POST", D + "/fields/{kind}"): Case(field_spec("Intruder")),
    ("POST", D + "/fields/qrcode"): Case(lambda c, v: {"page_no": 1, "dimensions": BOX}),
    ("PUT", D + "/fields/qrcode"): Case(lambda c, v: {"field_name": "UserSigns", "page_no": 1}),
    ("PUT", D + "/fields/{kind}"): Case(field_spec("UserSigns")),
    ("DELETE", D + "/fields"): Case(lambda c, v: {"field_name": "UserSigns"}),
    ("PUT", D + "/fields"): Case(
        lambda c, v: {"text": [{"field_name": "UserSigns", "value": "x"}]}
    ),
    # Processing.
    ("GET", P + "/open"): Case(),
    ("POST", D + "/otp"): Case(lambda c, v: {"field_name": "UserSigns"}),
    ("GET", P + "/close"): Case(),
    ("POST", D + "/sign"): Case(lambda c, v: {"field_name": "UserSigns"}),
    ("POST", D + "/initial"): Case(lambda c, v: {"field_name": "UserSigns"}),
    ("POST", D + "/field/status"): Case(lambda c, v: {"field_name": "UserSigns"}),
    ("POST", P + "/decline"): Case(lambda c, v: {"reason": "Intruder"}),
    ("POST", P + "/approve"): Case(lambda c, v: {"reason": "Intruder"}),
    ("POST", P + "/submit"): Case(),
    ("POST", P + "/finish"): Case(),
    ("POST", P + "/gatekeeper/approve"): Case(),
    ("POST", P + "/gatekeeper/decline"): Case(),
    # Lists: the path holds no id; the caller's list must hold nothing of the other side.
    ("GET", "/packages/{status}/{page_no}/{records_per_page}"): Case(),
    ("GET", "/settings/templates/{records_per_page}/{page_no}"): Case(),
    ("GET", "/settings/library/{records_per_page}/{page_no}"): Case(),
    ("GET", "/enterprise/templates/{records_per_page}/{page_no}"): Case(),
    # Templates and placeholders: the caller's own template name, the other's objects.
    ("POST", D + "/template"): Case(
        lambda c, v: {"template_name": f"{c.tenant.name} secret template"}
    ),
    ("POST", P + "/documents/library/{library_id}"): Case(),
    ("GET", "/settings/templates/{template_id}"): Case(),
    ("PUT", "/settings/templates/{template_id}"): Case(lambda c, v: {"template_name": "Hijacked"}),
    ("DELETE", "/settings/templates/{template_id}"): Case(),
    ("POST", "/settings/templates/{template_id}/versions"): Case(
        lambda c, v: {"package_id": c.package_id}
    ),
    ("POST", "/settings/templates/{template_id}/packages"): Case(lambda c, v: {}),
    ("POST", "/settings/templates/{template_id}/bulk"): Case(lambda c, v: {"rows": []}),
    ("GET", "/settings/templates/{template_id}/bulk/{bulk_id}"): Case(),
    ("POST", "/packages/{bulk_action}"): Case(lambda c, v: {"ids": [v.package_id]}),
    ("POST", "/packages/{bulk_action}/status"): Case(
        lambda c, v: {"transaction_id": str(v.bulk_id)}
    ),
    ("POST", P + "/workflow/placeholder"): Case(lambda c, v: [{"placeholder": "Intruder"}]),
    ("PUT", W + "/placeholder"): Case(lambda c, v: {"user_email": c.tenant.user_email}),
    ("PUT", "/enterprise/packages/{package_id}/workflow/{order}/placeholder"): Case(
        lambda c, v: {"user_email": c.tenant.user_email}
    ),
    # Contacts: the caller's own (personal) list, the other's contact ids.
    ("GET", "/settings/contacts/{records_per_page}/{page_no}"): Case(),
    ("GET", "/enterprise/contacts/{records_per_page}/{page_no}"): Case(),
    ("PUT", "/settings/contacts/{contact_id}"): Case(lambda c, v: {"user_name": "Hijacked"}),
    ("DELETE", "/settings/contacts/{contact_id}"): Case(),
    ("PUT", "/enterprise/contacts/{contact_id}"): Case(lambda c, v: {"user_name": "Hijacked"}),
    ("DELETE", "/enterprise/contacts/{contact_id}"): Case(),
    # The account's own lists and the details of one of its activity log entries.
    ("GET", "/account/notifications/{records_per_page}/{page_no}"): Case(),
    ("GET", "/account/log/{page_no}/{records_per_page}"): Case(),
    ("GET", "/account/log/{log_id}/details"): Case(),
    ("GET", "/enterprise/invitations/{page_no}/{records_per_page}"): Case(),
    # Groups: the caller's own group name, the other's objects.
    ("GET", "/settings/groups/{records_per_page}/{page_no}"): Case(),
    ("GET", "/settings/groups/{group_id}"): Case(),
    ("PUT", "/settings/groups/{group_id}"): Case(lambda c, v: {"Name": "Hijacked"}),
    ("DELETE", "/settings/groups/{group_id}"): Case(),
    ("GET", "/enterprise/groups/{group_id}"): Case(),
    ("PUT", "/enterprise/groups/{group_id}"): Case(lambda c, v: {"Name": "Hijacked"}),
    ("DELETE", "/enterprise/groups/{group_id}"): Case(),
    ("POST", P + "/workflow/groups"): Case(
        lambda c, v: [{"group_name": f"{c.tenant.name} secret group"}]
    ),
    ("PUT", W + "/group"): Case(lambda c, v: {"group_name": f"{c.tenant.name} secret group"}),
    ("PUT", "/enterprise/packages/{package_id}/workflow/{order}/group"): Case(
        lambda c, v: {"group_name": f"{c.tenant.name} secret group"}
    ),
    # Webhooks and API keys (ours).
    ("GET", "/webhooks/{endpoint_id}"): Case(),
    ("PUT", "/webhooks/{endpoint_id}"): Case(lambda c, v: {"description": "Hijacked"}),
    ("DELETE", "/webhooks/{endpoint_id}"): Case(),
    ("POST", "/webhooks/{endpoint_id}/secret"): Case(),
    ("GET", "/webhooks/{endpoint_id}/deliveries"): Case(),
    ("GET", "/webhooks/{endpoint_id}/deliveries/{delivery_id}"): Case(),
    ("POST", "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"): Case(),
    ("POST", "/webhooks/{endpoint_id}/test"): Case(),
    ("DELETE", "/enterprise/apikeys/{key_id}"): Case(),
    ("POST", "/enterprise/certificates/{serial_number}/revoke"): Case(),
    ("PUT", "/enterprise/signingcertificates/{certificate_id}"): Case(
        lambda c, v: {
            "user_email": v.tenant.user_email,
            "capacity_name": "Hijacked",
            "certificate_alias": "hijacked",
            "level_of_assurance": "ADVANCED_ELECTRONIC_SIGNATURE",
            "isDefault": True,
        }
    ),
    ("DELETE", "/enterprise/signingcertificates/{certificate_id}"): Case(
        lambda c, v: {"user_email": v.tenant.user_email}
    ),
    ("PUT", "/enterprise/applications/{application_id}/embedding"): Case(
        lambda c, v: {"allowed_origins": ["https://intruder.test"]}
    ),
    # OKdokument (x-api-key).
    ("DELETE", "/JSON/signatureRequest/{signature_request_id}"): Case(),
    ("GET", "/JSON/document/metadata/{document_id}"): Case(),
    ("GET", "/JSON/document/{document_id}"): Case(),
}

# Routes whose id in the body (not the path) names another object: same rules.
BODY_IDS: list[tuple[str, str, Body]] = [
    (
        "PATCH",
        "/JSON/signatureRequest",
        lambda c, v: {"signatureRequestId": v.request_id, "sendInfoURL": "http://127.0.0.1:9/x"},
    ),
    (
        "POST",
        "/v4/links/integration",
        lambda c, v: {"package_id": v.package_id, "user_email": v.tenant.user_email},
    ),
    ("POST", "/v3/authenticate/scope", lambda c, v: {"user_email": v.tenant.user_email}),
    ("POST", "/v4/authenticate/scope", lambda c, v: {"user_email": v.tenant.admin_email}),
    (
        "PUT",
        "/v3/enterprise/users",
        lambda c, v: {"user_email": v.tenant.user_email, "user_name": "Hijacked"},
    ),
    ("DELETE", "/v3/enterprise/users", lambda c, v: {"user_email": v.tenant.user_email}),
    (
        "POST",
        "/v3/enterprise/signingcertificates",
        lambda c, v: {
            "user_email": v.tenant.user_email,
            "capacity_name": "Intruder",
            "certificate_alias": "intruder",
            "level_of_assurance": "ADVANCED_ELECTRONIC_SIGNATURE",
            "isDefault": True,
        },
    ),
    ("PUT", "/v3/packages/{package_id}/owner", lambda c, v: {"owner": v.tenant.user_email}),
    (
        "POST",
        "/v3/packages/{package_id}/workflow/users",
        lambda c, v: [{"contact_id": v.contact_id}],
    ),
    (
        "DELETE",
        "/v3/enterprise/invitations",
        lambda c, v: {"user_email": f"{v.slug}-invitee@contacts.test"},
    ),
    ("PUT", "/v4/account/invitations", lambda c, v: {"enterprise_name": v.tenant.name}),
]

# Path parameters that are not ids of the other enterprise's objects, and why.
NOT_TENANT_DATA = {
    # Each enterprise CA's certificate and CRL are public by design: validators fetch them
    # from the URL written in every signature. Checked below: nothing else is answered.
    "/pki/{pki_key}/ca.crt",
    "/pki/{pki_key}/crl",
    # The OCSP responder is public for the same reason; it answers only for its own CA
    # (tests/faces/test_pki.py: another CA's question is "unauthorized").
    "/pki/{pki_key}/ocsp",
    "/pki/{pki_key}/ocsp/{encoded:path}",
    # A design's name (HAND_SIGNATURE_ONLY...): the preview draws the caller's own stamp.
    *(f"/{v}/settings/signatures/appearance/design/{{design}}/preview" for v in ("v3", "v4")),
    # Branding files the signer pages load (docs/web.md, "Branding"): a stylesheet named by
    # its colour alone, and a logo, public like the pages showing it, named by its SHA-256
    # (unguessable without the image, and naming no enterprise).
    "/web/brand/accent/{color}.css",
    "/web/brand/logo/{sha256}",
    # The app's branding preview: a stylesheet named by its colour alone (docs/app.md).
    "/app/admin/branding/preview/{color}.css",
    # "signature" or "initials": the web session's own adopted mark, never another
    # recipient's (tests/web/test_adoption_http.py).
    "/web/package/adopted/{kind}.png",
}
# The path value is itself the permission (a signed, purpose-bound token or an unguessable
# request UUID): checked below with tokens of another purpose and forged ones.
CAPABILITIES = {
    "/files/{token}",
    "/sign/{token}",
    "/web/integration/{token}",
    "/web/progress/{token}",
    # The token names the package; a document of another package is 404
    # (tests/web/test_messages_pages.py).
    "/web/progress/{token}/documents/{document_id}/file",
    "/web/activate/{token}",
    "/web/password/{token}",
    "/openDocument/{request_id}",
    "/{request_id:uuid}",
}
# Signer pages: the id is checked against the recipient's web session.
WEB_SESSION = {
    "/web/package/documents/{document_id}/pages/{page_no}.png",
    "/web/package/documents/{document_id}/file",
}
# The account holders' web app: its pages act for the signed-in browser's user, and each
# form's cross-tenant test sits beside the page's own tests (tests/web/app/).
APP_PAGES = {
    "/app/sessions/{session_id}/revoke",
    # Documents: tests/web/app/test_app_documents_http.py (another enterprise's user and a
    # colleague who is no recipient get 404 on each).
    "/app/viewer/{package_id}",
    "/app/viewer/{package_id}/documents/{document_id}/pages/{page_no}.png",
    "/app/viewer/{package_id}/documents/{document_id}/file",
    "/app/viewer/{package_id}/download",
    "/app/viewer/{package_id}/report",
    "/app/viewer/{package_id}/act",
    "/app/new/{package_id}",
    "/app/new/{package_id}/documents",
    "/app/new/{package_id}/recipients",
    "/app/new/{package_id}/recipients/{order}/delete",
    # tests/web/app/test_app_prepare_recipients_http.py and test_app_prepare_settings_http.py
    # (another enterprise's user gets 404 on each form and the search, nothing changed).
    "/app/new/{package_id}/recipients/contacts",
    "/app/new/{package_id}/recipients/group",
    "/app/new/{package_id}/recipients/placeholder",
    "/app/new/{package_id}/recipients/{order}",
    "/app/new/{package_id}/recipients/{order}/move",
    "/app/new/{package_id}/settings",
    # tests/web/app/test_app_preview_http.py and test_app_templates_http.py (another
    # enterprise's user gets 404 on the preview and on both template forms, nothing made).
    "/app/new/{package_id}/preview",
    "/app/new/{package_id}/template",
    "/app/new/templates/{template_id}",
    "/app/new/{package_id}/fields",
    "/app/new/{package_id}/fields/{document_id}/{name}",
    "/app/new/{package_id}/fields/{document_id}/{name}/delete",
    "/app/new/{package_id}/send",
    "/app/admin/users/{user_id}",
    "/app/admin/apikeys/{key_id}/revoke",
    # tests/web/app/test_app_admin_webhooks_http.py and test_app_admin_applications_http.py
    # (another enterprise's admin gets 404 on each, nothing changed).
    "/app/admin/webhooks/{endpoint_id}",
    "/app/admin/webhooks/{endpoint_id}/enabled",
    "/app/admin/webhooks/{endpoint_id}/delete",
    "/app/admin/webhooks/{endpoint_id}/secret",
    "/app/admin/webhooks/{endpoint_id}/test",
    "/app/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}",
    "/app/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    "/app/admin/applications/{application_id}",
    # An enterprise's single sign-on address: its random key only sends the browser to
    # that enterprise's provider (an unknown key is 404: tests/web/app/test_app_sso_http.py).
    "/app/sso/{signin_key}",
}

# A list of the caller's own objects: its path holds no id.
LIST_SUFFIXES = ("/{page_no}/{records_per_page}", "/{records_per_page}/{page_no}")

ERROR_KEYS = (
    {"Message"},
    {"Message", "Error"},
    {"message", "value"},
    {"error", "error_description"},
)


def is_own_list(path: str) -> bool:
    return "{package_id}" not in path and path.endswith(LIST_SUFFIXES)


def has_path_parameter(path: str) -> bool:
    return "{" in path


def test_every_route_with_a_path_parameter_is_in_the_matrix(context: AppContext) -> None:
    app = create_app(context=context)
    missing = [
        (method, path)
        for method, path in api_routes(app)
        if has_path_parameter(path)
        and (method, template(path)) not in MATRIX
        and path not in NOT_TENANT_DATA | CAPABILITIES | WEB_SESSION | APP_PAGES
    ]
    assert not missing, f"routes with a path parameter missing from the matrix: {missing}"


def fill(path: str, victim: World) -> str:
    values = {
        "package_id": victim.package_id,
        "document_id": victim.document_id,
        "order": 1,
        "page_no": 1,
        "resolution": "Medium",
        "kind": "digital_signature",
        "log_id": victim.log_id,
        "key": "0" * 64,
        "attachment_id": victim.attachment_id,
        "endpoint_id": victim.endpoint_id,
        "delivery_id": victim.delivery_id,
        "key_id": victim.key_id,
        "serial_number": victim.certificate_serial,
        "certificate_id": victim.signing_certificate_id,
        "template_id": victim.template_id,
        "bulk_id": victim.bulk_id,
        "bulk_action": "SHARE",
        "library_id": victim.library_id,
        "contact_id": victim.contact_id,
        "group_id": victim.group_id,
        "application_id": victim.application_id,
        "signature_request_id": victim.request_id,
        "status": "ALL",
        "records_per_page": 100,
        "enterprise_id": victim.tenant.enterprise_id,
        "pki_key": victim.pki_key,
        "space_id": 1,
    }
    if path.startswith("/JSON/document"):
        values["document_id"] = victim.request_document_id
    return path.format(**values)


def assert_reveals_nothing(response: httpx.Response, victim: World, sent: str) -> None:
    text = response.text
    for secret in victim.secrets:
        if secret not in sent:
            assert secret not in text, f"{secret!r} of the other enterprise in {text[:300]}"


def assert_refused(
    response: httpx.Response, victim: World, sent: str, allowed: tuple[int, ...] = (403, 404)
) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code in allowed, f"{where}: {response.status_code} {response.text}"
    if response.headers.get("content-type", "").startswith("text/html"):  # a signer page
        assert_reveals_nothing(response, victim, sent)
        return
    body = response.json()
    assert isinstance(body, dict) and set(body) in [set(keys) for keys in ERROR_KEYS], (
        f"{where}: not a bare error: {response.text[:300]}"
    )
    assert_reveals_nothing(response, victim, sent)


@pytest.fixture
async def worlds(
    client: httpx.AsyncClient,
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    receiver: Receiver,
) -> tuple[World, World]:
    acme = await build_world(client, context, tenant, receiver.url())
    globex = await build_world(client, context, other_tenant, receiver.url())
    return acme, globex


async def test_one_enterprise_cannot_reach_the_others_objects(
    client: httpx.AsyncClient, context: AppContext, worlds: tuple[World, World]
) -> None:
    app = create_app(context=context)
    routes = api_routes(app)
    web = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    checked = 0
    failures: list[str] = []
    async with web:
        for caller, victim in (worlds, worlds[::-1]):
            # The caller's outside signer opens their own signing pages: a web session.
            landing = await web.get(caller.signer_link)
            assert landing.status_code == 303, landing.text
            before = await database_rows(context)
            for method, path in routes:
                if not has_path_parameter(path) or path in NOT_TENANT_DATA | CAPABILITIES:
                    continue
                if path in APP_PAGES:
                    continue
                url = fill(path, victim)
                if path in WEB_SESSION:
                    response = await web.request(method, url)
                    try:
                        assert_refused(response, victim, url)
                    except AssertionError as exc:
                        failures.append(str(exc).splitlines()[0])
                    checked += 1
                    continue
                case = MATRIX[(method, template(path))]
                okdokument = path.startswith("/JSON/")
                identities = [caller.api] if okdokument else [caller.admin, caller.user, caller.app]
                for headers in identities:
                    payload = case.body(caller, victim) if case.body else None
                    response = await client.request(
                        method,
                        url,
                        headers=headers | ({"x-file-name": "x.pdf"} if case.raw else {}),
                        content=PDF if case.raw else None,
                        json=payload,
                    )
                    checked += 1
                    if is_own_list(path):  # the caller's own list: nothing of the other
                        # (the enterprise's template list is an enterprise admin's call)
                        refused = response.status_code == 403 and "/enterprise/" in path
                        assert response.status_code == 200 or refused, response.text
                        assert_reveals_nothing(response, victim, url)
                        continue
                    # OKdokument answers an id that does not exist with 400 (its spec).
                    allowed = (400, 403, 404) if okdokument else (403, 404)
                    try:
                        assert_refused(response, victim, url + json.dumps(payload), allowed)
                    except AssertionError as exc:
                        failures.append(str(exc).splitlines()[0])
            for method, path, body in BODY_IDS:
                url = fill(path, caller)  # the caller's own package, the other's user
                payload = body(caller, victim)
                for headers in [caller.api] if path.startswith("/JSON/") else [caller.admin]:
                    response = await client.request(method, url, headers=headers, json=payload)
                    checked += 1
                    try:
                        assert_refused(response, victim, url + json.dumps(payload), (400, 403, 404))
                    except AssertionError as exc:
                        failures.append(str(exc).splitlines()[0])
            assert not failures, "\n".join(sorted(set(failures)))
            after = await database_rows(context)
            changed = [name for name in before if before[name] != after[name]]
            assert not changed, f"{caller.tenant.name}'s calls changed the tables {changed}"
    assert checked > 500

    # The ids were real: the owners themselves reach them. (A history certificate needs a
    # signature's entry and its fingerprint, which these worlds do not make; the owner
    # reaching one is tested in tests/faces/signinghub/test_workflow.py.)
    for world in worlds:
        for method, path in routes:
            if (
                method == "GET"
                and "{package_id}" in path
                and "report" not in path
                and "{key}" not in path
                and path not in APP_PAGES  # the owner's app pages: tests/web/app/
            ):
                response = await client.get(fill(path, world), headers=world.admin)
                assert response.status_code == 200, f"{path}: {response.text}"


async def test_public_and_capability_routes_give_nothing_else(
    client: httpx.AsyncClient, context: AppContext, worlds: tuple[World, World]
) -> None:
    _, globex = worlds
    # Issuing a CRL stores it (and its number) with the CA: the first request issues it,
    # later ones serve it unchanged until it is due.
    assert (await client.get(f"/pki/{globex.pki_key}/crl")).status_code == 200
    before = await database_rows(context)
    # The CA certificate and CRL are public; they name the enterprise (that is their job)
    # but carry nothing else: DER, not JSON, no package or user data.
    for suffix in ("ca.crt", "crl"):
        response = await client.get(f"/pki/{globex.pki_key}/{suffix}")
        assert response.status_code in (200, 404)
        for secret in globex.secrets[1:]:
            assert secret.encode() not in response.content
        # By its sequential id, nothing: the ids cannot be walked to list the tenants.
        by_id = await client.get(f"/pki/{globex.tenant.enterprise_id}/{suffix}")
        assert by_id.status_code == 404
    # A token of one purpose never opens another route, and forged ones open nothing.
    signer_token = globex.signer_link.rsplit("/", 1)[1]
    forged = signer_token[:-4] + ("AAAA" if not signer_token.endswith("AAAA") else "BBBB")
    for path in (
        "/files/{}",
        "/web/integration/{}",
        "/web/progress/{}",
        "/web/activate/{}",
        "/web/password/{}",
        "/sign/{}",
        "/openDocument/{}",
        "/{}",
    ):
        for token in (signer_token, forged, "00000000-0000-4000-8000-000000000000"):
            if path in ("/sign/{}",) and token == signer_token:
                continue  # its own purpose
            response = await client.get(path.format(token), follow_redirects=False)
            if path == "/{}" and response.is_redirect:  # the short link: to the long one
                assert response.headers["location"].endswith(f"/openDocument/{token}")
                response = await client.get(f"/openDocument/{token}")
            assert response.status_code in (400, 403, 404), f"{path}: {response.status_code}"
            for secret in globex.secrets:
                assert secret not in response.text
    assert await database_rows(context) == before
