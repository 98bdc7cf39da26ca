"""Start and stop the servers a benchmark measures: Signflow (API processes, a worker),
the bare FastAPI baseline, PostgreSQL databases of our own. Every process is started in
its own session and stopped by its process-group id; every wait is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_DSN = os.environ.get("SIGNFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret-123456"
ADMIN_EMAIL, PASSWORD = "a@bench.test", "long-password-123"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_list(text: str) -> set[int]:
    """`0-1,4` -> {0, 1, 4}: the CPU list syntax of taskset and cgroups."""
    cpus: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


# Where the processes run, to measure a scale-out where the load generator does not
# share the servers' cores: SIGNFLOW_BENCH_SERVER_CPUS for every Signflow process (and
# the bare baseline), SIGNFLOW_BENCH_LOAD_CPUS for this process, the load generator.
# Unset: anywhere, as the scheduler likes (PostgreSQL is never placed by the benchmark).
SERVER_CPUS = cpu_list(os.environ.get("SIGNFLOW_BENCH_SERVER_CPUS", "")) or None
LOAD_CPUS = cpu_list(os.environ.get("SIGNFLOW_BENCH_LOAD_CPUS", "")) or None
if LOAD_CPUS:
    os.sched_setaffinity(0, LOAD_CPUS)


def cpu_placement() -> dict[str, list[int] | None]:
    return {
        "server_cpus": sorted(SERVER_CPUS) if SERVER_CPUS else None,
        "load_cpus": sorted(LOAD_CPUS) if LOAD_CPUS else None,
    }


def _on_server_cpus() -> None:
    if SERVER_CPUS:
        os.sched_setaffinity(0, SERVER_CPUS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------- processes


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their reaped children."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[11..14] = utime stime cutime cstime (stat fields 14..17)
        total += sum(int(x) for x in fields[11:15])
    return total / CLK_TCK


def rss_bytes(pids: list[int]) -> tuple[int, int]:
    """(current RSS, sum of each process's peak RSS) of these processes, in bytes."""
    rss = hwm = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, hwm


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tree(self) -> list[int]:
        return process_tree(self.pid)

    def stop(self, timeout: float = 15) -> None:
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(name: str, args: list[str], env: dict[str, str], workdir: Path) -> Proc:
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            args,
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_on_server_cpus if SERVER_CPUS else None,
        )
    return Proc(name, popen, log)


def wait_http(proc: Proc, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not answer {url} within {timeout:.0f}s:\n{proc.tail()}")


def uvicorn_args(app: str, port: int, workers: int) -> list[str]:
    """The bare baseline, served with the settings `signflow serve` passes to uvicorn."""
    return [
        str(BIN / "uvicorn"),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-proxy-headers",
    ]


@contextlib.contextmanager
def bare_server(workers: int = 1) -> Iterator[tuple[str, Proc]]:
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="signflow-bench-bare-"))
    proc = start("bare", uvicorn_args("bench.bare_app:app", port, workers), {}, workdir)
    try:
        wait_http(proc, f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL


async def _pg(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def pg_available() -> bool:
    try:
        asyncio.run(_pg("SELECT 1"))
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    return True


@contextlib.contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """A fresh database of our own, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"signflow_bench_{prefix}_{os.getpid()}"
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --------------------------------------------------------------------------- Signflow


@dataclass
class Signflow:
    """A running Signflow: API processes (one uvicorn), optionally a separate worker."""

    url: str
    database_url: str
    env: dict[str, str]
    workdir: Path
    api: Proc
    worker: Proc | None
    bootstrap: dict[str, Any]
    procs: list[Proc] = field(default_factory=list)

    def pids(self) -> list[int]:
        pids: list[int] = []
        for proc in self.procs:
            pids.extend(proc.tree())
        return pids


def signflow_env(database_url: str, data_dir: Path, *, embedded_worker: bool) -> dict[str, str]:
    return {
        "SIGNFLOW_ENV": "production",
        "SIGNFLOW_SECRET_KEY": secrets.token_urlsafe(48),
        "SIGNFLOW_DATA_DIR": str(data_dir),
        "SIGNFLOW_DATABASE_URL": database_url,
        "SIGNFLOW_LOG_LEVEL": "WARNING",
        "SIGNFLOW_EMBEDDED_WORKER": "true" if embedded_worker else "false",
        "SIGNFLOW_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        # Every load generator here is one enterprise: measure capacity, not the policy.
        "SIGNFLOW_ENTERPRISE_RATE_PER_SECOND": "0",
        # Every process of a benchmark runs on this host: the principal cache is safe on
        # PostgreSQL too, where it is off unless configured (docs/accounts.md).
        "SIGNFLOW_PRINCIPAL_CACHE": "host",
    }


async def _bootstrap(env: dict[str, str]) -> dict[str, Any]:
    """Migrate and bootstrap in this process (saves a CLI start-up per instance)."""
    from signflow.accounts.bootstrap import bootstrap_enterprise
    from signflow.config import Settings
    from signflow.context import AppContext
    from signflow.db import transaction
    from signflow.migrate import migrate
    from signflow.signing.enterprise_keys import provision_enterprise_keys

    settings = Settings(
        env=env["SIGNFLOW_ENV"],  # type: ignore[arg-type]
        secret_key=env["SIGNFLOW_SECRET_KEY"],
        data_dir=Path(env["SIGNFLOW_DATA_DIR"]),
        database_url=env["SIGNFLOW_DATABASE_URL"],
    )
    await migrate(settings.effective_database_url)
    context = AppContext.create(settings)
    try:
        async with transaction(context.sessions) as session:
            result = await bootstrap_enterprise(
                session,
                enterprise_name="Bench",
                admin_email=ADMIN_EMAIL,
                admin_password=PASSWORD,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
            )
            await provision_enterprise_keys(session, settings, result.enterprise_id)
            return dict(result.as_json())
    finally:
        await context.close()


@contextlib.contextmanager
def _start_signflow(
    database_url: str | None, api_workers: int, separate_worker: bool
) -> Iterator[Signflow]:
    workdir = Path(tempfile.mkdtemp(prefix="signflow-bench-"))
    data_dir = workdir / "var"
    data_dir.mkdir()
    url = database_url or f"sqlite+aiosqlite:///{data_dir / 'signflow.db'}"
    env = signflow_env(url, data_dir, embedded_worker=not separate_worker)
    procs: list[Proc] = []
    port = free_port()
    env["SIGNFLOW_BASE_URL"] = f"http://127.0.0.1:{port}"  # production needs it set
    try:
        boot = asyncio.run(_bootstrap(env))
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        api = start(
            "api", [str(BIN / "signflow"), *serve, "--workers", str(api_workers)], env, workdir
        )
        procs.append(api)
        worker = None
        if separate_worker:
            worker = start("worker", [str(BIN / "signflow"), "worker"], env, workdir)
            procs.append(worker)
        base = f"http://127.0.0.1:{port}"
        wait_http(api, f"{base}/healthz", timeout=240)
        # With several workers /healthz answers as soon as one is up: wait for the rest.
        if api_workers > 1:
            deadline = time.monotonic() + 120
            while len(api.tree()) < api_workers + 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            _wait_settled(api, deadline)
        MAIL_DIRS[base] = data_dir / "mail"  # users added through the API activate by mail
        try:
            yield Signflow(base, url, env, workdir, api, worker, boot, procs)
        finally:
            del MAIL_DIRS[base]
    finally:
        for proc in reversed(procs):
            proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_settled(proc: Proc, deadline: float) -> None:
    """With several workers /healthz answers once the first is up; the others are still
    importing. Wait until the process tree is idle (under 0.15 s of CPU in a second)."""
    wait_idle([proc], deadline)


def wait_idle(procs: list[Proc], deadline: float) -> None:
    """Until these processes' trees are idle (under 0.15 s of CPU in a second), or the
    deadline: an instance shared with an earlier benchmark may still be working off its
    jobs (evidence reports, emails), which the next one must not measure."""
    while time.monotonic() < deadline:
        pids = [pid for proc in procs for pid in proc.tree()]
        before = cpu_seconds(pids)
        time.sleep(1.0)
        if cpu_seconds(pids) - before < 0.15:
            return


class Instances:
    """Signflow instances shared by every benchmark of one `python -m bench` run, so each
    configuration is started once (a start costs seconds of imports and migrations)."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.running: dict[tuple[str, int, bool], Signflow] = {}

    def get(self, backend: str, api_workers: int = 1, separate_worker: bool = False) -> Signflow:
        key = (backend, api_workers, separate_worker)
        if key not in self.running:
            url = (
                self.stack.enter_context(pg_database(f"{api_workers}"))
                if backend == "postgresql"
                else None
            )
            self.running[key] = self.stack.enter_context(
                _start_signflow(url, api_workers, separate_worker)
            )
        return self.running[key]

    def close(self) -> None:
        self.stack.close()


SHARED: Instances | None = None


@contextlib.contextmanager
def instance(
    backend: str = "sqlite", *, api_workers: int = 1, separate_worker: bool = False
) -> Iterator[Signflow]:
    """A running Signflow: the shared one inside `python -m bench`, else one of its own."""
    if SHARED is not None:
        yield SHARED.get(backend, api_workers, separate_worker)
        return
    own = Instances()
    try:
        yield own.get(backend, api_workers, separate_worker)
    finally:
        own.close()


# --------------------------------------------------------------------------- API helpers


async def token(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/authenticate",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": username,
            "password": password,
        },
    )
    response.raise_for_status()
    access: str = response.json()["access_token"]
    return access


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


async def add_user(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    email: str,
    name: str,
    *,
    exist_ok: bool = False,
) -> str:
    """Add a user, activate them through the link mailed to them, and sign them in;
    with exist_ok, a user an earlier benchmark added on the same shared instance is
    signed in instead."""
    response = await client.post(
        "/v3/enterprise/users", json={"user_email": email, "user_name": name}, headers=admin
    )
    if exist_ok and response.status_code == 409:
        return await token(client, email)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"adding {email}: {response.status_code} {response.text}")
    await activate_from_mail(client, email)
    return await token(client, email)


# Where each running instance's file mailer writes (base URL -> DATA_DIR/mail).
MAIL_DIRS: dict[str, Path] = {}
ACTIVATION_LINK = re.compile(r"https?://[^/\s]+(/web/activate/sfv_[A-Za-z0-9_-]+)")


MAIL_WAIT_SECONDS = 120


async def activate_from_mail(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> None:
    """What the person does: open the activation link the worker mailed, choose a password."""
    mail_dir = MAIL_DIRS[str(client.base_url).rstrip("/")]
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while (path := _activation_path(mail_dir, email)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no activation mail for {email} in {mail_dir}")
        await asyncio.sleep(0.1)
    response = await client.post(path, data={"password": password, "confirm": password})
    if response.status_code != 200:
        raise RuntimeError(f"activating {email}: {response.status_code}")


def _activation_path(mail_dir: Path, email: str) -> str | None:
    for file in sorted(mail_dir.glob("*.eml"), reverse=True):
        message = message_from_bytes(file.read_bytes(), policy=default_policy)
        body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
        recipients = {address.lower() for _, address in getaddresses([str(message["To"])])}
        if body is None or email.lower() not in recipients:  # not a substring: r@ in owner@
            continue
        found = ACTIVATION_LINK.search(body.get_content())
        if found:
            return found.group(1)
    return None


@contextlib.asynccontextmanager
async def webhook_endpoint(
    client: httpx.AsyncClient, admin: dict[str, str], url: str
) -> AsyncIterator[int]:
    """An endpoint for this benchmark's receiver, deleted when it ends: instances are
    shared, and an endpoint left behind would double every later benchmark's deliveries
    (to a receiver that is gone)."""
    response = await client.post("/v3/webhooks", json={"url": url}, headers=admin)
    if response.status_code != 201:
        raise RuntimeError(f"registering a webhook: {response.status_code} {response.text}")
    endpoint_id = int(response.json()["id"])
    try:
        yield endpoint_id
    finally:
        await client.delete(f"/v3/webhooks/{endpoint_id}", headers=admin)


@contextlib.asynccontextmanager
async def api_client(base: str, connections: int = 64) -> AsyncIterator[httpx.AsyncClient]:
    # Idle connections are dropped before the server's keep-alive timeout (5 s) closes
    # them: a request sent on a connection the server is closing fails (httpx's default
    # expiry, 5 s, raced it under load).
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        yield client
