"""A SERIAL workflow walked through the API: reviewer, signer, editor, carbon copy."""

from __future__ import annotations

import httpx

from signflow.context import AppContext
from tests.factories import Tenant
from tests.workflow.helpers import (
    People,
    act,
    add_users,
    document_statuses,
    event_statuses,
    history_actions,
    inbox,
    jobs,
    new_package,
    package_events,
    recipient_ids,
    share,
    statuses,
)


async def test_serial_walk_with_every_role(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
):
    people = await People(client, context, tenant).start("rita", "sam", "eddie", "cora")
    package_id, documents = await new_package(people)
    await add_users(
        people,
        package_id,
        [("rita", "REVIEWER"), ("sam", "SIGNER"), ("eddie", "EDITOR"), ("cora", "CARBON_COPY")],
    )
    assert await statuses(people, package_id) == ("DRAFT", ["UN_PROCESSED"] * 4)
    assert package_id not in await inbox(people, "rita")

    shared = await share(people, package_id)
    assert shared == [{"package_id": package_id, "documents": documents}]
    assert await statuses(people, package_id) == (
        "SHARED",
        ["IN_PROGRESS", "UN_PROCESSED", "UN_PROCESSED", "UN_PROCESSED"],
    )
    ids = await recipient_ids(context, package_id)
    turn_emails = [j.payload["recipient_id"] for j in await jobs(context, "email.turn_opened")]
    assert turn_emails == [ids["rita"]]
    assert package_id in await inbox(people, "rita")
    assert package_id not in await inbox(people, "sam")
    # Not sam's turn yet: he cannot open it.
    assert (
        await client.get(f"/v3/packages/{package_id}/open", headers=people["sam"])
    ).status_code == 403

    # The reviewer approves, which ends her turn: the signer's turn opens at once.
    assert (await act(people, "rita", package_id, "finish")).status_code == 400
    response = await act(people, "rita", package_id, "approve", {"reason": "fine"})
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert await statuses(people, package_id) == (
        "SHARED",
        ["REVIEWED", "IN_PROGRESS", "UN_PROCESSED", "UN_PROCESSED"],
    )
    # A finish (or a second approve) afterwards is harmless and changes nothing.
    assert (await act(people, "rita", package_id, "finish")).status_code == 200
    assert (await act(people, "rita", package_id, "approve")).status_code == 200
    assert await statuses(people, package_id) == (
        "SHARED",
        ["REVIEWED", "IN_PROGRESS", "UN_PROCESSED", "UN_PROCESSED"],
    )
    assert package_id in await inbox(people, "sam")

    # A signer with no fields to sign finishes straight away.
    assert (await act(people, "sam", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == (
        "SHARED",
        ["REVIEWED", "SIGNED", "IN_PROGRESS", "UN_PROCESSED"],
    )
    # An editor submits, which opens the carbon copy's step and so completes the package.
    assert (await act(people, "eddie", package_id, "approve")).status_code == 403
    assert (await act(people, "eddie", package_id, "submit")).status_code == 200
    assert await statuses(people, package_id) == (
        "COMPLETED",
        ["REVIEWED", "SIGNED", "EDITED", "PROCESSED"],
    )
    assert (await act(people, "eddie", package_id, "finish")).status_code == 200
    assert await statuses(people, package_id) == (
        "COMPLETED",
        ["REVIEWED", "SIGNED", "EDITED", "PROCESSED"],
    )
    assert package_id in await inbox(people, "cora")

    assert await event_statuses(context, package_id) == [
        "CREATE",
        "NOTIFICATION",
        "NOTIFICATION",
        "NOTIFICATION",
        "SIGNED_PACKAGE",
    ]
    events = await package_events(context, package_id)
    assert document_statuses(events[0]) == {str(documents[0]): "CREATE"}
    signers = [e["signer"]["email"] for e in events[1:4]]
    assert signers == [people.email("rita"), people.email("sam"), people.email("eddie")]
    assert document_statuses(events[4]) == {str(documents[0]): "FINISH"}
    assert "signer" not in events[4]
    completed = [j.payload for j in await jobs(context, "email.package_completed")]
    assert completed == [{"package_id": package_id}]
    actions = await history_actions(context, package_id)
    assert actions[-1] == "WORKFLOW_COMPLETED"
    assert actions.count("PROCESSING_FINISHED") == 3
