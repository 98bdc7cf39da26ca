"""The PyPI client `signinghubapi` 0.1.5, unchanged, against a real server.

Every public method of its `Connection` (147, besides the `add_bearer` and
`set_full_url` helpers) is either called here, over HTTP to Signflow served by uvicorn,
with the bodies the client itself builds, and must answer 200 or 201 with a reply that
parses (JSON where labelled JSON; the client's helper classes read workflow details and
the profile without a KeyError); or it is listed in NOT_CALLED with the reason.

The client keeps its default headers in module-level dicts that every call mutates (and
some set a bool header value, which `requests` refuses): each call here starts from a
fresh copy of those defaults, as a fresh process would.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import inspect
import io
import json
import re
import socket
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from PIL import Image
from signinghubapi import classes, utils
from signinghubapi.signinghubapi import Connection

from signflow.app import create_app
from signflow.context import AppContext
from signflow.outbox.worker import Worker
from tests.accounts.helpers import file_mails, text_of
from tests.factories import PASSWORD, Tenant, add_user
from tests.workflow.helpers import make_pdf

HELPERS = {"add_bearer", "set_full_url"}
WORKING = 137
DEFAULT_GET = copy.deepcopy(utils.GET_HEADERS)
DEFAULT_POST = copy.deepcopy(utils.POST_HEADERS)

# Methods not called, each with the reason. Kept exact: the test fails when a method
# appears in neither list, or in both.
CLIENT_BUG = "the client builds a broken URL (v{full_url}/...) and never reaches a server"
NO_SERVICE = (
    "no such service here: SMS sign-in answers 403 as the guide does; push devices, "
    "statistics and external identities answer 403 service_not_available (docs/api.md)"
)
NOT_CALLED: dict[str, str] = {
    "open_document_package": CLIENT_BUG,
    "close_document_package": CLIENT_BUG,
    "fill_initials": "the client posts initials to documents/{did}/otp (the signing-code "
    "route) instead of documents/{did}/initial",
    "update_post_processing": "the client sends GET, without a body, to the PUT route "
    "(served, docs/api.md); the guide has no GET there, so the call cannot work",
    **dict.fromkeys(
        [
            "device_registration_for_push_notification",
            "otp_login_authentication",
            "add_identity_for_a_user",
            "account_usage_statistics",
            "document_statistics",
        ],
        NO_SERVICE,
    ),
    "get_enterprise_branding": "served, but the client sets the header x-base64 to the bool "
    "True, which requests refuses before sending (InvalidHeader): see "
    "test_enterprise_branding_as_the_client_means_it",
}


def png_image(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 30, 120)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Self-registration on, into the test's enterprise, so register_user_free_trial runs."""
    return {"self_registration": True, "self_registration_enterprise": "Acme"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def server_url(context: AppContext) -> AsyncIterator[str]:
    """The app on a loopback port, in this test's event loop (the client is synchronous
    and runs in a thread)."""
    port = free_port()
    config = uvicorn.Config(
        create_app(context=context),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def quietly(method: Callable[..., requests.Response], *args: Any, **kwargs: Any) -> Any:
    """upload_document opens the file and never closes it (the client's leak, not the
    server's): the ResourceWarning it raises when the file is freed is not ours to fail on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return method(*args, **kwargs)


@dataclass
class Client:
    """One signed-in Connection, and the record of every method called through it."""

    connection: Connection
    called: dict[str, int] = field(default_factory=dict)

    async def call(self, name: str, /, *args: Any, **kwargs: Any) -> requests.Response:
        self.connection.get_headers = copy.deepcopy(DEFAULT_GET)
        self.connection.post_headers = copy.deepcopy(DEFAULT_POST)
        method: Callable[..., requests.Response] = getattr(self.connection, name)
        response = await asyncio.to_thread(quietly, method, *args, **kwargs)
        assert response.status_code in (200, 201), (name, response.status_code, response.text)
        if "json" in response.headers.get("content-type", ""):
            json.loads(response.text)
        self.called[name] = response.status_code
        return response


async def signed_in(url: str, tenant: Tenant, email: str, called: dict[str, int]) -> Client:
    connection = Connection(
        url,
        client_id=tenant.client_id,
        client_secret=tenant.client_secret,
        username=email,
        password=PASSWORD,
        api_version=4,
    )
    client = Client(connection, called)
    await client.call("authenticate")
    assert connection.access_token
    return client


def public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(Connection, inspect.isfunction)
        if not name.startswith("_") and name not in HELPERS
    }


def test_the_client_has_147_methods():
    assert len(public_methods()) == 147


async def test_every_method_for_a_served_endpoint_works(
    server_url: str, context: AppContext, tenant: Tenant, other_tenant: Tenant, tmp_path: Path
):
    called: dict[str, int] = {}
    ana_email = await add_user(context, tenant, "ana@acme.test", "Ana")
    ben_email = await add_user(context, tenant, "ben@acme.test", "Ben")
    owner = await signed_in(server_url, tenant, tenant.user_email, called)
    ana = await signed_in(server_url, tenant, ana_email, called)
    ben = await signed_in(server_url, tenant, ben_email, called)
    admin = await signed_in(server_url, tenant, tenant.admin_email, called)

    # Account and profile.
    await owner.call("about_signinghub")
    assert (await owner.call("get_registered_devices")).json() == []
    profile = (await owner.call("get_general_profile_information")).json()
    classes.User(general_profile_information_json=profile)
    await owner.call("update_general_profile_information", job_title="Notary")
    await owner.call("update_locale_settings", "Belgium", "Europe/Brussels", "nl-BE")
    # Personal settings: picture, security question, signature appearance, notifications.
    picture = base64.b64encode(png_image((60, 40))).decode()
    await owner.call("update_profile_picture", picture)
    assert base64.b64decode((await owner.call("get_profile_picture")).content)
    assert (await owner.call("get_profile_picture", False)).content.startswith(b"\x89PNG")
    await owner.call("update_security_settings", PASSWORD, "First pet?", "Rex")
    await owner.call("update_signature_appearance_design", "HAND_SIGNATURE_WITH_DETAILS")
    await owner.call("update_signature_settings_metadata", "Agreed", "Gent", "+32 9")
    hand = base64.b64encode(png_image((200, 80))).decode()
    await owner.call("update_hand_signature_browser", "UPLOAD", hand, "Owner")
    await owner.call("update_hand_signature_mobile", "UPLOAD", hand, "Owner")
    await owner.call("update_initial_appearance", "UPLOAD", hand, "OW")
    signature_settings = (await owner.call("get_signature_settings", "true")).json()
    assert signature_settings["signing_reason"] == "Agreed"
    preview = await owner.call("get_signature_appearance", "HAND_SIGNATURE_WITH_DETAILS")
    assert preview.content.startswith(b"\x89PNG")
    for name in (
        "get_hand_signature_text_for_web",
        "get_hand_signature_text_for_mobile",
        "get_hand_signature_upload_for_web",
        "get_hand_signature_upload_for_mobile",
        "get_initials_for_upload_option",
        "get_initials_for_text_option",
    ):
        assert (await owner.call(name)).content.startswith(b"\x89PNG"), name
    await owner.call("reset_email_notifications")
    owner.connection.refresh_token = owner.connection.refresh_token
    await owner.call("authenticate_with_refresh_token")

    # Enterprise users (an administrator).
    await admin.call("register_enterprise_user", "new@acme.test", "New", mobile_number="+3212")
    await admin.call("get_enterprise_users")
    await admin.call("update_enterprise_user", "new@acme.test", user_name="Newer")
    await admin.call("delete_enterprise_user", "new@acme.test")
    # Enterprise signing certificates of a user (an administrator).
    added = await admin.call(
        "add_certificate",
        ana_email,
        "Notary",
        "notary-key",
        "ADVANCED_ELECTRONIC_SIGNATURE",
        "USER_PASSWORD",
        False,
    )
    certificate_id = added.json()["certificate_id"]
    await admin.call(
        "update_certificate",
        certificate_id,
        ana_email,
        "Notary public",
        "notary-key",
        "ADVANCED_ELECTRONIC_SIGNATURE",
        False,
    )
    await admin.call("delete_certificate", certificate_id, ana_email)

    # A package with two documents.
    pdf = tmp_path / "lease.pdf"
    pdf.write_bytes(make_pdf(2, ["Sign here:", "Initials:"]))
    (tmp_path / "annex.pdf").write_bytes(make_pdf(1, ["Annex"]))
    package_id = (await owner.call("add_package", "Lease 2026")).json()["package_id"]
    folder = f"{tmp_path}/"
    document_id = (
        await owner.call("upload_document", package_id, folder, "lease.pdf", "API")
    ).json()["documentid"]
    annex_id = (await owner.call("upload_document", package_id, folder, "annex.pdf", "API")).json()[
        "documentid"
    ]
    await owner.call("rename_package", package_id, "Lease 2026 (final)")
    await owner.call("rename_document", package_id, annex_id, "Annex A")
    await owner.call("change_document_order", package_id, annex_id, 1)
    await owner.call("get_document_details", package_id, document_id)
    await owner.call("get_document_image", package_id, document_id, 1, "low")
    await owner.call("get_document_image", package_id, document_id, 1, "low", True)
    await owner.call("get_certify_policy_for_document", package_id, document_id)
    await owner.call("update_certify_policy_for_document", package_id, document_id, False)
    await owner.call("delete_document", package_id, annex_id)

    # Recipients and their settings.
    await owner.call("add_users_to_workflow", package_id, ana_email, "Ana", "SIGNER")
    await owner.call("add_users_to_workflow", package_id, ben_email, "Ben", "REVIEWER")
    await owner.call("add_users_to_workflow", package_id, "cc@acme.test", "Cc", "CARBON_COPY")
    await owner.call("update_workflow_user", package_id, 3, user_name="Carbon")
    await owner.call("update_workflow_users_order", package_id, 3, 2)
    await owner.call("update_workflow_users_order", package_id, 2, 3)
    await owner.call("get_workflow_users", package_id)
    await owner.call("get_workflow_user_permissions", package_id, 1)
    await owner.call("update_workflow_user_permissions", package_id, 1, print=True)
    await owner.call("get_workflow_user_authentication_document_opening", package_id, 1)
    await owner.call(
        "update_workflow_user_authentication_document_opening",
        package_id,
        1,
        authentication_enabled=False,
    )
    await owner.call("get_workflow_reminders", package_id, 1)
    await owner.call("update_workflow_reminders", package_id, 1, enabled=True, remind_after=2)
    await owner.call("update_workflow_details", package_id, workflow_type="SERIAL", message="Hi")
    await owner.call("delete_workflow_user", package_id, 3)

    # Fields, each kind added and updated as the client shapes them.
    place = {"x": 72, "y": 100, "width": 150, "height": 40}
    did = document_id
    await owner.call("add_digital_signature_field", package_id, did, 1, 1, field_name="D", **place)
    await owner.call(
        "add_electronic_signature_field",
        package_id,
        did,
        1,
        1,
        field_name="E",
        x=72,
        y=200,
        width=150,
        height=40,
    )
    await owner.call(
        "add_signature_field",
        package_id,
        did,
        1,
        1,
        field_name="S",
        x=72,
        y=300,
        width=150,
        height=40,
    )
    await owner.call(
        "add_in_person_field",
        package_id,
        did,
        1,
        1,
        field_name="P",
        x=72,
        y=400,
        width=150,
        height=40,
    )
    await owner.call(
        "add_initials_field",
        package_id,
        did,
        1,
        2,
        field_name="I",
        x=72,
        y=100,
        width=60,
        height=30,
    )
    await owner.call(
        "add_textbox_field",
        package_id,
        did,
        1,
        2,
        field_name="T",
        x=72,
        y=200,
        width=150,
        height=20,
    )
    await owner.call(
        "add_radiobox_field",
        package_id,
        did,
        1,
        2,
        field_name="R",
        x=72,
        y=300,
        radio_group_name="G",
    )
    await owner.call("add_checkbox_field", package_id, did, 1, 2, field_name="C", x=300, y=300)
    autoplaced = await owner.call(
        "autoplace_fields",
        package_id,
        did,
        "Sign here",
        1,
        "ELECTRONIC_SIGNATURE",
        placement="RIGHT",
        width=100,
        height=30,
    )
    await owner.call("update_digital_signature_field", package_id, did, "D", x=80)
    await owner.call("update_electronic_signature_fields", package_id, did, "E", width=160)
    await owner.call("update_in_person_field", package_id, did, "P", height=50)
    await owner.call("update_initials_field", package_id, did, "I", x=80)
    await owner.call("update_textbox_field", package_id, did, "T", value="1200")
    await owner.call("update_radiobox_field", package_id, did, "R", y=310)
    await owner.call("update_checkbox_field", package_id, did, "C", y=310)
    await owner.call("assign_document_field", package_id, did, "T", 1)
    await owner.call("get_document_fields", package_id, did, 1)
    await owner.call("delete_document_field", package_id, did, "S")

    # Share, and every recipient's part.
    await owner.call("share_document_package", package_id)
    details = (await owner.call("get_workflow_details", package_id)).json()
    package = classes.Package(package_id=package_id)
    package.set_workflow_details(details)
    classes.Document(package=package, document_id=document_id, workflow_details=details)
    await owner.call("get_packages", "ALL", 1, 10)
    await ana.call("get_packages", "PENDING", 1, 10, x_search_text="Lease")
    await ana.call("fill_form_fields", package_id, did, "text", "T", "1300")
    await ana.call("fill_form_fields", package_id, did, "radio", "R", "true", "G")
    await ana.call("fill_form_fields", package_id, did, "checkbox", "C", "true")
    for name in ("D", "E", "P", "I", *(f["field_name"] for f in autoplaced.json())):
        await ana.call("sign_document_v4", package_id, did, name, None, None, None)
    await ana.call("finish_processing", package_id)
    await ben.call("approve_document", package_id, reason="Fine")
    await owner.call("get_workflow_history", package_id)
    history = (await owner.call("get_workflow_history", package_id)).json()
    log_id = history["actions"][0]["log_id"]
    await owner.call("get_workflow_history_details", package_id, log_id, "true")
    status = await owner.call("authorization_signing_request_status", package_id, did, "D")
    assert status.json() == {"status": "SIGNED"}
    signed_id = next(
        a["log_id"] for a in history["actions"] if a["action_type"] == "DOCUMENT_SIGNED"
    )
    signed = (
        await owner.call("get_workflow_history_details", package_id, signed_id, "true")
    ).json()
    certificate_url = {d["key"]: d["value"] for d in signed["details"]}["certificate"]
    key = certificate_url.rsplit("/", 1)[1]
    certificate = await owner.call(
        "get_certificate_saved_in_workflow_history", package_id, signed_id, key
    )
    assert certificate.content.startswith(b"\x30")  # a DER SEQUENCE
    await owner.call("get_package_verification", package_id, "true")
    await owner.call("get_document_verification", package_id, did, "true")
    await owner.call("download_document", package_id, did)
    await owner.call("download_document", package_id, did, True)
    await owner.call("download_package", package_id)
    await owner.call("download_package", package_id, True)
    await owner.call("get_process_evidence_report", package_id)

    await admin.call("get_package", package_id)

    # A second package: opening by password, a signing code, the v3 sign, a decline.
    second = (await owner.call("add_package", "Second")).json()["package_id"]
    second_doc = (await owner.call("upload_document", second, folder, "lease.pdf", "API")).json()[
        "documentid"
    ]
    await owner.call("add_users_to_workflow", second, ana_email, "Ana", "SIGNER")
    await owner.call(
        "update_workflow_user_authentication_document_opening",
        second,
        1,
        authentication_enabled=True,
        authentication_password_enabled=True,
        user_password="open sesame 42",
    )
    await owner.call(
        "add_digital_signature_field", second, second_doc, 1, 1, field_name="D2", **place
    )
    await owner.call(
        "add_electronic_signature_field",
        second,
        second_doc,
        1,
        1,
        field_name="E2",
        authentication_enabled=True,
        x=72,
        y=300,
        width=150,
        height=40,
    )
    await owner.call("share_document_package", second)
    await ana.call("open_document_via_password", second, 1, "open sesame 42")
    await ana.call("signer_authentication_via_otp", second, second_doc, "E2")
    await ana.call("sign_document_v3", second, second_doc, "D2", None)
    await ana.call("decline_document", second, reason="Wrong rent")

    # A third: an editor submits, then an administrator terminates it.
    third = (await owner.call("add_package", "Third")).json()["package_id"]
    await owner.call("upload_document", third, folder, "annex.pdf", "API")
    await owner.call("add_users_to_workflow", third, ben_email, "Ben", "EDITOR")
    await owner.call("add_users_to_workflow", third, ana_email, "Ana", "SIGNER")
    await owner.call("share_document_package", third)
    await ben.call("submit_document", third)
    await admin.call("complete_workflow_in_the_middle", third)

    # A fourth: recalled, handed to the administrator, who deletes it.
    fourth = (await owner.call("add_package", "Fourth")).json()["package_id"]
    await owner.call("upload_document", fourth, folder, "annex.pdf", "API")
    await owner.call("add_users_to_workflow", fourth, ana_email, "Ana", "SIGNER")
    await owner.call(
        "update_workflow_user_authentication_document_opening",
        fourth,
        1,
        authentication_enabled=True,
        sms_otp_enabled=True,
        mobile_number="+32470123456",
    )
    await owner.call("share_document_package", fourth)
    await ana.call("open_document_via_otp", fourth, 1)
    await owner.call("recall_document", fourth)
    await owner.call("change_document_package_owner", fourth, tenant.admin_email)
    await admin.call("delete_package", fourth)

    # Templates and placeholders: a placeholder added and renamed by the client, the package
    # saved as a template (our call: the guide has none), listed, and applied by name.
    source = (await owner.call("add_package", "Contract source")).json()["package_id"]
    source_doc = (await owner.call("upload_document", source, folder, "annex.pdf", "API")).json()[
        "documentid"
    ]
    await owner.call(
        "add_placeholder_to_workflow",
        source,
        "Customer",
        role="SIGNER",
        email_notification=True,
        signing_order=1,
    )
    await owner.call("update_placeholder", source, 1, placeholder="Client")
    await owner.call("add_digital_signature_field", source, source_doc, 1, 1, **place)
    saved = await asyncio.to_thread(
        requests.post,
        f"{server_url}/v4/settings/templates",
        json={"package_id": source, "template_name": "Client contract"},
        headers={"Authorization": f"Bearer {owner.connection.access_token}"},
    )
    assert saved.status_code == 200, saved.text
    listed = (await owner.call("get_templates", 10, 1)).json()
    assert [t["template_name"] for t in listed] == ["Client contract"]
    library = (await owner.call("get_library_documents", 10, 1)).json()
    assert [d["template_name"] for d in library] == ["Client contract"]
    target = (await owner.call("add_package", "Contract 7")).json()["package_id"]
    target_doc = (await owner.call("upload_document", target, folder, "annex.pdf", "API")).json()[
        "documentid"
    ]
    applied = await owner.call(
        "apply_workflow_template", target, target_doc, "Client contract", apply_to_all=True
    )
    assert applied.json()["template"]["template_name"] == "Client contract"
    # Groups, personal and the enterprise's, as the client shapes them; a group joins a
    # workflow, and any one of its members acts for it.
    reviewers = await owner.call(
        "add_personal_group",
        "Reviewers",
        [{"UserEmail": ana_email, "UserName": "Ana"}, {"UserEmail": ben_email, "UserName": "Ben"}],
        description="Either of them",
    )
    reviewers_id = reviewers.json()["Id"]
    await owner.call("get_personal_group", reviewers_id)
    await owner.call("update_personal_group", reviewers_id, description="Ana or Ben")
    legal = await admin.call(
        "add_enterprise_group", "Legal", [{"UserEmail": ana_email}], description="Lawyers"
    )
    legal_id = legal.json()["Id"]
    await admin.call("get_enterprise_group", legal_id)
    await admin.call(
        "update_enterprise_group", legal_id, name="Legal team", members=[{"UserEmail": ben_email}]
    )
    groups = (await owner.call("get_groups", 10, 1)).json()
    assert [g["Name"] for g in groups] == ["Legal team", "Reviewers"]
    grouped = (await owner.call("add_package", "Grouped")).json()["package_id"]
    await owner.call("upload_document", grouped, folder, "annex.pdf", "API")
    await owner.call("add_groups_to_workflow", grouped, "Legal team", role="REVIEWER")
    await owner.call("update_workflow_group", grouped, 1, group_name="Reviewers")
    group_user = (await owner.call("get_workflow_users", grouped)).json()[0]
    recipient = classes.Recipient(workflow_details_user_json=group_user)
    assert recipient.is_group and recipient.group_name == "Reviewers"
    assert recipient.group_members == [ana_email, ben_email]
    await owner.call("share_document_package", grouped)
    await ben.call("approve_document", grouped, reason="For the reviewers")
    await owner.call("delete_personal_group", reviewers_id)
    await admin.call("delete_enterprise_group", legal_id)

    # Delegation of signing, as the client shapes it.
    period = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-31T00:00:00Z"}
    await owner.call(
        "update_signature_delegation_settings",
        enabled=True,
        user_email=ben_email,
        user_name="Ben",
        **period,
    )
    delegation = (await owner.call("get_signature_delegation_settings")).json()
    assert delegation["delegate"]["user_email"] == ben_email

    # Contacts: one added, then found by the search text the guide sends in base64; a
    # recipient added by contact (ours: docs/templates.md, "Contacts").
    await owner.call("add_contact", "zoe@example.test", "Zoe Contact")
    found = await owner.call("get_contacts", 10, 1, **{"x-search-text": "Wm9l"})
    assert [c["user_email"] for c in found.json()] == ["zoe@example.test"]

    # The account: role, policy, terms, notifications (Ana's turns), the activity log.
    await owner.call("get_service_agreements")
    assert (await owner.call("get_account")).json()["user_email"] == tenant.user_email
    await owner.call("get_account_password_policy")
    await owner.call("get_user_role", "true")
    notified = (await ana.call("get_notifications", 10, 1)).json()
    assert {n["package_id"] for n in notified} >= {package_id}
    logs = (await owner.call("get_user_activity_logs", 10, 1)).json()
    await owner.call("get_user_activity_logs_details", logs[0]["log_id"], "true")

    # Invitations: Acme invites Globex's user, who sees, accepts (and moves to Acme);
    # another invitation is withdrawn; declining with none left is harmless.
    globex_user = await signed_in(server_url, other_tenant, other_tenant.user_email, called)
    await admin.call(
        "invite_enterprise_user", other_tenant.user_email, "Gus", enterprise_role="user"
    )
    await admin.call("invite_enterprise_user", "later@example.test", "Later")
    listed_invitations = (await admin.call("get_enterprise_invitations", 1, 10)).json()
    assert len(listed_invitations) == 2
    await admin.call("delete_enterprise_user_invitation", "later@example.test")
    assert (await globex_user.call("get_account_invitations")).json()[0]["enterprise_name"] == (
        tenant.name
    )
    await globex_user.call("accept_account_invitations", tenant.name)
    moved = await signed_in(server_url, tenant, other_tenant.user_email, called)
    await moved.call("reject_all_account_invitations")

    # Self-registration (enabled for this module), activation mail again, forgot password
    # and the new password set with the link's token as the client's access token.
    await owner.call("register_user_free_trial", "self@example.test", "Self", job_title="Clerk")
    await admin.call("resend_activation_email", "self@example.test")
    await admin.call("send_forgot_password_request", ben_email)
    await Worker(context).run_until_idle()
    [reset_token] = [
        token
        for mail in file_mails(context)
        if ben_email in str(mail["To"])
        for token in re.findall(r"/web/password/(sfp_[A-Za-z0-9_-]+)", text_of(mail))
    ]
    resetting = Client(Connection(server_url, access_token=reset_token, api_version=4), called)
    await resetting.call("set_new_password", "ben's new passphrase", "", "")

    # Last: a password change ends the owner's other sessions.
    await owner.call("change_password", PASSWORD, "a brand new passphrase")

    missing = public_methods() - set(called) - set(NOT_CALLED)
    assert not missing, " ".join(sorted(missing))
    assert not set(called) & set(NOT_CALLED)
    # The count the coordinator reads: methods of the 147 that work against Signflow.
    assert len(called) == WORKING, sorted(called)


async def test_enterprise_branding_as_the_client_means_it(server_url: str, tenant: Tenant):
    """`get_enterprise_branding` never leaves the client (a bool header value); the same
    request with the header as text is answered in the guide's shape."""
    client = await signed_in(server_url, tenant, tenant.user_email, {})
    with pytest.raises(requests.exceptions.InvalidHeader):
        await client.call("get_enterprise_branding")
    connection = client.connection
    headers = connection.add_bearer(copy.deepcopy(DEFAULT_GET))
    headers["x-base64"] = "True"
    url = f"{connection.full_url}/v{connection.api_version}/enterprise/branding"
    response = await asyncio.to_thread(requests.get, url, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"logo", "logo_url", "favicon", "favicon_url", "colors"}
    assert len(body["colors"]) == 13
