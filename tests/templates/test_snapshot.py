"""A template's documents are blobs by reference: deleting the package they were saved
from for good leaves them in the store while the template names them."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from signflow.retention.release import release_blobs
from tests.factories import Tenant
from tests.retention.helpers import blob_path, draft, last_stored_days_ago, version_blobs
from tests.workflow.helpers import make_pdf


async def test_a_template_keeps_its_blob_after_the_source_package_is_deleted(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    owner, package_id, _ = await draft(client, tenant, make_pdf(texts=["Template only"]))
    blobs = await version_blobs(context, package_id)
    saved = await client.post(
        "/v3/settings/templates",
        json={"package_id": package_id, "template_name": "Kept"},
        headers=owner,
    )
    assert saved.status_code == 200, saved.text
    assert (await client.delete(f"/v3/packages/{package_id}", headers=owner)).status_code == 200

    last_stored_days_ago(context, 1)
    removed, recent = await release_blobs(context, sorted(blobs))
    assert (removed, recent) == (0, [])
    assert all(blob_path(context, sha).exists() for sha in blobs)
    made = await client.post(
        f"/v3/settings/templates/{saved.json()['template_id']}/packages", json={}, headers=owner
    )
    assert made.status_code == 200, made.text
    document_id = made.json()["documents"][0]
    download = await client.get(
        f"/v3/packages/{made.json()['package_id']}/documents/{document_id}", headers=owner
    )
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
