"""Driving the web app over HTTP: a browser's cookies in an httpx client, forms with
their CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from tests.factories import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


@asynccontextmanager
async def browser(
    app: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a cookie jar of its own: one browser."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    token = await form_token(client, "/app/signin")
    return await client.post(
        "/app/signin", data={"csrf": token, "email": email, "password": password, **extra}
    )
