"""GET packages/{pid}/workflow: the caller, then the whole workflow in one statement, each
document's fields, the recipients' group members and the caller's folder in it
(`workflow/read_model.py`); once the token is in the principal cache, that one statement
alone. Statements are counted where they leave: SQLAlchemy's execution (the token) and
the reads handed straight to the driver (`direct_reads.ReadOnlyConnection`, the workflow)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Select, event

from signflow.accounts.principal_cache import PRINCIPAL_CACHE_INFO
from signflow.context import AppContext
from signflow.direct_reads import ReadOnlyConnection
from tests.factories import Tenant, bearer, create_package, sign_in
from tests.workflow.helpers import People, add_users, new_package

DIMENSIONS = {"x": 72, "y": 72, "width": 150, "height": 50}


@contextmanager
def statements(context: AppContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    driver_read = ReadOnlyConnection.first

    async def counted(self: ReadOnlyConnection, statement: Select[Any], parameters: Any) -> Any:
        seen.append(str(statement))
        return await driver_read(self, statement, parameters)

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    target = context.engine.sync_engine
    event.listen(target, "before_cursor_execute", record)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(ReadOnlyConnection, "first", counted)
            yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)


async def test_the_workflow_is_read_in_two_statements_with_fields_and_folder(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
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
    with statements(context, monkeypatch) as seen:
        unfiled = await client.get(path, headers=people.owner)
    assert unfiled.status_code == 200, unfiled.text
    assert unfiled.json()["folder"] == "INBOX"
    forms = {d["document_id"]: d["form_fields"] for d in unfiled.json()["documents"]}
    assert forms == {with_field: True, without: False}
    # The token with its people; the package with its owner, documents (with whether each
    # has fields), recipients (with their group members) and the caller's folder.
    assert len(seen) == 2, seen
    with statements(context, monkeypatch) as seen:
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


async def test_the_caller_is_checked_as_on_every_route(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    """The read runs without the request's transaction, its caller resolved from the
    principal cache or in a read-only transaction of its own: every refusal is the one a
    transactional route gives (`packages/{pid}/details`), a logout included, at once."""
    owner = await bearer(client, tenant, tenant.admin_email)
    package_id = await create_package(client, owner)
    paths = [f"/v3/packages/{package_id}/{tail}" for tail in ("workflow", "details")]

    async def same_answers(headers: dict[str, str], status: int) -> None:
        workflow, details = [await client.get(path, headers=headers) for path in paths]
        assert workflow.status_code == details.status_code == status, workflow.text
        if status != 200:
            assert workflow.content == details.content

    await same_answers({}, 401)
    await same_answers({"Authorization": "Basic x"}, 401)
    await same_answers({"Authorization": "Bearer sfa_unknown"}, 401)
    await same_answers(owner, 200)  # and the token is in the principal cache
    assert (await client.post("/v3/logout", headers=owner)).status_code == 200
    await same_answers(owner, 401)

    admin = await bearer(client, tenant, tenant.admin_email)
    reset = await client.put(
        "/v3/enterprise/users",
        json={"user_email": tenant.user_email, "user_password": "set by the admin"},
        headers=admin,
    )
    assert reset.status_code == 200, reset.text
    temporary = await sign_in(client, tenant, tenant.user_email, "set by the admin")
    await same_answers({"Authorization": f"Bearer {temporary['access_token']}"}, 403)
