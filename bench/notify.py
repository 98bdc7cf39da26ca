"""Notification latency at about 200 notifications/s, p50/p99 to the loopback receiver,
and deliveries/s of one worker for a burst.

Two ways of making the load, one per configuration:

- SQLite, through the API (how a deployment on SQLite makes notifications: the one
  server process writes them, its embedded worker delivers): a reviewer approves a
  package (`POST /v3/packages/{pid}/approve`, one request, one transaction), which ends
  their turn and writes one `NOTIFICATION` per listening endpoint. Each package is
  shared with one parallel step of reviewer entries held by the benchmark's user (one
  more than will approve, so no package completes); approvals go round-robin over the
  packages. Latency runs from just before the request is sent (so it includes the
  request's own processing) to the arrival at the receiver.
- PostgreSQL, through the core (as before): `write_package_event` in a transaction from
  the benchmark process, as an API process writes it; latency from just before the
  COMMIT is sent. `--postgresql-through-api` loads it through the API too.

Both warm up for 1 s at the same pace first (not measured). The burst commits events
at once through the core and measures how fast the worker delivers them.
Baseline: the same loopback receiver posted to directly (httpx, one request at a time).
Goal: p99 < 100 ms on loopback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench import servers
from bench.load import percentile, run_async
from bench.receiver import Arrival, ReceiverProcess

GOAL_P99_MS = 100.0
RATE = 200.0
# Packages the core-written events go round-robin over.
PACKAGES = 20
# Packages the API's approvals go round-robin over: at 200/s one package gets an approval
# every 200 ms, so two approvals of one package are rarely in flight at once (they would
# queue on the package's lock, and arrivals are matched to requests in order per package).
API_PACKAGES = 40
REVIEWER_EMAIL, REVIEWER_NAME = "n@bench.test", "Notified"
# Packages set up at once (create, upload, reviewers, share).
SETUP_CONCURRENCY = 8


async def _baseline(hook: ReceiverProcess, count: int = 200) -> dict[str, float]:
    times = []
    async with httpx.AsyncClient() as client:
        for n in range(count):
            start = time.perf_counter()
            await client.post(hook.url, json={"package": "0", "status": "PING", "n": n})
            times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(percentile(times, 99), 2)}


def _ok(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")
    return response


async def _draft_packages(client: httpx.AsyncClient, admin: dict[str, str]) -> list[int]:
    """Packages with one recipient, for events written through the core."""
    pids = []
    for n in range(PACKAGES):
        response = await client.post(
            "/v3/packages", json={"package_name": f"Notify {n}"}, headers=admin
        )
        pid = int(_ok(response, "create").json()["package_id"])
        users = [{"user_email": REVIEWER_EMAIL, "user_name": REVIEWER_NAME, "role": "SIGNER"}]
        _ok(
            await client.post(f"/v3/packages/{pid}/workflow/users", json=users, headers=admin),
            "recipient",
        )
        pids.append(pid)
    return pids


async def _review_packages(
    client: httpx.AsyncClient, admin: dict[str, str], approvals: int
) -> list[int]:
    """Shared packages whose one parallel step holds `approvals` / API_PACKAGES + 1
    reviewer entries of the benchmark's user (no e-mail per turn: the worker's
    notifications are what is measured)."""
    from tests.signing.pdfs import sized_pdf

    pdf = sized_pdf(20_000)
    entries = -(-approvals // API_PACKAGES) + 1
    reviewers = [
        {
            "user_email": REVIEWER_EMAIL,
            "user_name": REVIEWER_NAME,
            "role": "REVIEWER",
            "email_notification": False,
        }
    ] * entries
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(n: int) -> int:
        async with gate:
            response = await client.post(
                "/v3/packages", json={"package_name": f"Review {n}"}, headers=admin
            )
            pid = int(_ok(response, "create").json()["package_id"])
            upload = admin | {"x-file-name": "review.pdf", "content-type": "application/pdf"}
            _ok(
                await client.post(f"/v3/packages/{pid}/documents", content=pdf, headers=upload),
                "upload",
            )
            parallel = {"workflow_type": "PARALLEL"}
            _ok(
                await client.put(f"/v3/packages/{pid}/workflow", json=parallel, headers=admin),
                "workflow type",
            )
            _ok(
                await client.post(
                    f"/v3/packages/{pid}/workflow/users", json=reviewers, headers=admin
                ),
                "reviewers",
            )
            _ok(await client.post(f"/v3/packages/{pid}/workflow", headers=admin), "share")
            return pid

    return list(await asyncio.gather(*(one(n) for n in range(API_PACKAGES))))


class Paced:
    """Sends one event every 1/RATE s, round-robin over the packages, and keeps, per
    package in sending order, the moment each latency starts."""

    def __init__(
        self, pids: list[int], send: Callable[[int], Awaitable[float]], rate: float
    ) -> None:
        self.pids = pids
        self.rate = rate
        self.send = send
        self.started: dict[int, list[float]] = {}
        self.lag_ms: list[float] = []

    async def run(self, count: int) -> tuple[float, float]:
        """The seconds taken to send `count` events, and until every one was answered
        (committed, through the core)."""
        self.started.clear()
        self.lag_ms.clear()
        start = time.perf_counter()
        tasks = []
        for n in range(count):
            due = start + n / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.lag_ms.append((time.perf_counter() - due) * 1000)
            pid = self.pids[n % len(self.pids)]
            tasks.append(asyncio.create_task(self._one(pid)))
        # Sent at the pace of the last interval: the seconds of `count` intervals.
        sent = time.perf_counter() - start + 1 / self.rate
        await asyncio.gather(*tasks)
        return sent, time.perf_counter() - start

    async def _one(self, pid: int) -> None:
        starts = self.started.setdefault(pid, [])
        index = len(starts)
        starts.append(0.0)
        starts[index] = await self.send(pid)


class ThroughApi:
    """A reviewer approves: one request, one NOTIFICATION. Latency from just before the
    request is sent; what the request itself took is kept beside it."""

    def __init__(self, client: httpx.AsyncClient, reviewer: dict[str, str]) -> None:
        self.client = client
        self.reviewer = reviewer
        self.request_ms: list[float] = []
        self.in_flight: dict[int, int] = {}
        # Approvals sent while another of the same package was in flight: their
        # matching to arrivals (in order per package) may swap two of them.
        self.overlapping = 0
        # Packages with a request that got no answer: left out of the latencies.
        self.unmatched: set[int] = set()
        self.unanswered = 0

    async def __call__(self, pid: int) -> float:
        if self.in_flight.get(pid):
            self.overlapping += 1
        self.in_flight[pid] = self.in_flight.get(pid, 0) + 1
        sending = time.perf_counter()
        try:
            response = await self.client.post(f"/v3/packages/{pid}/approve", headers=self.reviewer)
        except httpx.TransportError:
            # Seen only with the server far behind (its connections closed under it):
            # whether the approval committed is unknown, so this package's arrivals can
            # no longer be matched to its requests.
            self.unmatched.add(pid)
            self.unanswered += 1
        else:
            _ok(response, "approve")
            self.request_ms.append((time.perf_counter() - sending) * 1000)
        finally:
            self.in_flight[pid] -= 1
        return sending

    def reset(self) -> None:
        self.request_ms.clear()
        self.overlapping = 0
        self.unmatched.clear()
        self.unanswered = 0


class ThroughCore:
    """`write_package_event` in a transaction of the benchmark process, as an API process
    writes it. Latency from just before the COMMIT is sent (the measure includes the
    commit, and none of the time this busy process takes to see its answer); what writing
    the event adds to the change's transaction is kept beside it."""

    def __init__(self, context: Any, targets: dict[int, tuple[Any, Any]]) -> None:
        self.context = context
        self.targets = targets
        self.request_ms: list[float] = []
        self.overlapping = 0
        self.unmatched: set[int] = set()
        self.unanswered = 0

    async def emit(self, pid: int, count: int = 1) -> float:
        from signflow.db import transaction
        from signflow.workflow.events import PackageEvent, write_package_event

        package, recipient = self.targets[pid]
        began = time.perf_counter()
        async with transaction(self.context.sessions) as session:
            for _ in range(count):
                await write_package_event(
                    session, package, PackageEvent.NOTIFICATION, recipient=recipient
                )
            await session.flush()
            committing = time.perf_counter()
        self.request_ms.append((committing - began) * 1000)
        return committing

    async def __call__(self, pid: int) -> float:
        return await self.emit(pid)

    def reset(self) -> None:
        self.request_ms.clear()


def _core_context(app: servers.Signflow) -> Any:
    from signflow.config import Settings
    from signflow.context import AppContext

    env = app.env
    settings = Settings(
        env=env["SIGNFLOW_ENV"],  # type: ignore[arg-type]
        secret_key=env["SIGNFLOW_SECRET_KEY"],
        data_dir=Path(env["SIGNFLOW_DATA_DIR"]),
        database_url=env["SIGNFLOW_DATABASE_URL"],
    )
    return AppContext.create(settings)


async def _targets(context: Any, pids: list[int]) -> dict[int, tuple[Any, Any]]:
    """Each package with one of its recipients, loaded once: the load generator's own
    reads are not part of what is measured."""
    from sqlalchemy import select

    from signflow.db import transaction
    from signflow.models import Package, Recipient

    async with transaction(context.sessions) as session:
        return {
            pid: (
                await session.get_one(Package, pid),
                await session.scalar(select(Recipient).where(Recipient.package_id == pid).limit(1)),
            )
            for pid in pids
        }


async def _measure(
    app: servers.Signflow, through_api: bool, rate: float, events: int, burst: int
) -> dict[str, Any]:
    warmup = round(rate)  # 1 s
    arrivals: dict[int, list[float]] = {}
    got = asyncio.Event()

    def on_arrival(arrival: Arrival) -> None:
        if arrival.body.get("status") == "NOTIFICATION":
            arrivals.setdefault(int(arrival.body["package"]), []).append(arrival.at)
            got.set()

    async def wait_all(total: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while sum(map(len, arrivals.values())) < total and time.monotonic() < deadline:
            got.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(got.wait(), max(0.01, deadline - time.monotonic()))

    context = _core_context(app)
    async with (
        servers.api_client(app.url) as client,
        ReceiverProcess(on_arrival=on_arrival) as hook,
        contextlib.AsyncExitStack() as cleanup,
    ):
        admin = servers.bearer(await servers.token(client, servers.ADMIN_EMAIL))
        reviewer = servers.bearer(
            await servers.add_user(client, admin, REVIEWER_EMAIL, REVIEWER_NAME, exist_ok=True)
        )
        await cleanup.enter_async_context(servers.webhook_endpoint(client, admin, hook.url))
        if through_api:
            pids = await _review_packages(client, admin, warmup + events)
        else:
            pids = await _draft_packages(client, admin)
        targets = await _targets(context, pids)
        core = ThroughCore(context, targets)
        sender: ThroughApi | ThroughCore = ThroughApi(client, reviewer) if through_api else core
        baseline = await _baseline(hook)
        # The setup's own notifications and e-mails worked off before the clock starts.
        servers.wait_idle(app.procs, time.monotonic() + 60)
        paced = Paced(pids, sender, rate)
        # Warm-up at the same pace, not measured: both sides open their connections and
        # prepare their statements, as a server that has been running has done.
        await paced.run(warmup)
        await wait_all(warmup, 45)
        arrivals.clear()
        sender.reset()
        worker_pids = app.worker.tree() if app.worker is not None else []
        cpu0, worker0 = servers.cpu_seconds(app.pids()), servers.cpu_seconds(worker_pids)
        # For whoever profiles the server meanwhile (py-spy): the measured seconds begin.
        print(f"notify: measuring {events} events", file=sys.stderr, flush=True)
        sent, answered = await paced.run(events)
        print("notify: offered", file=sys.stderr, flush=True)
        await wait_all(events - sender.unanswered, 45)
        cpu = servers.cpu_seconds(app.pids()) - cpu0
        worker_cpu = servers.cpu_seconds(worker_pids) - worker0
        latencies = [
            (arrived - started) * 1000
            for pid, times in paced.started.items()
            if pid not in sender.unmatched
            for started, arrived in zip(times, arrivals.get(pid, []), strict=False)
        ]
        result = {
            "load": "approvals through the API" if through_api else "events through the core",
            "warmup_events": warmup,
            "events": events,
            "offered_per_s": round(events / sent, 1),
            # Requests answered (through the core: transactions committed) per second.
            "answered_per_s": round(events / answered, 1),
            # How late the load generator sent, against its schedule.
            "send_lag_p99_ms": round(percentile(paced.lag_ms, 99), 2),
            "delivered": len(latencies),
            "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
            "max_ms": round(max(latencies), 2) if latencies else None,
            # Through the API: the approve request, sent to answered. Through the core:
            # what writing the event adds to the change's transaction, up to its commit.
            "request_p50_ms": round(statistics.median(sender.request_ms), 2)
            if sender.request_ms
            else None,
            "request_p99_ms": round(percentile(sender.request_ms, 99), 2)
            if sender.request_ms
            else None,
            "overlapping_requests": sender.overlapping,
            # Requests that got no answer, and the packages left out for them.
            "unanswered_requests": sender.unanswered,
            "packages_left_out": len(sender.unmatched),
            # Server CPU (every process of the instance) per event, over the measured
            # seconds and the deliveries' tail.
            "server_cpu_ms_per_event": round(cpu * 1000 / events, 2),
            # Of it, the separate worker's (PostgreSQL; on SQLite it is one process).
            "worker_cpu_ms_per_event": round(worker_cpu * 1000 / events, 2)
            if app.worker is not None
            else None,
        }
        # Burst: events committed at once through the core, spread over the packages.
        arrivals.clear()
        per = max(1, burst // len(pids))
        start = time.perf_counter()
        await asyncio.gather(*(core.emit(pid, per) for pid in pids))
        await wait_all(per * len(pids), 45)
        last = max((t for times in arrivals.values() for t in times), default=start)
        delivered = sum(map(len, arrivals.values()))
        throughput = {
            "events": per * len(pids),
            "delivered": delivered,
            "seconds": round(last - start, 2),
            "deliveries_per_s": round(delivered / (last - start), 1) if delivered else 0.0,
        }
    await context.close()
    return {"baseline_direct_post": baseline, "paced": result, "burst": throughput}


def run(
    quick: bool = False,
    postgresql_through_api: bool = False,
    rate: float = RATE,
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
) -> dict[str, Any]:
    # A 1 s warm-up, then 10 s measured (2 s in a quick run).
    seconds, burst = (2, 60) if quick else (10, 200)
    events = round(rate * seconds)
    configs = []
    if "sqlite" in backends:
        configs.append(("sqlite, embedded worker, through the API", "sqlite", False, True))
    if "postgresql" in backends and servers.pg_available():
        label = "postgresql, 1 worker process" + (
            ", through the API" if postgresql_through_api else ""
        )
        configs.append((label, "postgresql", True, postgresql_through_api))
    rows = []
    for label, backend, separate, through_api in configs:
        with servers.instance(backend, separate_worker=separate) as app:
            servers.wait_idle(app.procs, time.monotonic() + 60)
            result = run_async(_measure(app, through_api, rate, events, burst))
        paced, base = result["paced"], result["baseline_direct_post"]
        row = {"config": label, **result}
        row["p99_over_direct"] = (
            round(paced["p99_ms"] / base["p99_ms"], 1) if paced["p99_ms"] else None
        )
        row["meets_goal"] = paced["p99_ms"] is not None and paced["p99_ms"] < GOAL_P99_MS
        rows.append(row)
        print(
            f"notify {label:42} p50 {paced['p50_ms']} ms  p99 {paced['p99_ms']} ms at"
            f" {paced['offered_per_s']}/s offered, {paced['answered_per_s']}/s answered"
            f" ({paced['delivered']}/{paced['events']} delivered,"
            f" send lag p99 {paced['send_lag_p99_ms']} ms); request p50/p99"
            f" {paced['request_p50_ms']}/{paced['request_p99_ms']} ms; server CPU"
            f" {paced['server_cpu_ms_per_event']} ms/event; direct POST p99"
            f" {base['p99_ms']} ms; burst {result['burst']['deliveries_per_s']} deliveries/s"
        )
    return {"benchmark": "notify", "rate_per_s": rate, "goal_p99_ms": GOAL_P99_MS, "results": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--postgresql-through-api",
        action="store_true",
        help="load PostgreSQL through the API too (approvals), instead of through the core",
    )
    parser.add_argument("--rate", type=float, default=RATE, help="events per second offered")
    parser.add_argument(
        "--only", choices=["sqlite", "postgresql"], help="measure one configuration"
    )
    args = parser.parse_args()
    backends = (args.only,) if args.only else ("sqlite", "postgresql")
    print(json.dumps(run(args.quick, args.postgresql_through_api, args.rate, backends), indent=2))


if __name__ == "__main__":
    main()
