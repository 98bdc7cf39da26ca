"""Each recipient's mails in their language (their own, else the enterprise's default),
with the enterprise's branding, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import base64

import httpx
import pytest

from signflow.context import AppContext
from signflow.outbox.worker import Worker
from tests.branding.test_checks import image
from tests.factories import Tenant, bearer
from tests.notify.conftest import SmtpServer
from tests.notify.test_jobs import LINK, bodies, mails
from tests.workflow.helpers import People, act, new_package, share


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:
    return {
        "smtp_url": f"smtp://127.0.0.1:{smtp_server.port}",
        "mail_from": "Signflow <sign@acme.test>",
    }


async def test_spanish_and_german_mails_with_the_enterprise_branding(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext, smtp_server: SmtpServer
) -> None:
    admin = await bearer(client, tenant, tenant.admin_email)
    logo = image("PNG")
    branded = await client.put(
        "/v4/enterprise/settings/branding",
        json={
            "display_name": "Acme Leasing",
            "accent_color": "#7a1f5c",
            "logo": base64.b64encode(logo).decode(),
        },
        headers=admin,
    )
    assert branded.status_code == 200, branded.text
    default = await client.put(
        "/v4/enterprise/settings/language", json={"default_language": "de"}, headers=admin
    )
    assert default.status_code == 200, default.text

    people = await People(client, context, tenant).start("ana", "bo")
    package_id, _ = await new_package(people, name="Mietvertrag 2026")
    users = [
        {"user_email": people.email("ana"), "user_name": "Ana", "role": "SIGNER", "language": "es"},
        {"user_email": people.email("bo"), "user_name": "Bo", "role": "SIGNER"},
    ]
    added = await client.post(
        f"/v3/packages/{package_id}/workflow/users", json=users, headers=people.owner
    )
    assert added.status_code == 200, added.text
    listed = await client.get(f"/v3/packages/{package_id}/workflow/users", headers=people.owner)
    assert [u["language"] for u in listed.json()] == ["es", None]
    await share(people, package_id)
    await Worker(context).run_until_idle()

    [(to, spanish)] = mails(smtp_server)
    assert to == [people.email("ana")]
    assert spanish["Subject"].endswith(" le pide que firme «Mietvertrag 2026»")
    text, html = bodies(spanish)
    assert "Hola, Ana:" in text and "Abra los documentos y firme aquí:" in text
    assert "Revisar y firmar" in html and '<html lang="es">' in html
    assert "Acme Leasing" in text and "background:#7a1f5c" in html
    assert 'src="cid:brand-logo"' in html
    [inline] = [part for part in spanish.walk() if part.get_content_type() == "image/png"]
    assert inline["Content-ID"] == "<brand-logo>" and inline.get_content() == logo
    [link] = set(LINK.findall(text))
    # The link opens the first page in Spanish too.
    landing = await client.get(link)
    assert landing.status_code == 303
    page = await client.get(landing.headers["location"])
    assert '<html lang="es">' in page.text and "Acme Leasing" in page.text

    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    await Worker(context).run_until_idle()
    [(to, german)] = mails(smtp_server)[1:]
    assert to == [people.email("bo")]
    assert german["Subject"].endswith("bittet Sie, „Mietvertrag 2026“ zu unterschreiben")
    text, html = bodies(german)
    assert "Hallo Bo," in text and "Prüfen und unterschreiben" in html
    assert '<html lang="de">' in html

    declined = await act(people, "bo", package_id, "decline", {"reason": "Zu teuer"})
    assert declined.status_code == 200, declined.text
    await Worker(context).run_until_idle()
    [(to, notice)] = mails(smtp_server)[2:]
    assert to == [tenant.user_email]  # the owner: no profile language, the default (German)
    assert "hat „Mietvertrag 2026“ abgelehnt" in notice["Subject"]
    text, _ = bodies(notice)
    assert "Die Begründung:" in text and "Zu teuer" in text


async def test_a_recipient_language_is_checked_and_can_be_changed(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
) -> None:
    people = await People(client, context, tenant).start("ana", "bo")
    package_id, _ = await new_package(people)
    path = f"/v4/packages/{package_id}/workflow/users"
    users = [
        {"user_email": people.email("ana"), "role": "SIGNER", "language": "fr"},
        {"user_email": people.email("bo"), "role": "SIGNER", "language": "klingon"},
    ]
    refused = await client.post(path, json=users, headers=people.owner)
    assert refused.status_code == 400
    assert refused.json()["Message"].startswith("Language 'klingon' is not supported")
    assert (await client.get(path, headers=people.owner)).json() == []  # nothing half-added
    users[1]["language"] = "NL-be"
    assert (await client.post(path, json=users, headers=people.owner)).status_code == 200
    assert [u["language"] for u in (await client.get(path, headers=people.owner)).json()] == [
        "fr",
        "nl",
    ]
    user_path = f"/v4/packages/{package_id}/workflow/2/user"
    bad = await client.put(user_path, json={"language": "xx"}, headers=people.owner)
    assert bad.status_code == 400
    changed = await client.put(user_path, json={"language": "pt"}, headers=people.owner)
    assert changed.status_code == 200, changed.text
    cleared = await client.put(
        f"/v4/packages/{package_id}/workflow/1/user", json={"language": ""}, headers=people.owner
    )
    assert cleared.status_code == 200
    assert [u["language"] for u in (await client.get(path, headers=people.owner)).json()] == [
        None,
        "pt",
    ]
    stranger = await bearer(client, tenant, tenant.admin_email)
    assert (await client.put(user_path, json={"language": "de"}, headers=stranger)).status_code in (
        403,
        404,
    )
