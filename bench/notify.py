"""Notification latency: commit -> loopback receiver, p50/p99, at about 200 notifications/s,
and deliveries/s of one worker for a burst.

Events are written through the core as the workflow writes them (`write_package_event`
in a transaction, here from the benchmark process, as an API process would: it writes
each listening endpoint's message and delivery), against a running Signflow whose worker
delivers them to a webhook endpoint. The latency runs from just before the COMMIT is sent
to the arrival at the receiver; 1 s of the same load warms both sides up first.
Baseline: the same loopback receiver posted to directly (httpx, one request at a time).
Goal: p99 < 100 ms on loopback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from pathlib import Path
from typing import Any

from bench import servers
from bench.load import percentile, run_async
from bench.receiver import Arrival, ReceiverProcess

GOAL_P99_MS = 100.0
RATE = 200.0
PACKAGES = 20


async def _baseline(hook: ReceiverProcess, count: int = 200) -> dict[str, float]:
    import httpx

    times = []
    async with httpx.AsyncClient() as client:
        for n in range(count):
            start = time.perf_counter()
            await client.post(hook.url, json={"package": "0", "status": "PING", "n": n})
            times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(percentile(times, 99), 2)}


async def _measure(app: servers.Signflow, warmup: int, events: int, burst: int) -> dict[str, Any]:
    from sqlalchemy import select

    from signflow.config import Settings
    from signflow.context import AppContext
    from signflow.db import transaction
    from signflow.models import Package, Recipient
    from signflow.workflow.events import PackageEvent, write_package_event

    arrivals: dict[int, list[float]] = {}
    got = asyncio.Event()

    def on_arrival(arrival: Arrival) -> None:
        if arrival.body.get("status") == "NOTIFICATION":
            arrivals.setdefault(int(arrival.body["package"]), []).append(arrival.at)
            got.set()

    env = app.env
    settings = Settings(
        env=env["SIGNFLOW_ENV"],  # type: ignore[arg-type]
        secret_key=env["SIGNFLOW_SECRET_KEY"],
        data_dir=Path(env["SIGNFLOW_DATA_DIR"]),
        database_url=env["SIGNFLOW_DATABASE_URL"],
    )
    context = AppContext.create(settings)
    async with (
        servers.api_client(app.url) as client,
        ReceiverProcess(on_arrival=on_arrival) as hook,
        contextlib.AsyncExitStack() as cleanup,
    ):
        admin = servers.bearer(await servers.token(client, servers.ADMIN_EMAIL))
        with contextlib.suppress(RuntimeError):  # the user may exist from another benchmark
            await servers.add_user(client, admin, "n@bench.test", "Notified")
        await cleanup.enter_async_context(servers.webhook_endpoint(client, admin, hook.url))
        pids = []
        for n in range(PACKAGES):
            response = await client.post(
                "/v3/packages", json={"package_name": f"Notify {n}"}, headers=admin
            )
            pid = int(response.json()["package_id"])
            await client.post(
                f"/v3/packages/{pid}/workflow/users",
                json=[{"user_email": "n@bench.test", "user_name": "Notified", "role": "SIGNER"}],
                headers=admin,
            )
            pids.append(pid)
        baseline = await _baseline(hook)
        # Loaded once: the load generator's own reads are not part of what is measured,
        # and should take as little of the machine as they can.
        async with transaction(context.sessions) as session:
            targets = [
                (
                    await session.get_one(Package, pid),
                    await session.scalar(select(Recipient).where(Recipient.package_id == pid)),
                )
                for pid in pids
            ]
        sent: dict[int, list[float]] = {}
        writes: list[float] = []

        async def emit(package: Package, recipient: Recipient | None, count: int = 1) -> None:
            began = time.perf_counter()
            async with transaction(context.sessions) as session:
                for _ in range(count):
                    await write_package_event(
                        session, package, PackageEvent.NOTIFICATION, recipient=recipient
                    )
                await session.flush()
                # Taken before the COMMIT is sent: the measure includes the commit itself,
                # and none of the time this busy process takes to see its answer.
                committing = time.perf_counter()
            sent.setdefault(package.id, []).extend([committing] * count)
            writes.append((committing - began) * 1000)

        async def wait_all(total: int, seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while sum(map(len, arrivals.values())) < total and time.monotonic() < deadline:
                got.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(got.wait(), max(0.01, deadline - time.monotonic()))

        async def paced(count: int) -> float:
            """One event every 1/RATE s, round-robin over the packages; the seconds taken."""
            start = time.perf_counter()
            tasks = []
            for n in range(count):
                delay = start + n / RATE - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                package, recipient = targets[n % len(targets)]
                tasks.append(asyncio.create_task(emit(package, recipient)))
            await asyncio.gather(*tasks)
            return time.perf_counter() - start

        # Warm-up at the same pace, not measured: both sides open their connections and
        # prepare their statements, as a server that has been running has done.
        await paced(warmup)
        await wait_all(warmup, 45)
        arrivals.clear()
        sent.clear()
        writes.clear()
        emitted = await paced(events)
        await wait_all(events, 45)
        latencies = [
            (arrived - committed) * 1000
            for pid, times in sent.items()
            for committed, arrived in zip(times, arrivals.get(pid, []), strict=False)
        ]
        paced = {
            "warmup_events": warmup,
            "events": events,
            "offered_per_s": round(events / emitted, 1),
            "delivered": len(latencies),
            "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
            "max_ms": round(max(latencies), 2) if latencies else None,
            # What writing the event adds to the change's transaction, up to its commit.
            "write_p50_ms": round(statistics.median(writes), 2),
            "write_p99_ms": round(percentile(writes, 99), 2),
        }
        # Burst: `burst` events committed at once, spread over the packages.
        arrivals.clear()
        sent.clear()
        per = burst // len(targets)
        start = time.perf_counter()
        await asyncio.gather(*(emit(package, recipient, per) for package, recipient in targets))
        await wait_all(per * len(targets), 45)
        last = max((t for times in arrivals.values() for t in times), default=start)
        delivered = sum(map(len, arrivals.values()))
        throughput = {
            "events": per * len(targets),
            "delivered": delivered,
            "seconds": round(last - start, 2),
            "deliveries_per_s": round(delivered / (last - start), 1) if delivered else 0.0,
        }
    await context.close()
    return {"baseline_direct_post": baseline, "paced": paced, "burst": throughput}


def run(quick: bool = False) -> dict[str, Any]:
    # Seconds at RATE: a 1 s warm-up, then 10 s measured (2 s in a quick run).
    warmup, events, burst = (int(RATE), 400, 60) if quick else (int(RATE), 2000, 200)
    configs = [("sqlite, embedded worker", "sqlite", False)]
    if servers.pg_available():
        configs.append(("postgresql, 1 worker process", "postgresql", True))
    rows = []
    for label, backend, separate in configs:
        with servers.instance(backend, separate_worker=separate) as app:
            servers.wait_idle(app.procs, time.monotonic() + 60)
            result = run_async(_measure(app, warmup, events, burst))
        paced, base = result["paced"], result["baseline_direct_post"]
        row = {"config": label, **result}
        row["p99_over_direct"] = (
            round(paced["p99_ms"] / base["p99_ms"], 1) if paced["p99_ms"] else None
        )
        row["meets_goal"] = paced["p99_ms"] is not None and paced["p99_ms"] < GOAL_P99_MS
        rows.append(row)
        print(
            f"notify {label:30} p50 {paced['p50_ms']} ms  p99 {paced['p99_ms']} ms at"
            f" {paced['offered_per_s']}/s ({paced['delivered']}/{paced['events']} delivered);"
            f" direct POST p99 {base['p99_ms']} ms; burst"
            f" {result['burst']['deliveries_per_s']} deliveries/s"
        )
    return {"benchmark": "notify", "rate_per_s": RATE, "goal_p99_ms": GOAL_P99_MS, "results": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
