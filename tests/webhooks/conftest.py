from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from signflow.webhooks.ssrf import guarded_session, parse_allowed_networks

LOOPBACK = parse_allowed_networks("127.0.0.0/8,::1/128")


@pytest.fixture
async def loopback_client() -> AsyncIterator[aiohttp.ClientSession]:
    """A guarded client whose operator allow-listed loopback, as on-premises set-ups do."""
    async with guarded_session(LOOPBACK) as client:
        yield client


@pytest.fixture
async def strict_client() -> AsyncIterator[aiohttp.ClientSession]:
    async with guarded_session([]) as client:
        yield client
