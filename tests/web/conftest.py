"""Browser tests of the signer pages: a real server, a real Chromium, real signatures.

The server is the real app served by uvicorn on a free loopback port, in a thread
with its own event loop, over a SQLite database in a temporary data directory;
the tests prepare packages through the same API and database. Chromium is
Debian's (/usr/bin/chromium) driven by Playwright. Without it, or without axe-core,
the browser tests fail naming the command that installs them (tests/prerequisites.py).

Screenshots of every page go to tests/artifacts/web/ for a person to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page

from signflow.app import create_app
from signflow.config import Settings
from signflow.context import AppContext
from signflow.migrate import migrate
from tests.conftest import TEST_SECRET
from tests.factories import Tenant, make_tenant
from tests.prerequisites import missing
from tests.web.helpers import (
    PHONE,
    TALL_PHONE,
    WIDE_DESKTOP,
    Field,
    Person,
    Prepared,
    check_axe,
    new_page,
    prepare,
    recipient_links,
    shot,
)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_tenants = itertools.count(1)
SIZES = {"desktop": WIDE_DESKTOP, "phone": TALL_PHONE}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread(threading.Thread):
    def __init__(self, server: uvicorn.Server) -> None:
        super().__init__(daemon=True)
        self.server = server

    def run(self) -> None:
        asyncio.run(self.server.serve())


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings
    context: AppContext  # the tests' own connection to the server's database


@contextlib.asynccontextmanager
async def serving(data_dir: Path, **overrides: Any) -> AsyncIterator[LiveServer]:
    """A Signflow server on a free loopback port, in a thread, over its own SQLite file in
    `data_dir` (migrated here); `overrides` are further settings."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite+aiosqlite:///{data_dir / 'signflow.db'}"
    await migrate(database_url)
    settings = Settings(
        env="test",
        database_url=database_url,
        data_dir=data_dir,
        secret_key=TEST_SECRET,
        base_url=url,
        embedded_worker=False,
        **overrides,
    )
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = ServerThread(server)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        await asyncio.sleep(0.05)
    context = AppContext.create(settings)
    try:
        yield LiveServer(url, settings, context)
    finally:
        await context.close()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
async def live_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    async with serving(tmp_path_factory.mktemp("web-var")) as server:
        yield server


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def web_tenant(live_server: LiveServer) -> Tenant:
    """A tenant of its own for each test: the server's database is shared by the session."""
    return await make_tenant(live_server.context, f"Web{next(_tenants)}")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        missing(str(CHROMIUM), "apt-get install chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        missing(f"axe-core ({AXE})", "cd tests/web && npm install --no-save axe-core@4")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield ARTIFACTS


@dataclass(frozen=True)
class Web:
    """What a browser test needs: Chromium, the server, an API client, a tenant of its own,
    axe-core, and where the screenshots go."""

    browser: Browser
    live_server: LiveServer
    api: httpx.AsyncClient
    tenant: Tenant
    axe_source: str
    artifacts: Path

    async def prepare(
        self, people: Sequence[Person], fields: Sequence[Field], **options: Any
    ) -> Prepared:
        """A package of the tenant's owner: see helpers.prepare."""
        return await prepare(self.api, self.live_server, self.tenant, people, fields, **options)

    async def prepare_links(self, prepared: Prepared) -> dict[str, str]:
        """The recipients' links once the package is shared (prepare(share=False) gives none)."""
        return await recipient_links(self.live_server, prepared.package_id)

    async def new_page(self, viewport: dict[str, int], **options: object) -> Page:
        return await new_page(self.browser, viewport, **options)

    async def new_phone_page(self, locale: str) -> Page:
        """A page on a touch phone with a high-density screen."""
        return await self.new_page(
            PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale=locale
        )

    async def page_at(self, size: str, locale: str = "en-GB", **options: object) -> Page:
        """A page at one of the sizes issue 17 is judged at: "desktop" (1366x900) or
        "phone" (390x844, touch, high-density)."""
        if size == "phone":
            options = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} | options
        return await self.new_page(SIZES[size], locale=locale, **options)

    async def shot(self, page: Page, name: str) -> None:
        await shot(page, self.artifacts, name)

    async def shot_and_check_axe(
        self, page: Page, name: str, where: str, *, strict: bool = False
    ) -> None:
        """A screenshot for a person to look at, then axe-core: see helpers.check_axe
        (strict: no violation of any impact)."""
        await shot(page, self.artifacts, name)
        await check_axe(page, self.axe_source, where, strict)


@pytest.fixture
def web(
    browser: Browser,
    live_server: LiveServer,
    api: httpx.AsyncClient,
    web_tenant: Tenant,
    axe_source: str,
    artifacts: Path,
) -> Web:
    return Web(browser, live_server, api, web_tenant, axe_source, artifacts)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
