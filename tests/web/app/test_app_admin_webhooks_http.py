"""The admin's webhook endpoints pages over HTTP, on SQLite and PostgreSQL: an endpoint
made through the form receives a signed test event at a real receiver on loopback, its
delivery appears in the log and is redelivered (the receiver gets it twice); changes,
turning off and on, a new secret, deletion; refused URLs as 4xx with nothing saved;
admins only; another enterprise's admin gets 404; CSRF on every form."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest
from standardwebhooks import Webhook

from signflow.app import create_app
from signflow.context import AppContext
from signflow.outbox.worker import Worker
from tests.factories import Tenant, bearer, create_package, upload_document
from tests.pdf.builders import make_pdf
from tests.web.app.helpers import browser, form_token, sign_in
from tests.webhooks.receiver import Receiver

PAGE = "/app/admin/webhooks"
SECRET = re.compile(r'<code id="created-secret" class="app-key">(whsec_[A-Za-z0-9+/=]+)</code>')
ENDPOINT_ID = re.compile(r'action="/app/admin/webhooks/(\d+)/test"')
DELIVERY_ID = re.compile(r'id="delivery-(\d+)"')
PAYLOAD = re.compile(r'<pre class="hooks-body" id="payload"[^>]*>([^<]*)</pre>')


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # The operator allow-lists loopback, where the test's receiver listens.
    return {"webhook_allowed_networks": "127.0.0.0/8", "webhook_timeout_seconds": 2.0}


async def _create(
    client: httpx.AsyncClient, url: str, **fields: str
) -> tuple[httpx.Response, int, str]:
    token = await form_token(client, PAGE)
    answer = await client.post(PAGE, data={"csrf": token, "url": url, **fields})
    assert answer.status_code == 200, answer.text
    [secret] = SECRET.findall(answer.text)
    [endpoint_id] = ENDPOINT_ID.findall(answer.text)
    return answer, int(endpoint_id), secret


async def _api_endpoints(api: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, object]]:
    headers = await bearer(api, tenant, tenant.admin_email)
    answer = await api.get("/v3/webhooks", headers=headers)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, object]] = answer.json()
    return found


async def test_a_test_event_is_delivered_logged_and_redelivered(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        _, endpoint_id, secret = await _create(
            app, receiver.url(), description="ERP", **{"event.TEST": "1", "event.CREATE": "1"}
        )
        here = f"{PAGE}/{endpoint_id}"
        listed = await app.get(PAGE)
        assert receiver.url() in listed.text and secret not in listed.text  # shown once
        assert "CREATE, TEST" in listed.text

        token = await form_token(app, here)
        queued = await app.post(f"{here}/test", data={"csrf": token})
        assert queued.status_code == 303 and queued.headers["location"] == f"{here}?done=test"
        pending = await app.get(here)
        assert "Pending" in pending.text
        await Worker(context).run_until_idle()

        [first] = receiver.requests
        sent = json.loads(first.body)
        assert sent["status"] == "TEST"
        assert Webhook(secret).verify(first.body, first.headers) == sent
        log = await app.get(here)
        [delivery_id] = DELIVERY_ID.findall(log.text)
        assert "Delivered" in log.text and "<dd>200</dd>" in log.text

        opened = await app.get(f"{here}/deliveries/{delivery_id}")
        assert opened.status_code == 200
        [payload] = PAYLOAD.findall(opened.text)
        assert html.unescape(payload) == first.body.decode()  # the payload as stored
        assert first.headers["webhook-id"] in opened.text

        # htmx posts the same form (its header changes nothing on the server's side).
        again = await app.post(
            f"{here}/deliveries/{delivery_id}/redeliver",
            data={"csrf": token},
            headers={"hx-request": "true"},
        )
        assert again.status_code == 303
        assert again.headers["location"] == f"{here}?done=redelivered"
        await Worker(context).run_until_idle()
        assert len(receiver.requests) == 2
        assert receiver.requests[1].body == first.body
        assert receiver.requests[1].headers["webhook-id"] == first.headers["webhook-id"]
        opened = await app.get(f"{here}/deliveries/{delivery_id}")
        assert opened.text.count('id="attempt-') == 2

    # The API's new call answers the same delivery.
    headers = await bearer(client, tenant, tenant.admin_email)
    one = await client.get(f"/v3/webhooks/{endpoint_id}/deliveries/{delivery_id}", headers=headers)
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["payload"] == first.body.decode()
    assert [a["status_code"] for a in body["attempts"]] == [200, 200]
    assert body["attempts"][0]["response"] == "ok"
    missing = await client.get(f"/v3/webhooks/{endpoint_id}/deliveries/999999", headers=headers)
    assert missing.status_code == 404


async def test_a_sent_packages_notification_appears_in_the_log(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        _, endpoint_id, secret = await _create(app, receiver.url(), **{"event.CREATE": "1"})
        headers = await bearer(client, tenant, tenant.admin_email)
        package_id = await create_package(client, headers, "Lease 2026")
        await upload_document(client, headers, package_id, make_pdf(texts=["lease"]), "l.pdf")
        reviewer = {"user_email": "rita@example.test", "user_name": "Rita", "role": "REVIEWER"}
        added = await client.post(
            f"/v3/packages/{package_id}/workflow/users", json=[reviewer], headers=headers
        )
        assert added.status_code == 200, added.text
        shared = await client.post(f"/v3/packages/{package_id}/workflow", headers=headers)
        assert shared.status_code == 200, shared.text
        await Worker(context).run_until_idle()

        [request] = receiver.requests
        assert json.loads(request.body)["package"] == str(package_id)
        Webhook(secret).verify(request.body, request.headers)
        log = await app.get(f"{PAGE}/{endpoint_id}")
        [delivery_id] = DELIVERY_ID.findall(log.text)
        assert "<code>CREATE</code>" in log.text and "Delivered" in log.text
        opened = await app.get(f"{PAGE}/{endpoint_id}/deliveries/{delivery_id}")
        [payload] = PAYLOAD.findall(opened.text)
        assert html.unescape(payload) == request.body.decode()


async def test_the_log_is_newest_first_and_paged(
    context: AppContext, tenant: Tenant, receiver: Receiver
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        _, endpoint_id, _ = await _create(app, receiver.url())
        here = f"{PAGE}/{endpoint_id}"
        token = await form_token(app, here)
        for _ in range(21):
            assert (await app.post(f"{here}/test", data={"csrf": token})).status_code == 303
        first = await app.get(here)
        newest = [int(i) for i in DELIVERY_ID.findall(first.text)]
        assert len(newest) == 20 and newest == sorted(newest, reverse=True)
        assert "Page 1 of 2" in first.text
        second = await app.get(f"{here}?page=2")
        [oldest] = [int(i) for i in DELIVERY_ID.findall(second.text)]
        assert oldest < min(newest)
        for bad in ("0", "x", "-1", "9999999"):
            assert (await app.get(f"{here}?page={bad}")).status_code == 400


async def test_change_turn_off_and_on_rotate_and_delete(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        _, endpoint_id, secret = await _create(app, receiver.url(), **{"event.TEST": "1"})
        here = f"{PAGE}/{endpoint_id}"
        token = await form_token(app, here)
        changed = await app.post(
            here,
            data={
                "csrf": token,
                "url": receiver.url("/other"),
                "description": "Billing",
                "event.SIGNED_PACKAGE": "1",
            },
        )
        assert changed.status_code == 303
        [endpoint] = await _api_endpoints(client, tenant)
        assert endpoint["url"] == receiver.url("/other")
        assert endpoint["description"] == "Billing"
        assert endpoint["events"] == ["SIGNED_PACKAGE"]
        everything = await app.post(here, data={"csrf": token, "url": receiver.url("/other")})
        assert everything.status_code == 303
        [endpoint] = await _api_endpoints(client, tenant)
        assert endpoint["events"] is None

        off = await app.post(f"{here}/enabled", data={"csrf": token, "enabled": "0"})
        assert off.headers["location"] == f"{here}?done=disabled"
        [endpoint] = await _api_endpoints(client, tenant)
        assert endpoint["enabled"] is False
        assert "disabled by an administrator" in (await app.get(here)).text
        on = await app.post(f"{here}/enabled", data={"csrf": token, "enabled": "1"})
        assert on.headers["location"] == f"{here}?done=enabled"
        [endpoint] = await _api_endpoints(client, tenant)
        assert endpoint["enabled"] is True

        rotated = await app.post(f"{here}/secret", data={"csrf": token})
        assert rotated.status_code == 200
        [new_secret] = SECRET.findall(rotated.text)
        assert new_secret != secret
        await app.post(f"{here}/test", data={"csrf": token})
        await Worker(context).run_until_idle()
        [request] = receiver.requests
        Webhook(new_secret).verify(request.body, request.headers)

        deleted = await app.post(f"{here}/delete", data={"csrf": token})
        assert deleted.headers["location"] == f"{PAGE}?done=deleted"
        assert await _api_endpoints(client, tenant) == []
        assert (await app.get(here)).status_code == 404


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://10.1.2.3/hook", "forbidden destination"),
        ("http://169.254.169.254/latest", "forbidden destination"),
        ("ftp://hooks.example.com/x", "must start with http:// or https://"),
        ("", "must start with http:// or https://"),
        ("https://example.com/" + "a" * 2100, "A value of the form is not valid."),
    ],
)
async def test_a_refused_url_is_said_and_nothing_is_saved(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient, url: str, said: str
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        token = await form_token(app, PAGE)
        answer = await app.post(PAGE, data={"csrf": token, "url": url})
        assert answer.status_code == 400
        assert said in html.unescape(answer.text)
        assert 'id="hooks-error"' in answer.text
        if url and len(url) < 100:
            assert f'value="{url}"' in answer.text  # the form keeps what was typed
    assert await _api_endpoints(client, tenant) == []


async def test_a_refused_change_changes_nothing(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        _, endpoint_id, _ = await _create(app, receiver.url(), description="ERP")
        here = f"{PAGE}/{endpoint_id}"
        token = await form_token(app, here)
        refused = await app.post(
            here, data={"csrf": token, "url": "http://192.168.1.1/", "description": "New"}
        )
        assert refused.status_code == 400
        assert "forbidden destination" in html.unescape(refused.text)
        long_description = await app.post(
            here, data={"csrf": token, "url": receiver.url(), "description": "d" * 501}
        )
        assert long_description.status_code == 400
        bad_switch = await app.post(f"{here}/enabled", data={"csrf": token, "enabled": "maybe"})
        assert bad_switch.status_code == 400
    [endpoint] = await _api_endpoints(client, tenant)
    assert endpoint["url"] == receiver.url()
    assert endpoint["description"] == "ERP"
    assert endpoint["enabled"] is True


async def _endpoint_with_a_delivery(
    context: AppContext, app: httpx.AsyncClient, receiver: Receiver
) -> tuple[int, int]:
    _, endpoint_id, _ = await _create(app, receiver.url())
    token = await form_token(app, f"{PAGE}/{endpoint_id}")
    await app.post(f"{PAGE}/{endpoint_id}/test", data={"csrf": token})
    await Worker(context).run_until_idle()
    [delivery_id] = DELIVERY_ID.findall((await app.get(f"{PAGE}/{endpoint_id}")).text)
    return endpoint_id, int(delivery_id)


def _forms(endpoint_id: int, delivery_id: int, url: str) -> list[tuple[str, dict[str, str]]]:
    here = f"{PAGE}/{endpoint_id}"
    return [
        (PAGE, {"url": url}),
        (here, {"url": url + "/changed", "description": "changed"}),
        (f"{here}/enabled", {"enabled": "0"}),
        (f"{here}/secret", {}),
        (f"{here}/test", {}),
        (f"{here}/deliveries/{delivery_id}/redeliver", {}),
        (f"{here}/delete", {}),
    ]


async def _unchanged(
    context: AppContext,
    client: httpx.AsyncClient,
    tenant: Tenant,
    receiver: Receiver,
    deliveries: int,
) -> None:
    [endpoint] = await _api_endpoints(client, tenant)
    assert (endpoint["url"], endpoint["description"], endpoint["enabled"]) == (
        receiver.url(),
        None,
        True,
    )
    headers = await bearer(client, tenant, tenant.admin_email)
    log = await client.get(f"/v3/webhooks/{endpoint['id']}/deliveries", headers=headers)
    assert log.headers["x-total-records"] == "1"
    await Worker(context).run_until_idle()
    assert len(receiver.requests) == deliveries


async def test_another_enterprises_admin_gets_404_and_changes_nothing(
    context: AppContext,
    tenant: Tenant,
    other_tenant: Tenant,
    client: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    app = create_app(context=context)
    async with browser(app) as admin, browser(app) as intruder:
        await sign_in(admin, tenant.admin_email)
        endpoint_id, delivery_id = await _endpoint_with_a_delivery(context, admin, receiver)
        await sign_in(intruder, other_tenant.admin_email)
        token = await form_token(intruder, PAGE)
        here = f"{PAGE}/{endpoint_id}"
        for path in (here, f"{here}/deliveries/{delivery_id}"):
            assert (await intruder.get(path)).status_code == 404
        for path, data in _forms(endpoint_id, delivery_id, receiver.url())[1:]:
            answer = await intruder.post(path, data={"csrf": token, **data})
            assert answer.status_code == 404, path
        # Their own endpoint does not open the admin's delivery either.
        _, own_id, _ = await _create(intruder, receiver.url("/globex"))
        crossed = await intruder.get(f"{PAGE}/{own_id}/deliveries/{delivery_id}")
        assert crossed.status_code == 404
        assert receiver.url() + "<" not in (await intruder.get(PAGE)).text
    await _unchanged(context, client, tenant, receiver, deliveries=1)


async def test_a_user_who_is_no_admin_is_refused(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    app = create_app(context=context)
    async with browser(app) as admin, browser(app) as user:
        await sign_in(admin, tenant.admin_email)
        endpoint_id, delivery_id = await _endpoint_with_a_delivery(context, admin, receiver)
        await sign_in(user, tenant.user_email)
        assert (await user.get(PAGE)).status_code == 403
        here = f"{PAGE}/{endpoint_id}"
        for path in (here, f"{here}/deliveries/{delivery_id}"):
            assert (await user.get(path)).status_code == 403
        token = await form_token(user, "/app/")
        for path, data in _forms(endpoint_id, delivery_id, receiver.url()):
            answer = await user.post(path, data={"csrf": token, **data})
            assert answer.status_code == 403, path
        assert 'href="/app/admin/webhooks"' not in (await user.get("/app/")).text
    await _unchanged(context, client, tenant, receiver, deliveries=1)


async def test_every_form_needs_its_csrf_token(
    context: AppContext, tenant: Tenant, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    async with browser(create_app(context=context)) as app:
        await sign_in(app, tenant.admin_email)
        endpoint_id, delivery_id = await _endpoint_with_a_delivery(context, app, receiver)
        own = await form_token(app, PAGE)
        for path, data in _forms(endpoint_id, delivery_id, receiver.url()):
            for body in (data, {**data, "csrf": "forged"}):
                assert (await app.post(path, data=body)).status_code == 403, path
            cross = await app.post(
                path, data={**data, "csrf": own}, headers={"origin": "https://evil.test"}
            )
            assert cross.status_code == 403, path
    await _unchanged(context, client, tenant, receiver, deliveries=1)
