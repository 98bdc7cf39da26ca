"""PARALLEL, CUSTOM and INDIVIDUAL workflows walked through the API."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    event_statuses,
    inbox,
    jobs,
    new_package,
    recipient_ids,
    share,
    statuses,
)


async def test_parallel_opens_everyone_and_completes_after_the_last(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "rita", "cora")
    package_id, _ = await new_package(people)
    response = await client.put(
        f"/v3/packages/{package_id}/workflow",
        json={"workflow_type": "PARALLEL"},
        headers=people.owner,
    )
    assert response.status_code == 200, response.text
    await add_users(
        people,
        package_id,
        [("ana", "SIGNER"), ("ben", "SIGNER"), ("rita", "REVIEWER"), ("cora", "CARBON_COPY")],
    )
    await share(people, package_id)
    assert await statuses(people, package_id) == (
        "SHARED",
        ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "PROCESSED"],
    )
    for name in ("ana", "ben", "rita", "cora"):
        assert package_id in await inbox(people, name)
    assert len(await jobs(context, "email.turn_opened")) == 4

    assert (await act(people, "ben", package_id, "finish")).status_code == 200
    assert (await act(people, "rita", package_id, "approve")).status_code == 200
    assert (await act(people, "rita", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == (
        "SHARED",
        ["IN_PROGRESS", "SIGNED", "REVIEWED", "PROCESSED"],
    )
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == (
        "COMPLETED",
        ["SIGNED", "SIGNED", "REVIEWED", "PROCESSED"],
    )
    assert await event_statuses(context, package_id) == [
        "CREATE",
        "NOTIFICATION",
        "NOTIFICATION",
        "NOTIFICATION",
        "SIGNED_PACKAGE",
    ]


async def test_equal_signing_order_turns_serial_into_custom_steps(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cal")
    package_id, _ = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER", 1), ("ben", "SIGNER", 1)])
    await add_users(people, package_id, [("cal", "SIGNER", 2)])
    details = (await client.get(f"/v3/packages/{package_id}/workflow", headers=people.owner)).json()
    assert details["workflow"]["workflow_type"] == "CUSTOM"
    assert [u["signing_order"] for u in details["users"]] == [1, 1, 2]

    await share(people, package_id)
    assert await statuses(people, package_id) == (
        "SHARED",
        ["IN_PROGRESS", "IN_PROGRESS", "UN_PROCESSED"],
    )
    assert package_id not in await inbox(people, "cal")
    assert (await act(people, "ana", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == (
        "SHARED",
        ["SIGNED", "IN_PROGRESS", "UN_PROCESSED"],
    )
    assert (await act(people, "ben", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("SHARED", ["SIGNED", "SIGNED", "IN_PROGRESS"])
    ids = await recipient_ids(context, package_id)
    opened = [j.payload["recipient_id"] for j in await jobs(context, "email.turn_opened")]
    assert opened == [ids["ana"], ids["ben"], ids["cal"]]
    assert (await act(people, "cal", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == ("COMPLETED", ["SIGNED", "SIGNED", "SIGNED"])


async def test_individual_makes_one_shared_copy_per_recipient(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("ana", "ben", "cora")
    package_id, documents = await new_package(people, documents=2)
    await client.put(
        f"/v3/packages/{package_id}/workflow",
        json={"workflow_type": "INDIVIDUAL"},
        headers=people.owner,
    )
    await add_users(
        people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER"), ("cora", "CARBON_COPY")]
    )
    await client.post(
        f"/v3/packages/{package_id}/documents/{documents[0]}/fields/digital_signature",
        json={
            "order": 1,
            "page_no": 1,
            "field_name": "AnaSigns",
            "dimensions": {"x": 72, "y": 72, "width": 150, "height": 50},
        },
        headers=people.owner,
    )
    shared = await share(people, package_id)
    assert len(shared) == 2
    copies = [int(str(item["package_id"])) for item in shared]
    assert package_id not in copies
    for item in shared:
        assert len(item["documents"]) == 2  # type: ignore[arg-type]
        assert set(item["documents"]).isdisjoint(documents)  # type: ignore[arg-type]
    ana_copy, ben_copy = copies
    # The carbon copy rides along in each copy, after the signer.
    assert await statuses(people, ana_copy) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])
    assert await statuses(people, ben_copy) == ("SHARED", ["IN_PROGRESS", "UN_PROCESSED"])
    assert ana_copy in await inbox(people, "ana")
    assert ben_copy not in await inbox(people, "ana")
    assert package_id not in await inbox(people, "ana")
    # Only ana's field travels with ana's copy.
    fields = (
        await client.get(
            f"/v3/packages/{ana_copy}/documents/{shared[0]['documents'][0]}/fields",  # type: ignore[index]
            headers=people.owner,
        )
    ).json()
    assert [f["field_name"] for f in fields["digital_signature"]] == ["AnaSigns"]
    ben_fields = (
        await client.get(
            f"/v3/packages/{ben_copy}/documents/{shared[1]['documents'][0]}/fields",  # type: ignore[index]
            headers=people.owner,
        )
    ).json()
    assert ben_fields["digital_signature"] == []

    assert (await act(people, "ben", ben_copy, "finish")).status_code == 200
    assert await statuses(people, ben_copy) == ("COMPLETED", ["SIGNED", "PROCESSED"])
    assert (await statuses(people, package_id))[0] == "SHARED"
    assert await event_statuses(context, ben_copy) == ["CREATE", "NOTIFICATION", "SIGNED_PACKAGE"]
    assert await event_statuses(context, package_id) == []
    # The original settles once no copy is still shared.
    assert (await act(people, "ana", ana_copy, "decline", {"reason": "no"})).status_code == 200
    assert (await statuses(people, package_id))[0] == "COMPLETED"
