"""Preview as a recipient over HTTP, on SQLite and PostgreSQL: the signer page's fields of
the chosen recipient, the others' shown as theirs, read-only; nothing recorded in the
history, no mail queued (a draft and a sent package alike); only the owner may look."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry, Job, Recipient
from tests.factories import Tenant
from tests.web.app.documents_helpers import app_signed_in, page_token
from tests.web.app.test_app_documents_http import browser_of, prepared
from tests.workflow.helpers import People


async def recorded(context: AppContext) -> tuple[int, int, list[object]]:
    """History entries, jobs (mail goes out as jobs) and the recipients' read times."""
    async with transaction(context.sessions) as session:
        history = await session.scalar(select(func.count()).select_from(HistoryEntry))
        jobs = await session.scalar(select(func.count()).select_from(Job))
        read = list(await session.scalars(select(Recipient.read_at).order_by(Recipient.id)))
    return history or 0, jobs or 0, read


async def test_preview_shows_a_recipients_fields_and_records_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, document_id = await prepared(client, people)
    prepare = await client.get(f"/app/new/{package_id}")
    assert f'href="/app/new/{package_id}/preview"' in prepare.text

    before = await recorded(context)
    # Ana has the signature, Ben the text field.
    as_ana = await client.get(f"/app/new/{package_id}/preview", params={"order": "1"})
    assert as_ana.status_code == 200, as_ana.text
    assert "field-sign" in as_ana.text
    assert as_ana.text.count('class="field other-field"') == 1
    assert "Text · Ben" in as_ana.text
    assert "disabled" in as_ana.text
    assert 'action="/web/package' not in as_ana.text
    as_ben = await client.get(f"/app/new/{package_id}/preview", params={"order": "2"})
    assert as_ben.status_code == 200, as_ben.text
    assert "field-input" in as_ben.text
    assert "Signature · Ana" in as_ben.text
    first = await client.get(f"/app/new/{package_id}/preview")
    assert first.status_code == 200
    assert 'value="1" selected' in first.text
    assert await recorded(context) == before

    # Sent: still read-only, and previewing is not Ana opening it.
    token = await page_token(client, f"/app/new/{package_id}")
    sent = await client.post(f"/app/new/{package_id}/send", data={"csrf": token})
    assert sent.status_code == 303, sent.text
    before = await recorded(context)
    for order in ("1", "2"):
        answer = await client.get(f"/app/new/{package_id}/preview", params={"order": order})
        assert answer.status_code == 200, answer.text
        assert 'action="/web/package' not in answer.text
    assert await recorded(context) == before
    assert document_id


async def test_bad_orders_and_other_people(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, other_tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana", "ben")
    await app_signed_in(client, tenant, tenant.user_email)
    package_id, _ = await prepared(client, people)
    for order in ("9", "x", "-1", "0"):
        answer = await client.get(f"/app/new/{package_id}/preview", params={"order": order})
        assert answer.status_code == 400, (order, answer.status_code)
    others = await People(client, context, other_tenant).start()
    before = await recorded(context)
    for tenant_of, email in (
        (tenant, people.email("ana")),
        (other_tenant, others.tenant.user_email),
    ):
        async with browser_of(client) as outsider:
            await app_signed_in(outsider, tenant_of, email)
            for order in ("", "1"):
                answer = await outsider.get(
                    f"/app/new/{package_id}/preview", params={"order": order}
                )
                assert answer.status_code == 404, (email, answer.status_code)
                assert "Lease 2026" not in answer.text
    assert (await client.get("/app/new/999999/preview")).status_code == 404
    assert await recorded(context) == before
