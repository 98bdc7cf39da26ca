"""A real OpenID provider for the tests: tests/web/app/oidc_provider.mjs (the npm package
oidc-provider) in a Node process on a free loopback port."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.prerequisites import missing

SCRIPT = Path(__file__).resolve().parent / "oidc_provider.mjs"
PACKAGE = Path(__file__).resolve().parents[1] / "node_modules" / "oidc-provider"
INSTALL = "cd tests/web && npm install --no-save axe-core@4 oidc-provider@8"


@dataclass(frozen=True)
class OpenIdProvider:
    issuer: str
    client_id: str
    client_secret: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def openid_provider(redirect_uri: str) -> AsyncIterator[OpenIdProvider]:
    node = shutil.which("node")
    if node is None:
        missing("node", "apt-get install nodejs npm")
    if not PACKAGE.is_dir():
        missing(f"oidc-provider ({PACKAGE})", INSTALL)
    port = _free_port()
    client = OpenIdProvider(f"http://127.0.0.1:{port}", "signflow-app", "provider-side-secret")
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        str(port),
        client.client_id,
        client.client_secret,
        redirect_uri,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        said: list[bytes] = []
        while not (said and said[-1].startswith(b"ready")):
            line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
            assert line, b"".join(said).decode()  # the process ended before it was ready
            said.append(line)
        drain = asyncio.create_task(process.stdout.read())  # its warnings, never a full pipe
        yield client
    finally:
        process.terminate()
        await process.wait()
        if "drain" in locals():
            await drain
