"""PostgreSQL restarted under load: clients create, share, sign and finish packages against
`signflow serve` and a `signflow worker` while the test restarts the database (a private
cluster, `pg_ctl restart -m fast`). Requests in flight during the restart may fail, with a
5xx or a broken connection, never with a success that did not stick. Afterwards:

- both processes recover by themselves (no restart) within 30 s of the restart: `/readyz`
  answers 200, authenticated requests succeed, the worker delivers new notifications;
- every package whose creation was acknowledged exists, with at least every change that
  was acknowledged (documents, recipients, fields, sharing, signatures, completion), and
  nothing half-done (a signed field always has its signed document version);
- every acknowledged share and finish has its notification (CREATE, SIGNED_PACKAGE) at
  the receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bench.servers import Proc, free_port, start, wait_http
from tests.accounts.helpers import activate, activation_path, parse, to
from tests.hardening.private_postgres import (
    ClusterUnavailable,
    PrivateCluster,
    cluster_tools,
    private_cluster,
)
from tests.pdf.builders import make_pdf
from tests.prerequisites import missing, postgresql_wanted
from tests.webhooks.receiver import Receiver

SIGNFLOW = str(Path(sys.executable).parent / "signflow")
CLIENTS = 4
LOAD_SECONDS = 15.0
RESTART_AFTER = 5.0
RECOVERY_SECONDS = 30.0
LEASE_SECONDS = 60  # SIGNFLOW_JOB_LEASE_SECONDS, left at its default
ADMIN_EMAIL, PASSWORD = "admin@restartco.test", "long-password-123"
CLIENT_ID, CLIENT_SECRET = "restart-test", "restart-test-secret-123456"
STEPS = ("create", "upload", "users", "field", "share", "sign", "finish")


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    if not postgresql_wanted():
        pytest.skip("SIGNFLOW_TEST_POSTGRESQL=skip: PostgreSQL tests not run")
    try:
        cluster_tools()
    except ClusterUnavailable as exc:
        missing(f"a private PostgreSQL cluster ({exc})", "apt-get install postgresql")
    with private_cluster() as running:
        yield running


@dataclass
class Signflow:
    base: str
    api: Proc
    worker: Proc
    data_dir: Path


@pytest.fixture
def signflow(cluster: PrivateCluster, tmp_path: Path) -> Iterator[Signflow]:
    port = free_port()
    env = {
        "SIGNFLOW_BASE_URL": f"http://127.0.0.1:{port}",
        "SIGNFLOW_ENV": "production",
        "SIGNFLOW_SECRET_KEY": secrets.token_urlsafe(48),
        "SIGNFLOW_DATA_DIR": str(tmp_path / "var"),
        "SIGNFLOW_DATABASE_URL": cluster.url(),
        "SIGNFLOW_EMBEDDED_WORKER": "false",
        "SIGNFLOW_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "SIGNFLOW_ENTERPRISE_RATE_PER_SECOND": "0",
        "SIGNFLOW_LOG_LEVEL": "WARNING",
        "SIGNFLOW_LOG_FORMAT": "text",
    }
    # `bootstrap` migrates first, as `serve` and `worker` do again on start.
    subprocess.run(
        [
            SIGNFLOW,
            "bootstrap",
            "--enterprise",
            "Restartco",
            "--admin-email",
            ADMIN_EMAIL,
            "--admin-password",
            PASSWORD,
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--json",
        ],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=120,
    )
    serve = [SIGNFLOW, "serve", "--host", "127.0.0.1", "--port", str(port)]
    api = start("api", serve, env, tmp_path)
    worker = start("worker", [SIGNFLOW, "worker"], env, tmp_path)
    try:
        wait_http(api, f"http://127.0.0.1:{port}/healthz", timeout=120)
        yield Signflow(f"http://127.0.0.1:{port}", api, worker, tmp_path / "var")
    finally:
        worker.stop()
        api.stop()


# --------------------------------------------------------------------------- clients


@dataclass
class Flow:
    """One package a client walked: the steps acknowledged (2xx), and how it stopped."""

    client: int
    name: str
    signer: str
    package_id: int | None = None
    document_id: int | None = None
    acked: list[str] = field(default_factory=list)
    failure: str | None = None


@dataclass
class Run:
    flows: list[Flow] = field(default_factory=list)
    # (step, status or exception, seconds since the load began)
    failures: list[tuple[str, str, float]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # answers that are neither 2xx nor 5xx
    successes: list[float] = field(default_factory=list)  # when each 2xx was sent
    started: float = field(default_factory=time.monotonic)


async def _token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post(
        "/authenticate",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": email,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def activate_from_mail(
    client: httpx.AsyncClient, data_dir: Path, email: str, password: str
) -> None:
    """A registered signer activates their account through the link the worker mails
    (the file mailer, under DATA_DIR/mail)."""
    deadline = time.monotonic() + 60
    while True:
        mails = [parse(path.read_bytes()) for path in sorted((data_dir / "mail").glob("*.eml"))]
        mine = to(mails, email)
        if mine:
            break
        assert time.monotonic() < deadline, f"no activation mail for {email}"
        await asyncio.sleep(0.2)
    response = await activate(client, activation_path(mine[-1]), password)
    assert response.status_code == 200, response.text


async def walk(
    client: httpx.AsyncClient,
    run: Run,
    flow: Flow,
    owner: dict[str, str],
    signer: dict[str, str],
    pdf: bytes,
) -> None:
    """Create a package and take it to COMPLETED; stop at the first step that fails."""

    async def step(name: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        sent = time.monotonic()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            flow.failure = f"{name}: {type(exc).__name__}"
            run.failures.append((name, type(exc).__name__, sent - run.started))
            return None
        if response.is_success:
            flow.acked.append(name)
            run.successes.append(sent)
            return response
        flow.failure = f"{name}: {response.status_code}"
        run.failures.append((name, str(response.status_code), sent - run.started))
        if response.status_code < 500:
            run.refused.append(f"{name} {url}: {response.status_code} {response.text[:200]}")
        return None

    created = await step("create", "POST", "/v3/packages", json={"package_name": flow.name})
    if created is None:
        return
    flow.package_id = pid = int(created.json()["package_id"])
    upload_headers = owner | {"x-file-name": "contract.pdf", "content-type": "application/pdf"}
    uploaded = await step(
        "upload", "POST", f"/v3/packages/{pid}/documents", content=pdf, headers=upload_headers
    )
    if uploaded is None:
        return
    flow.document_id = did = int(uploaded.json()["documentid"])
    users = [{"user_email": flow.signer, "user_name": "Signer", "role": "SIGNER"}]
    if await step("users", "POST", f"/v3/packages/{pid}/workflow/users", json=users) is None:
        return
    box = {"x": 72, "y": 72, "width": 150, "height": 50}
    signature_field = {"order": 1, "page_no": 1, "field_name": "S1", "dimensions": box}
    fields = f"/v3/packages/{pid}/documents/{did}/fields/digital_signature"
    if await step("field", "POST", fields, json=signature_field) is None:
        return
    if await step("share", "POST", f"/v3/packages/{pid}/workflow") is None:
        return
    sign = f"/v3/packages/{pid}/documents/{did}/sign"
    if await step("sign", "POST", sign, json={"field_name": "S1"}, headers=signer) is None:
        return
    await step("finish", "POST", f"/v3/packages/{pid}/finish", headers=signer)


async def client_loop(
    base: str,
    run: Run,
    number: int,
    owner: dict[str, str],
    signer_email: str,
    signer: dict[str, str],
    until: float,
) -> None:
    pdf = make_pdf()
    async with httpx.AsyncClient(base_url=base, headers=owner, timeout=30) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            flow = Flow(number, f"Client {number} package {n}", signer_email)
            run.flows.append(flow)
            await walk(client, run, flow, owner, signer, pdf)
            if flow.failure is not None:
                await asyncio.sleep(0.2)  # the database is away: do not spin


# --------------------------------------------------------------------------- checks


@contextlib.asynccontextmanager
async def database(cluster: PrivateCluster) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(cluster.dsn(), timeout=10)
    try:
        yield connection
    finally:
        await connection.close()


def notifications(receiver: Receiver) -> Counter[tuple[int, str]]:
    """(package, status) of every notification received (duplicates counted)."""
    seen: Counter[tuple[int, str]] = Counter()
    for request in receiver.requests:
        body = json.loads(request.body)
        if "package" in body:
            seen[(int(body["package"]), str(body["status"]))] += 1
    return seen


def expected_notifications(flows: list[Flow]) -> set[tuple[int, str]]:
    wanted = set()
    for flow in flows:
        assert flow.package_id is not None
        if "share" in flow.acked:
            wanted.add((flow.package_id, "CREATE"))
        if "finish" in flow.acked:
            wanted.add((flow.package_id, "SIGNED_PACKAGE"))
    return wanted


async def check_data(connection: asyncpg.Connection, flows: list[Flow]) -> list[str]:
    """Every acknowledged change is in the database; nothing is half-done."""
    problems = []
    for flow in flows:
        pid = flow.package_id
        package = await connection.fetchrow("SELECT name, status FROM packages WHERE id = $1", pid)
        if package is None or package["name"] != flow.name:
            problems.append(f"package {pid} ({flow.name}) acknowledged, missing: {package}")
            continue
        documents = await connection.fetch(
            "SELECT id, version_count FROM documents WHERE package_id = $1", pid
        )
        recipients = await connection.fetch(
            "SELECT email, process_status FROM recipients WHERE package_id = $1", pid
        )
        signature_fields = await connection.fetch(
            "SELECT f.name, f.signed_at, d.version_count FROM fields f "
            "JOIN documents d ON d.id = f.document_id WHERE d.package_id = $1",
            pid,
        )
        acked = set(flow.acked)
        if "upload" in acked and [d["id"] for d in documents] != [flow.document_id]:
            problems.append(f"package {pid}: document {flow.document_id} acked, has {documents}")
        if "users" in acked and [r["email"] for r in recipients] != [flow.signer]:
            problems.append(f"package {pid}: recipient acked, has {recipients}")
        if "field" in acked and [f["name"] for f in signature_fields] != ["S1"]:
            problems.append(f"package {pid}: field acked, has {signature_fields}")
        if "share" in acked and package["status"] not in ("SHARED", "COMPLETED"):
            problems.append(f"package {pid}: shared, but {package['status']}")
        if "sign" in acked and not any(f["signed_at"] for f in signature_fields):
            problems.append(f"package {pid}: signature acked, field unsigned")
        if "finish" in acked and package["status"] != "COMPLETED":
            problems.append(f"package {pid}: finished, but {package['status']}")
        for signature_field in signature_fields:
            signed = signature_field["signed_at"] is not None
            if signed != (signature_field["version_count"] == 2):
                problems.append(f"package {pid}: half-done signature {signature_field}")
    return problems


async def outbox_state(
    connection: asyncpg.Connection, missing: set[tuple[int, str]]
) -> dict[tuple[int, str], list[dict[str, Any]]]:
    """The unfinished jobs of each package with a missing notification: its deliveries
    (`webhook.deliver`, ordered per endpoint and package)."""
    state = {}
    for pid, status in sorted(missing):
        jobs = await connection.fetch(
            "SELECT id, kind, status, attempts, due_at, lease_expires_at, last_error FROM jobs "
            "WHERE status IN ('pending', 'running') "
            "AND ordering_key LIKE 'webhook:%:' || $1",
            str(pid),
        )
        state[(pid, status)] = [dict(job) for job in jobs]
    return state


def held_by_a_lost_claim(jobs: list[dict[str, Any]], restart_at: dt.datetime) -> bool:
    """A claim whose commit the restart cut off may have committed without the worker
    knowing: the job then waits for its lease (SIGNFLOW_JOB_LEASE_SECONDS, 60 s), longer
    than this test waits. Such a job is `running`, its lease due within a lease of the
    restart, and it will be claimed again and delivered then (at least once); the package's
    later jobs wait behind it, pending."""
    lease = dt.timedelta(seconds=LEASE_SECONDS + 5)
    held = [
        job
        for job in jobs
        if job["status"] == "running"
        and job["lease_expires_at"] is not None
        and job["lease_expires_at"] <= restart_at + lease
    ]
    # Later jobs of the same package wait behind it (one ordering key per package).
    return bool(held) and all(job in held or job["status"] == "pending" for job in jobs)


async def first_healthy(base: str, seconds: float = 2 * RECOVERY_SECONDS) -> float:
    """When `/readyz` first answers 200 (polled every 0.1 s); infinity if not in time."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return time.monotonic()
            await asyncio.sleep(0.1)
    return math.inf


async def first_delivery(
    receiver: Receiver, before: int, seconds: float = 2 * RECOVERY_SECONDS
) -> float:
    """When the receiver first gets a notification past the first `before`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(receiver.requests) > before:
            return time.monotonic()
        await asyncio.sleep(0.05)
    return math.inf


async def wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.2)
    return bool(await condition())


# --------------------------------------------------------------------------- the test


@pytest.mark.slow
async def test_acknowledged_work_survives_a_postgres_restart(
    cluster: PrivateCluster, signflow: Signflow, receiver: Receiver
) -> None:
    async with httpx.AsyncClient(base_url=signflow.base, timeout=30) as client:
        admin = await _token(client, ADMIN_EMAIL)
        signers: list[tuple[str, dict[str, str]]] = []
        for n in range(CLIENTS):
            email = f"signer{n}@restartco.test"
            response = await client.post(
                "/v3/enterprise/users",
                json={"user_email": email, "user_name": f"Signer {n}", "user_password": PASSWORD},
                headers=admin,
            )
            assert response.status_code in (200, 201), response.text
            await activate_from_mail(client, signflow.data_dir, email, PASSWORD)
            signers.append((email, await _token(client, email)))
        response = await client.post("/v3/webhooks", json={"url": receiver.url()}, headers=admin)
        assert response.status_code in (200, 201), response.text

    run = Run()
    until = run.started + LOAD_SECONDS
    load = [
        asyncio.create_task(client_loop(signflow.base, run, n, admin, email, headers, until))
        for n, (email, headers) in enumerate(signers)
    ]
    await asyncio.sleep(RESTART_AFTER)
    restart_began, restart_at = time.monotonic(), dt.datetime.now(dt.UTC)
    await asyncio.to_thread(cluster.restart)
    restarted = time.monotonic()
    delivered_before = len(receiver.requests)
    healthy = asyncio.create_task(first_healthy(signflow.base))
    delivering = asyncio.create_task(first_delivery(receiver, delivered_before))
    await asyncio.gather(*load)

    # Recovery, without restarting either process.
    assert signflow.api.popen.poll() is None, signflow.api.tail()
    assert signflow.worker.popen.poll() is None, signflow.worker.tail()
    healthy_after = await healthy - restart_began
    successes_after = [at for at in run.successes if at > restarted]
    assert successes_after, f"no request succeeded after the restart: {run.failures}"
    first_success = min(successes_after) - restart_began
    async with httpx.AsyncClient(base_url=signflow.base, headers=admin, timeout=30) as client:
        probe = Flow(-1, "Probe after the restart", signers[0][0])
        await walk(client, run, probe, admin, signers[0][1], make_pdf())
    assert probe.acked == list(STEPS), (probe, signflow.api.tail())
    assert probe.package_id is not None
    probe_key = (probe.package_id, "SIGNED_PACKAGE")

    async def probe_delivered() -> bool:
        return probe_key in notifications(receiver)

    assert await wait_for(probe_delivered, RECOVERY_SECONDS - (time.monotonic() - restarted)), (
        f"the worker delivers nothing new after the restart:\n{signflow.worker.tail()}"
    )
    worker_back = await delivering - restart_began
    assert healthy_after < RECOVERY_SECONDS and first_success < RECOVERY_SECONDS
    assert worker_back < RECOVERY_SECONDS

    # Requests that failed did so as a 5xx or a broken connection, never as a refusal.
    assert not run.refused, run.refused
    acknowledged = [f for f in run.flows if f.package_id is not None]
    assert sum(1 for f in run.flows if "finish" in f.acked) >= CLIENTS, run.flows

    async with database(cluster) as connection:
        problems = await check_data(connection, [*acknowledged, probe])
        assert not problems, problems

        wanted = expected_notifications([*acknowledged, probe])

        async def all_delivered() -> bool:
            return wanted <= notifications(receiver).keys()

        await wait_for(all_delivered, RECOVERY_SECONDS)
        missing = wanted - notifications(receiver).keys()
        state = await outbox_state(connection, missing)
    lost_claims = {key for key, jobs in state.items() if held_by_a_lost_claim(jobs, restart_at)}
    assert missing <= lost_claims, "\n".join(
        f"{key}: not delivered; unfinished jobs {state[key]}" for key in sorted(missing)
    )

    print(
        f"\n{len(run.flows)} packages, {sum(len(f.acked) for f in run.flows)} acknowledged "
        f"requests, {len(run.failures)} failed: {Counter(s for _, s, _ in run.failures)}; "
        f"restart took {restarted - restart_began:.1f} s; after it began, /readyz 200 in "
        f"{healthy_after:.1f} s, first success {first_success:.1f} s, first delivery "
        f"{worker_back:.1f} s; {len(wanted)} notifications expected, "
        f"{len(missing)} waiting for a lost claim's lease: {sorted(missing)}"
    )
