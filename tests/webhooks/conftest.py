from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from signflow.webhooks.ssrf import guarded_client, parse_allowed_networks

LOOPBACK = parse_allowed_networks("127.0.0.0/8,::1/128")


@pytest.fixture
async def loopback_client() -> AsyncIterator[httpx.AsyncClient]:
    """A guarded client whose operator allow-listed loopback, as on-premises set-ups do."""
    async with guarded_client(LOOPBACK) as client:
        yield client


@pytest.fixture
async def strict_client() -> AsyncIterator[httpx.AsyncClient]:
    async with guarded_client([]) as client:
        yield client
