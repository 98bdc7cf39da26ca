"""Bulk send: 1,000 packages from one template (two placeholders, a signature field each
and a prefilled text field), created and shared by the worker from one CSV, on
PostgreSQL with one API process and one `signflow worker`. Reports the wall time from
the request to the run's COMPLETED status, and the p99 of an authenticated
`GET /v3/packages/{pid}/workflow` sent meanwhile, against the same GET on the idle server
(the ratio, as every figure here). Goal: under 60 s."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from typing import Any

import httpx

from bench import servers
from bench.load import _read_response, build_request, percentile, run_async

ROWS = 1_000
GOAL_SECONDS = 60.0
GET_CONNECTIONS = 1
TIMEOUT = 600.0


def _ok(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")
    return response


async def _template(client: httpx.AsyncClient, admin: dict[str, str]) -> tuple[int, int]:
    """A template saved from a draft: two signers as placeholders, a signature field
    each, and a text field for a column. Returns (template id, the source package id)."""
    from tests.workflow.helpers import make_pdf

    pid = _ok(
        await client.post("/v3/packages", json={"package_name": "Bulk source"}, headers=admin),
        "create",
    ).json()["package_id"]
    did = _ok(
        await client.post(
            f"/v3/packages/{pid}/documents",
            content=make_pdf(2, ["Agreement"]),
            headers=admin | {"x-file-name": "agreement.pdf", "content-type": "application/pdf"},
        ),
        "upload",
    ).json()["documentid"]
    users = [
        {"user_email": f"slot{i}@bench.test", "user_name": f"Slot {i}", "role": "SIGNER"}
        for i in (1, 2)
    ]
    _ok(await client.post(f"/v3/packages/{pid}/workflow/users", json=users, headers=admin), "users")
    fields = f"/v3/packages/{pid}/documents/{did}/fields"
    for i in (1, 2):
        box = {"x": 72, "y": 72 + 80 * i, "width": 150, "height": 50}
        field = {"order": i, "page_no": 1, "field_name": f"S{i}", "dimensions": box}
        _ok(await client.post(f"{fields}/digital_signature", json=field, headers=admin), "field")
    text = {"order": 1, "page_no": 2, "field_name": "Ref", "dimensions": {**box, "y": 300}}
    _ok(await client.post(f"{fields}/text", json=text, headers=admin), "text field")
    saved = _ok(
        await client.post(
            "/v4/settings/templates",
            json={
                "package_id": pid,
                "template_name": f"Bulk bench {time.time_ns()}",
                "placeholders": [
                    {"order": 1, "placeholder": "Client"},
                    {"order": 2, "placeholder": "Witness"},
                ],
            },
            headers=admin,
        ),
        "save template",
    ).json()
    return int(saved["template_id"]), int(pid)


def _csv(rows: int, tag: str) -> bytes:
    lines = ["Client email,Client name,Witness email,Ref,package_name"]
    lines += [
        f"c{tag}{n}@bench.test,Client {n},w{tag}@bench.test,REF-{n},Bulk {tag} {n}"
        for n in range(1, rows + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


async def _run(
    client: httpx.AsyncClient, admin: dict[str, str], template_id: int, rows: int, tag: str
) -> dict[str, Any]:
    """Start a run and wait for its COMPLETED status; its last status and wall time."""
    start = time.perf_counter()
    started = _ok(
        await client.post(
            f"/v4/settings/templates/{template_id}/bulk",
            content=_csv(rows, tag),
            headers=admin | {"content-type": "text/csv"},
        ),
        "bulk send",
    ).json()
    path = f"/v4/settings/templates/{template_id}/bulk/{started['bulk_id']}"
    deadline = start + TIMEOUT
    while True:
        status = _ok(await client.get(path, headers=admin), "bulk status").json()
        if status["status"] == "COMPLETED" or time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.2)
    status["seconds"] = time.perf_counter() - start
    return dict(status)


async def _get_latencies(url: str, headers: dict[str, str], stop: asyncio.Event) -> list[float]:
    """Closed-loop GETs on `GET_CONNECTIONS` keep-alive connections until `stop`."""
    host, port, request = build_request(url, headers)
    latencies: list[float] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while not stop.is_set():
                began = time.perf_counter()
                writer.write(request)
                if await _read_response(reader) != 200:
                    raise RuntimeError(f"GET {url} failed during the bulk run")
                latencies.append(time.perf_counter() - began)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    await asyncio.gather(*(connection() for _ in range(GET_CONNECTIONS)))
    return latencies


async def _idle_p99(url: str, headers: dict[str, str], seconds: float) -> float:
    stop = asyncio.Event()
    task = asyncio.create_task(_get_latencies(url, headers, stop))
    await asyncio.sleep(seconds)
    stop.set()
    return percentile(await task, 99) * 1000


async def _drive(app: servers.Signflow, rows: int) -> dict[str, Any]:
    async with servers.api_client(app.url) as client:
        admin = servers.bearer(await servers.token(client, servers.ADMIN_EMAIL))
        template_id, source = await _template(client, admin)
        # Warm-up: a small run, so the worker has made and shared packages before the clock.
        warm = await _run(client, admin, template_id, 10, "warm")
        if warm["sent"] != 10:
            raise RuntimeError(f"the warm-up run sent {warm['sent']} of 10: {warm['errors']}")
        get_url = f"{app.url}/v3/packages/{source}/workflow"
        idle_p99 = await _idle_p99(get_url, admin, 5.0)
        stop = asyncio.Event()
        getter = asyncio.create_task(_get_latencies(get_url, admin, stop))
        try:
            status = await _run(client, admin, template_id, rows, "run")
        finally:
            stop.set()
        latencies = await getter
    busy_p99 = percentile(latencies, 99) * 1000
    seconds = float(status["seconds"])
    return {
        "rows": rows,
        "sent": status["sent"],
        "failed": status["failed"],
        "status": status["status"],
        "seconds": round(seconds, 2),
        "packages_per_s": round(status["sent"] / seconds, 1) if seconds else None,
        "goal_seconds": GOAL_SECONDS,
        "goal_met": status["sent"] == rows and seconds < GOAL_SECONDS,
        "get_requests_meanwhile": len(latencies),
        "get_p50_ms_meanwhile": round(percentile(latencies, 50) * 1000, 2),
        "get_p99_ms_meanwhile": round(busy_p99, 2),
        "get_p99_ms_idle": round(idle_p99, 2),
        "get_p99_over_idle": round(busy_p99 / idle_p99, 1) if idle_p99 else None,
    }


def run(quick: bool = False) -> dict[str, Any]:
    rows = 200 if quick else ROWS
    if not servers.pg_available():
        return {"benchmark": "bulk", "error": "PostgreSQL is not available"}
    with servers.instance("postgresql", api_workers=1, separate_worker=True) as app:
        result = run_async(_drive(app, rows))
    print(
        f"bulk {result['sent']}/{rows} packages in {result['seconds']:.1f} s "
        f"({result['packages_per_s']} /s); GET p99 meanwhile {result['get_p99_ms_meanwhile']} ms "
        f"= {result['get_p99_over_idle']}x idle ({result['get_p99_ms_idle']} ms)"
    )
    return {"benchmark": "bulk", **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
