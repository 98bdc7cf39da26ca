"""GET packages/{pid}/workflow: the caller, then the whole workflow in one statement, each
document's fields, the recipients' group members and the caller's folder in it
(`workflow/read_model.py`); once the token is in the principal cache, that one statement
alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from signflow.accounts.principal_cache import PRINCIPAL_CACHE_INFO
from signflow.context import AppContext
from tests.factories import Tenant
from tests.workflow.helpers import People, add_users, new_package

DIMENSIONS = {"x": 72, "y": 72, "width": 150, "height": 50}


@contextmanager
def statements(context: AppContext) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    target = context.engine.sync_engine
    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)


async def test_the_workflow_is_read_in_two_statements_with_fields_and_folder(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "bob")
    package_id, (with_field, without) = await new_package(people, documents=2)
    await add_users(people, package_id, [("ana", "SIGNER"), ("bob", "SIGNER")])
    added = await client.post(
        f"/v3/packages/{package_id}/documents/{with_field}/fields/digital_signature",
        json={"order": 1, "page_no": 1, "field_name": "Sig", "dimensions": DIMENSIONS},
        headers=people.owner,
    )
    assert added.status_code == 200, added.text
    path = f"/v3/packages/{package_id}/workflow"

    context.sessions.kw["info"][PRINCIPAL_CACHE_INFO].clear()  # the token is read once
    with statements(context) as seen:
        unfiled = await client.get(path, headers=people.owner)
    assert unfiled.status_code == 200, unfiled.text
    assert unfiled.json()["folder"] == "INBOX"
    forms = {d["document_id"]: d["form_fields"] for d in unfiled.json()["documents"]}
    assert forms == {with_field: True, without: False}
    # The token with its people; the package with its owner, documents (with whether each
    # has fields), recipients (with their group members) and the caller's folder.
    assert len(seen) == 2, seen
    with statements(context) as seen:
        again = await client.get(path, headers=people.owner)
    assert again.json() == unfiled.json()
    assert len(seen) == 1, seen  # the token from the process's principal cache

    moved = await client.put(
        f"/v4/packages/{package_id}/move_to", json={"folder": "Leases"}, headers=people.owner
    )
    assert moved.status_code == 200, moved.text
    filed = await client.get(path, headers=people.owner)
    assert filed.json()["folder"] == "Leases"
    assert filed.json()["documents"] == unfiled.json()["documents"]
