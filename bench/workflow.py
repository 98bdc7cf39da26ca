"""Whole workflow: completed packages per second for the full life of a realistic package
(create, upload a 200 KB PDF, two signers with a field each, share, each signer signs and
finishes, the notifications delivered to a loopback receiver), with the server CPU time
per package and its ratio to the pure signing cost of the same two signatures.

Configurations: SQLite with one process (embedded worker); PostgreSQL with one and with
two API processes plus one `signflow worker` (the scale-out figure is their ratio)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from typing import Any

import httpx

from bench import servers
from bench.load import run_async
from bench.receiver import Arrival, Receiver

PDF_BYTES = 200_000
SIGNERS = ("s1@bench.test", "s2@bench.test")
TIMEOUT = 240.0


def sample_pdf() -> bytes:
    from tests.signing.pdfs import sized_pdf

    return sized_pdf(PDF_BYTES)


def signing_floor_ms(pdf: bytes, runs: int = 5) -> float:
    """In-process FastSigner cost of the same two signatures (RSA-2048, the default key)."""
    from signflow.signing.ca import KeyType, PkiUrls, create_ca, issue_signer_certificate
    from signflow.signing.signer import FastSigner, SignRequest

    ca = create_ca(
        "Bench CA", "Bench", PkiUrls.for_enterprise("https://b.test", "bench"), KeyType.RSA2048
    )
    signers = [
        FastSigner(cred.key, cred.cert, [ca.cert])
        for cred in (
            issue_signer_certificate(ca, f"Signer {n}", email, KeyType.RSA2048)
            for n, email in enumerate(SIGNERS, 1)
        )
    ]

    def both() -> None:
        first = signers[0].sign(pdf, SignRequest(field_name="S1"))
        signers[1].sign(bytes(first), SignRequest(field_name="S2"))

    both()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        both()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _ok(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")
    return response


async def _one_package(
    client: httpx.AsyncClient,
    owner: dict[str, str],
    signers: list[dict[str, str]],
    pdf: bytes,
    n: int,
) -> int:
    pid = _ok(
        await client.post("/v3/packages", json={"package_name": f"Bench {n}"}, headers=owner),
        "create",
    ).json()["package_id"]
    did = _ok(
        await client.post(
            f"/v3/packages/{pid}/documents",
            content=pdf,
            headers=owner | {"x-file-name": "contract.pdf", "content-type": "application/pdf"},
        ),
        "upload",
    ).json()["documentid"]
    users = [
        {"user_email": email, "user_name": f"Signer {i}", "role": "SIGNER", "signing_order": i}
        for i, email in enumerate(SIGNERS, 1)
    ]
    _ok(await client.post(f"/v3/packages/{pid}/workflow/users", json=users, headers=owner), "users")
    for i in (1, 2):
        field = {
            "order": i,
            "page_no": 1,
            "field_name": f"S{i}",
            "dimensions": {"x": 72, "y": 72 + 80 * i, "width": 150, "height": 50},
        }
        _ok(
            await client.post(
                f"/v3/packages/{pid}/documents/{did}/fields/digital_signature",
                json=field,
                headers=owner,
            ),
            "field",
        )
    _ok(await client.post(f"/v3/packages/{pid}/workflow", headers=owner), "share")
    for i, headers in enumerate(signers, 1):
        _ok(
            await client.post(
                f"/v3/packages/{pid}/documents/{did}/sign",
                json={"field_name": f"S{i}"},
                headers=headers,
            ),
            "sign",
        )
        _ok(await client.post(f"/v3/packages/{pid}/finish", headers=headers), "finish")
    return int(pid)


async def _drive(
    app: servers.Signflow, pdf: bytes, packages: int, concurrency: int
) -> dict[str, Any]:
    completed: dict[int, float] = {}
    arrived = asyncio.Event()

    def on_arrival(arrival: Arrival) -> None:
        if arrival.body.get("status") == "SIGNED_PACKAGE":
            completed[int(arrival.body["package"])] = arrival.at
            arrived.set()

    async def wait_completed(pids: set[int], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not pids <= completed.keys() and time.monotonic() < deadline:
            arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), max(0.01, deadline - time.monotonic()))

    async with (
        servers.api_client(app.url) as client,
        Receiver(on_arrival=on_arrival) as hook,
        contextlib.AsyncExitStack() as cleanup,
    ):
        admin = servers.bearer(await servers.token(client, servers.ADMIN_EMAIL))
        await cleanup.enter_async_context(servers.webhook_endpoint(client, admin, hook.url))
        signers = [
            servers.bearer(
                await servers.add_user(client, admin, email, f"Signer {n}", exist_ok=True)
            )
            for n, email in enumerate(SIGNERS, 1)
        ]
        # Warm-up: one package end to end (the first signature issues each signer's
        # certificate), then one per connection at once, so every API process has served
        # the whole workflow (its caches and lazy imports) before the clock starts.
        warm = {await _one_package(client, admin, signers, pdf, 0)}
        warm |= set(
            await asyncio.gather(
                *(_one_package(client, admin, signers, pdf, -n) for n in range(1, concurrency))
            )
        )
        await wait_completed(warm, 60)
        if not warm <= completed.keys():
            raise RuntimeError("a warm-up package's SIGNED_PACKAGE notification never arrived")
        completed.clear()

        cpu0, start = servers.cpu_seconds(app.pids()), time.perf_counter()
        queue = list(range(1, packages + 1))
        created: list[int] = []

        async def pipeline() -> None:
            while queue:
                created.append(await _one_package(client, admin, signers, pdf, queue.pop()))

        await asyncio.wait_for(asyncio.gather(*(pipeline() for _ in range(concurrency))), TIMEOUT)
        api_done = time.perf_counter()
        wanted = set(created)
        await wait_completed(wanted, 60)
        end = max([completed.get(p, api_done) for p in created] + [api_done])
        cpu = servers.cpu_seconds(app.pids()) - cpu0
    delivered = len(wanted & completed.keys())
    elapsed = end - start
    return {
        "packages": packages,
        "delivered": delivered,
        "seconds": round(elapsed, 2),
        "packages_per_s": round(delivered / elapsed, 2),
        "cpu_ms_per_package": round(cpu * 1000 / packages, 1),
        "last_notification_after_api_ms": round((end - api_done) * 1000, 1),
    }


CONFIGS = [
    ("sqlite, 1 process", "sqlite", 1, False),
    ("postgresql, 1 API + 1 worker", "postgresql", 1, True),
    ("postgresql, 2 API + 1 worker", "postgresql", 2, True),
]


def run(quick: bool = False) -> dict[str, Any]:
    packages, concurrency = (8, 4) if quick else (30, 8)
    pdf = sample_pdf()
    floor = signing_floor_ms(pdf)
    pg = servers.pg_available()
    rows = []
    for label, backend, api_workers, separate in CONFIGS:
        if backend == "postgresql" and not pg:
            continue
        if quick and api_workers > 1:
            continue  # the scale-out run needs a third instance: full runs only
        try:
            with servers.instance(
                backend, api_workers=api_workers, separate_worker=separate
            ) as app:
                row = run_async(_drive(app, pdf, packages, concurrency))
        except Exception as exc:  # keep the other configurations' rows
            print(f"workflow {label}: failed: {str(exc)[:200]}")
            continue
        row = {"config": label, "api_processes": api_workers, **row}
        row["cpu_over_signing"] = round(row["cpu_ms_per_package"] / floor, 1)
        rows.append(row)
        print(
            f"workflow {label:30} {row['packages_per_s']:6.2f} packages/s  "
            f"{row['cpu_ms_per_package']:7.1f} ms CPU/package = "
            f"{row['cpu_over_signing']:.1f}x the two signatures ({floor:.1f} ms)"
        )
    by_api = {r["api_processes"]: r for r in rows if r["config"].startswith("postgresql")}
    scale_out = None
    if 1 in by_api and 2 in by_api and by_api[1]["packages_per_s"]:
        scale_out = round(by_api[2]["packages_per_s"] / by_api[1]["packages_per_s"], 2)
        print(f"workflow scale-out: 2 API processes = {scale_out:.2f}x one")
    return {
        "benchmark": "workflow",
        "pdf_bytes": len(pdf),
        "concurrency": concurrency,
        "signing_ms_two_signatures": round(floor, 2),
        "results": rows,
        "scale_out_2_over_1": scale_out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
