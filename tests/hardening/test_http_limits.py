"""Request bodies and slow clients against a real `signflow serve`, over raw sockets.

What a pentester sent from outside: a 4 MB JSON body (which stalled every tenant),
bodies without a token, one header line or one body byte every few seconds, hundreds of
half-sent requests, uploads cut off by the client. The server runs with short deadlines
(2 s for headers, 3 s for a body) so that the tests stay short; every wait in them is
bounded, and every deadline is checked generously ("cut off within N s").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.servers import Proc, free_port, start, wait_http
from signflow.http_protocol import BODY_DEADLINE_GRACE, DRAIN_SECONDS, MAX_HEADER_BYTES
from tests.conftest import TEST_SECRET
from tests.pdf.builders import make_pdf

SIGNFLOW = str(Path(sys.executable).parent / "signflow")
HEADER_TIMEOUT = 2.0
BODY_DEADLINE = 3.0
# Scheduling on a loaded two-core machine: what "within the deadline" is allowed on top.
SLACK = 4.0
ADMIN_EMAIL, PASSWORD = "admin@slowco.test", "long-password-123"
CLIENT_ID, CLIENT_SECRET = "slowco-app", "slowco-client-secret-123"
MB = 1024 * 1024


@dataclass
class Served:
    port: int
    proc: Proc
    token: str
    api_key: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_size(self) -> int:
        return self.proc.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.proc.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp(f"served-{request.param}")
    if request.param == "postgresql":
        database_url: str = request.getfixturevalue("postgres_url")
    else:
        database_url = f"sqlite+aiosqlite:///{workdir / 'signflow.db'}"
    env = {
        "SIGNFLOW_ENV": "test",
        "SIGNFLOW_SECRET_KEY": TEST_SECRET,
        "SIGNFLOW_DATA_DIR": str(workdir / "var"),
        "SIGNFLOW_DATABASE_URL": database_url,
        "SIGNFLOW_EMBEDDED_WORKER": "false",
        "SIGNFLOW_ENTERPRISE_RATE_PER_SECOND": "0",
        "SIGNFLOW_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "SIGNFLOW_BODY_DEADLINE_SECONDS": str(BODY_DEADLINE),
        "SIGNFLOW_LOG_LEVEL": "INFO",
        "SIGNFLOW_LOG_FORMAT": "text",
    }
    created = subprocess.run(
        [
            SIGNFLOW,
            "bootstrap",
            "--enterprise",
            "Slowco",
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
        timeout=180,
    )
    api_key = json.loads(created.stdout)["api_key"]
    port = free_port()
    proc = start("api", [SIGNFLOW, "serve", "--port", str(port)], env, workdir)
    try:
        wait_http(proc, f"http://127.0.0.1:{port}/healthz", timeout=180)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/authenticate",
            data={
                "grant_type": "password",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "username": ADMIN_EMAIL,
                "password": PASSWORD,
            },
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        yield Served(port, proc, answer.json()["access_token"], api_key)
    finally:
        proc.stop()


# --------------------------------------------------------------------------- raw HTTP


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


class Connection:
    """One client connection, written and read byte by byte as a hostile client would."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, served: Served) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> bool:
        """False once the server has closed or reset the connection."""
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            return False
        return True

    async def answer(self, timeout: float) -> Answer:
        async with asyncio.timeout(timeout):
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:] if line)
            }
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return Answer(status, headers, body)

    async def closed_within(self, timeout: float) -> bool:
        """Whether the server closes the connection within `timeout`, reading and
        discarding whatever else it sends."""
        try:
            async with asyncio.timeout(timeout):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except (ConnectionError, OSError):
            return True  # a reset is a close too
        return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


def request_head(
    method: str, path: str, headers: dict[str, str] | None = None, length: int | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def bearer(served: Served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served.token}"}


def padded_package(size: int) -> bytes:
    head = b'{"package_name": "Padded", "padding": "'
    return head + b"a" * (size - len(head) - 2) + b'"}'


async def new_package(served: Served) -> int:
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as client:
        response = await client.post(
            "/v3/packages", json={"package_name": "Upload"}, headers=bearer(served)
        )
    assert response.status_code == 200, response.text
    package_id: int = response.json()["package_id"]
    return package_id


async def _wait_for_log(served: Served, offset: int, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = served.log_since(offset)
        if text in log:
            return log
        await asyncio.sleep(0.1)
    return served.log_since(offset)


# --------------------------------------------------------------------------- bodies


@contextlib.asynccontextmanager
async def trickling(
    connection: Connection, pieces: Iterator[bytes], interval: float = 0.5
) -> AsyncIterator[None]:
    """Sends one piece every `interval` seconds while the block runs (until the server
    closes the connection)."""

    async def trickle() -> None:
        for piece in pieces:
            if not await connection.send(piece):
                return
            await asyncio.sleep(interval)

    sender = asyncio.create_task(trickle())
    try:
        yield
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


CHUNK = 64 * 1024


async def _post_4mb(served: Served, chunked: bool) -> Answer:
    """POSTs a 4 MB JSON body (declared, or chunked without a length) while reading the
    answer, as a client that does not wait for the server before sending does."""
    body = padded_package(4 * MB)
    slices = [body[i : i + CHUNK] for i in range(0, len(body) - CHUNK, CHUNK)]
    if chunked:
        head = request_head(
            "POST", "/v3/packages", bearer(served) | {"Transfer-Encoding": "chunked"}
        )
        pieces = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in slices]
    else:
        head = request_head("POST", "/v3/packages", bearer(served), length=len(body))
        pieces = slices
    connection = await Connection.open(served)
    try:
        async with trickling(connection, iter([head, *pieces]), interval=0):
            return await connection.answer(timeout=30)
    finally:
        await connection.close()


async def test_a_4mb_json_body_is_413_while_healthz_stays_responsive(served: Served):
    stop = asyncio.Event()
    health_times: list[float] = []

    async def poll_health() -> None:
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
            while not stop.is_set():
                started = time.monotonic()
                response = await client.get("/healthz")
                assert response.status_code == 200
                health_times.append(time.monotonic() - started)
                await asyncio.sleep(0.05)

    poller = asyncio.create_task(poll_health())
    try:
        answers = await asyncio.gather(
            *(_post_4mb(served, chunked) for chunked in (False, True, False, True))
        )
    finally:
        stop.set()
        await poller
    for answer in answers:
        assert answer.status == 413, answer.body
        assert answer.json() == {"Message": "The request body is larger than the limit of 1 MB"}
    assert health_times, "no /healthz answer while the bodies were refused"
    assert max(health_times) < SLACK, health_times


async def test_a_2mb_json_body_is_413(served: Served):
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as client:
        response = await client.post(
            "/v3/packages", content=padded_package(2 * MB), headers=bearer(served)
        )
    assert response.status_code == 413, response.text
    assert response.json() == {"Message": "The request body is larger than the limit of 1 MB"}


@pytest.mark.parametrize(
    ("path", "headers", "length", "expected"),
    [
        ("/v3/packages", {}, 900_000, {"Message": "User authentication required"}),
        (
            "/v3/packages",
            {"Authorization": "Bearer sfa_not-a-token"},
            900_000,
            {"Message": "Request authorization denied"},
        ),
        (
            "/JSON/signatureRequest",
            {},
            30 * MB,
            {"message": "An x-api-key header is required", "value": ""},
        ),
    ],
)
async def test_without_credentials_the_answer_is_401_before_the_body_is_sent(
    served: Served, path: str, headers: dict[str, str], length: int, expected: dict[str, str]
):
    connection = await Connection.open(served)
    try:
        assert await connection.send(request_head("POST", path, headers, length=length))
        assert await connection.send(b" " * (16 * 1024))  # and nothing more
        answer = await connection.answer(timeout=15)
        assert answer.status == 401, answer.body
        assert answer.json() == expected
        # The rest of the body is not waited for: the connection closes soon after.
        assert await connection.closed_within(DRAIN_SECONDS + SLACK)
    finally:
        await connection.close()


# --------------------------------------------------------------------------- slow clients


async def test_a_slow_header_client_is_cut_off_within_the_deadline(served: Served):
    connection = await Connection.open(served)
    started = time.monotonic()
    try:
        lines = (f"X-Slow-{n}: 1\r\n".encode() for n in range(60))
        assert await connection.send(b"POST /v3/packages HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        async with trickling(connection, lines):
            answer = await connection.answer(timeout=HEADER_TIMEOUT + SLACK)
            assert await connection.closed_within(SLACK)
        elapsed = time.monotonic() - started
        assert answer.status == 408
        assert answer.headers["connection"] == "close"
        assert elapsed < HEADER_TIMEOUT + SLACK
    finally:
        await connection.close()


async def test_oversized_headers_are_refused_with_431(served: Served):
    connection = await Connection.open(served)
    try:
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (
            MAX_HEADER_BYTES + 1
        )
        async with trickling(connection, iter([head, b"a" * MAX_HEADER_BYTES]), interval=0):
            answer = await connection.answer(timeout=SLACK)
            assert await connection.closed_within(SLACK)
        assert answer.status == 431
    finally:
        await connection.close()


async def test_a_slow_body_client_is_cut_off_within_the_deadline(served: Served):
    offset = served.log_size()
    connection = await Connection.open(served)
    try:
        head = request_head("POST", "/v3/packages", bearer(served), length=1000)
        assert await connection.send(head)
        started = time.monotonic()
        async with trickling(connection, (b" " for _ in range(60))):
            answer = await connection.answer(timeout=BODY_DEADLINE + SLACK)
            assert await connection.closed_within(BODY_DEADLINE_GRACE + SLACK)
        elapsed = time.monotonic() - started
        assert answer.status == 408, answer.body
        assert answer.json() == {"Message": "The request body arrived too slowly"}
        assert elapsed < BODY_DEADLINE + BODY_DEADLINE_GRACE + SLACK
    finally:
        await connection.close()
    log = await _wait_for_log(served, offset, "POST /v3/packages 408", timeout=10)
    assert "POST /v3/packages 408" in log, log
    assert "client aborted" not in log, log  # the server's refusal, not the client's abort
    assert "Traceback" not in log, log


async def test_a_body_nobody_reads_is_not_drained_for_ever(served: Served):
    # /healthz answers without reading the body; the client keeps sending a byte at a time.
    connection = await Connection.open(served)
    try:
        assert await connection.send(request_head("GET", "/healthz", length=10_000))
        answer = await connection.answer(timeout=15)
        assert answer.status == 200
        started = time.monotonic()
        closed = False
        for _ in range(40):
            if not await connection.send(b" ") or connection.reader.at_eof():
                closed = True
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    if not await connection.reader.read(1):
                        closed = True
                        break
        assert closed
        assert time.monotonic() - started < DRAIN_SECONDS + SLACK
    finally:
        await connection.close()


async def test_hundreds_of_half_sent_requests_are_all_closed(served: Served):
    connections = [await Connection.open(served) for _ in range(200)]
    silent = [await Connection.open(served) for _ in range(50)]  # send nothing at all
    try:
        for connection in connections:
            assert await connection.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed = await asyncio.gather(
            *(c.closed_within(HEADER_TIMEOUT + SLACK) for c in [*connections, *silent])
        )
        assert sum(closed) == len(closed)
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
            assert (await client.get("/healthz")).status_code == 200
    finally:
        for connection in [*connections, *silent]:
            await connection.close()


# --------------------------------------------------------------------------- aborts


@pytest.mark.parametrize("kind", ["upload", "json"])
async def test_a_client_that_disconnects_mid_body_is_logged_quietly(served: Served, kind: str):
    package_id = await new_package(served)
    if kind == "upload":
        path = f"/v3/packages/{package_id}/documents"
        headers = bearer(served) | {"x-file-name": "big.pdf"}
        length, sent = 5 * MB, make_pdf() + b"\n%" + b"x" * MB
    else:
        path = "/v3/packages"
        headers = bearer(served)
        length, sent = 900_000, padded_package(900_000)[:300_000]
    offset = served.log_size()
    connection = await Connection.open(served)
    try:
        assert await connection.send(request_head("POST", path, headers, length=length))
        assert await connection.send(sent)
        await asyncio.sleep(0.5)
    finally:
        await connection.close()  # mid-body
    log = await _wait_for_log(served, offset, f"POST {path} 499", timeout=20)
    assert f"client aborted POST {path} before its request body was read" in log, log
    assert f"POST {path} 499" in log, log
    assert "Traceback" not in log, log
    assert "Exception in ASGI application" not in log, log
    assert "unhandled error" not in log, log
    assert not re.search(r"POST \S+ 500\b", log), log
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
        assert (await client.get("/healthz")).status_code == 200
