"""The identity page, signing codes and /openDocument over HTTP, on SQLite and PostgreSQL:
wrong values, tries left, the block, the resend limit, CSRF, unknown and closed links."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select, update

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import OneTimeCode, Recipient, SignatureRequest
from tests.factories import Tenant
from tests.web.helpers import add_field, box, latest_code
from tests.web.test_web_http import _csrf, _links, _path, _shared
from tests.workflow.helpers import People, add_users, make_pdf, new_package, share, statuses


def _authentication(**methods: object) -> dict[str, object]:
    return {"apply_to_all": False, "authentication": {"enabled": True, **methods}}


async def _protected(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, **methods: object
) -> tuple[object, int]:
    """Ana (a signer) must pass the given check; her session has started."""
    people, package_id = await _shared(client, context, tenant)
    response = await client.put(
        f"/v3/packages/{package_id}/workflow/1/authentication",
        json=_authentication(**methods),
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    await share(people, package_id)
    links = await _links(context, package_id)
    landing = await client.get(_path(links["ana"]))
    assert landing.headers["location"] == "/web/package"
    return people, package_id


async def _code_rows(context: AppContext, package_id: int) -> int:
    async with transaction(context.sessions) as session:
        ids = select(Recipient.id).where(Recipient.package_id == package_id)
        return len(
            list(
                await session.scalars(
                    select(OneTimeCode.id).where(OneTimeCode.recipient_id.in_(ids))
                )
            )
        )


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_a_password_recipient_sees_tries_left_then_gets_in(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id = await _protected(
        client, context, tenant, password={"enabled": True, "user_password": "s3cret-pass"}
    )
    # Every page of the package sends her to the identity page first.
    package = await client.get("/web/package")
    assert (package.status_code, package.headers["location"]) == (303, "/web/identity")
    image = await client.get("/web/package/documents/1/pages/1.png")
    assert image.headers.get("location") == "/web/identity"
    page = await client.get("/web/identity")
    assert page.status_code == 200
    assert 'type="password"' in page.text and 'name="code"' not in page.text
    assert "Tries left: 3 of 3" in page.text
    assert "<script>" not in page.text and " style=" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    csrf = _csrf(page.text, "/web/identity")

    # A wrong CSRF token takes no try.
    forged = await client.post("/web/identity", data={"password": "guess", "csrf": "x"})
    assert forged.headers["location"] == "/web/identity"
    after = (await client.get("/web/identity")).text
    assert "The form has expired" in after and "Tries left: 3 of 3" in after

    wrong = await client.post("/web/identity", data={"password": "guess", "csrf": csrf})
    assert (wrong.status_code, wrong.headers["location"]) == (303, "/web/identity")
    after = (await client.get("/web/identity")).text
    assert "That is not right" in after and "Tries left: 2 of 3" in after
    empty = await client.post("/web/identity", data={"password": "", "csrf": csrf})
    assert empty.headers["location"] == "/web/identity"
    assert "Enter the password or the code first" in (await client.get("/web/identity")).text

    right = await client.post("/web/identity", data={"password": "s3cret-pass", "csrf": csrf})
    assert right.headers["location"] == "/web/package"
    package = await client.get("/web/package")
    assert package.status_code == 200 and "Sign here" in package.text
    # Once passed, the identity page sends her on.
    assert (await client.get("/web/identity")).headers["location"] == "/web/package"
    log = await client.get(f"/v3/packages/{package_id}/log", headers=people.owner)
    actions = [entry["action_type"] for entry in log.json()["actions"]]
    assert actions.count("IDENTITY_CHECK_FAILED") == 1
    assert "IDENTITY_VERIFIED" in actions and "DOCUMENT_OPENED" in actions


async def test_three_wrong_codes_block_the_recipient(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id = await _protected(client, context, tenant, email_otp={"enabled": True})
    page = await client.get("/web/identity")
    assert 'name="code"' in page.text and "Send me the code" in page.text
    csrf = _csrf(page.text, "/web/identity/send")
    sent = await client.post("/web/identity/send", data={"csrf": csrf})
    assert sent.headers["location"] == "/web/identity"
    page = await client.get("/web/identity")
    assert "We sent the code" in page.text and "Send the code again" in page.text
    code = await latest_code(context, package_id)
    for left in (2, 1):
        await client.post("/web/identity", data={"code": _wrong(code), "csrf": csrf})
        assert f"Tries left: {left} of 3" in (await client.get("/web/identity")).text
    third = await client.post("/web/identity", data={"code": _wrong(code), "csrf": csrf})
    assert third.headers["location"] == "/web/identity"
    for path in ("/web/identity", "/web/package"):
        blocked = await client.get(path)
        assert blocked.status_code == 403, path
        assert "three wrong tries" in blocked.text
    # Even the right code is refused now.
    late = await client.post("/web/identity", data={"code": code, "csrf": csrf})
    assert late.headers["location"] == "/web/identity"
    assert (await client.get("/web/identity")).status_code == 403
    assert await statuses(people, package_id) == ("SHARED", ["BLOCKED", "UN_PROCESSED"])


async def test_the_code_cannot_be_sent_again_within_a_minute(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    _, package_id = await _protected(client, context, tenant, email_otp={"enabled": True})
    csrf = _csrf((await client.get("/web/identity")).text, "/web/identity/send")
    await client.post("/web/identity/send", data={"csrf": csrf})
    again = await client.post("/web/identity/send", data={"csrf": csrf})
    assert again.headers["location"] == "/web/identity"
    page = await client.get("/web/identity")
    assert "A code was sent a moment ago. Wait" in page.text and "seconds" in page.text
    assert await _code_rows(context, package_id) == 1
    # The code that was sent still opens the package.
    code = await latest_code(context, package_id)
    right = await client.post("/web/identity", data={"code": code, "csrf": csrf})
    assert right.headers["location"] == "/web/package"
    assert (await client.get("/web/package")).status_code == 200


async def test_a_signing_code_is_sent_from_the_dialog_and_checked(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start()
    package_id, (document_id,) = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    code_field = ("electronic_signature", 1, "AnaCode", box(300, 100, 150, 50))
    await add_field(
        client,
        people.owner,
        package_id,
        document_id,
        code_field,
        authentication=True,
        version="v3",
    )
    await share(people, package_id)
    links = await _links(context, package_id)
    await client.get(_path(links["ana"]))
    html = (await client.get("/web/package")).text
    assert 'data-field="AnaCode"' in html and 'data-code="email"' in html
    csrf = _csrf(html, "/web/package/decline")
    form = {"csrf": csrf, "document_id": str(document_id), "field_name": "AnaCode"}
    typed = form | {"typed_name": "Ana"}

    without = await client.post("/web/package/sign", data=typed)
    assert without.headers["location"] == "/web/package"
    assert "Enter the password or the code first" in (await client.get("/web/package")).text

    json_headers = {"accept": "application/json"}
    sent = await client.post("/web/package/sign-code", data=form, headers=json_headers)
    assert sent.status_code == 200 and "We sent the code" in sent.json()["message"]
    again = await client.post("/web/package/sign-code", data=form, headers=json_headers)
    assert again.status_code == 429 and "Wait" in again.json()["message"]
    assert int(again.headers["retry-after"]) >= 1
    code = await latest_code(context, package_id)

    wrong = await client.post("/web/package/sign", data=typed | {"otp": _wrong(code)})
    assert wrong.headers["location"] == "/web/package"
    html = (await client.get("/web/package")).text
    assert "That is not right" in html and "Tries left: 2 of 3" in html
    signed = await client.post("/web/package/sign", data=typed | {"otp": code})
    assert signed.headers["location"] == "/web/package"
    assert "is signed" in (await client.get("/web/package")).text


async def _signature_request(
    client: httpx.AsyncClient, tenant: Tenant, **extra: object
) -> dict[str, object]:
    body = {
        "filedata": {"content": base64.b64encode(make_pdf()).decode(), "state": "tosign"},
        "filename": "contract.pdf",
        **extra,
    }
    response = await client.post(
        "/JSON/signatureRequest", json=body, headers={"x-api-key": tenant.api_key}
    )
    assert response.status_code == 200, response.text
    created: dict[str, object] = response.json()
    return created


async def test_unknown_expired_and_closed_open_document_links(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    unknown = await client.get(f"/openDocument/{uuid.uuid4()}")
    assert unknown.status_code == 400
    assert "does not exist or was withdrawn" in unknown.text
    assert "signflow_signer" not in unknown.headers.get("set-cookie", "")
    spanish = await client.get("/openDocument/not-a-uuid?lang=es")
    assert spanish.status_code == 400
    assert '<html lang="es">' in spanish.text and "no existe" in spanish.text

    created = await _signature_request(client, tenant, resulturl="https://erp.example/back?x=1")
    request_id = str(created["result"])
    short = await client.get(f"/{request_id}?lang=es")
    assert (short.status_code, short.headers["location"]) == (
        303,
        f"/openDocument/{request_id}?lang=es",
    )
    opened = await client.get(f"/openDocument/{request_id}?lang=es")
    assert (opened.status_code, opened.headers["location"]) == (303, "/web/package")
    page = await client.get("/web/package")
    assert page.status_code == 200 and 'action="/web/request/sign"' in page.text
    assert "form-action 'self' https://erp.example" in page.headers["content-security-policy"]
    csrf = _csrf(page.text, "/web/request/cancel")
    # The plain package actions are not for a signature request.
    plain = await client.post(
        "/web/package/sign",
        data={
            "csrf": csrf,
            "document_id": str(created["documentId"]),
            "field_name": "Signature",
            "typed_name": "Ana",
        },
    )
    assert plain.headers["location"] == "/web/package"
    forged = await client.post("/web/request/cancel", data={"csrf": "nope"})
    assert forged.headers["location"] == "/web/package"
    assert "El formulario ha caducado" in (await client.get("/web/package")).text

    cancelled = await client.post("/web/request/cancel", data={"csrf": csrf})
    assert cancelled.status_code == 303
    target = urlsplit(cancelled.headers["location"])
    assert (target.netloc, target.path) == ("erp.example", "/back")
    query = parse_qs(target.query)
    assert query["x"] == ["1"] and query["result"] == ["close"] and query["lang"] == ["es"]
    closed = await client.get(f"/openDocument/{request_id}")
    assert closed.status_code == 410 and "Se canceló la firma" in closed.text  # her language
    english = await client.get(f"/openDocument/{request_id}?lang=en")
    assert english.status_code == 410 and "was cancelled" in english.text

    expiring = await _signature_request(client, tenant)
    async with transaction(context.sessions) as session:
        await session.execute(
            update(SignatureRequest)
            .where(SignatureRequest.id == expiring["result"])
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    expired = await client.get(f"/openDocument/{expiring['result']}")
    assert expired.status_code == 400 and "Este enlace de firma ha caducado" in expired.text
