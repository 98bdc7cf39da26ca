"""Plain factory functions for test data, written through the core (not the API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.bootstrap import bootstrap_enterprise
from signflow.accounts.email_ownership import mark_email_verified
from signflow.accounts.users import NewUser, create_user
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import User

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Tenant:
    enterprise_id: int
    name: str
    admin_email: str
    user_email: str
    client_id: str
    client_secret: str
    api_key: str
    password: str = PASSWORD


async def create_verified_user(session: AsyncSession, enterprise_id: int, new: NewUser) -> User:
    """An account that has proven its address, as if its owner had used the activation
    link (the API registers pending accounts: see tests/accounts/test_email_ownership.py)."""
    user = await create_user(session, enterprise_id, new)
    await mark_email_verified(session, user)
    return user


async def make_tenant(context: AppContext, name: str) -> Tenant:
    slug = name.lower()
    async with transaction(context.sessions) as session:
        result = await bootstrap_enterprise(
            session,
            enterprise_name=name,
            admin_email=f"admin@{slug}.test",
            admin_password=PASSWORD,
            client_id=f"{slug}-app",
            client_secret=f"{slug}-client-secret",
        )
        await create_verified_user(
            session,
            result.enterprise_id,
            NewUser(email=f"user@{slug}.test", name=f"{name} User", password=PASSWORD),
        )
    return Tenant(
        enterprise_id=result.enterprise_id,
        name=name,
        admin_email=result.admin_email,
        user_email=f"user@{slug}.test",
        client_id=result.client_id,
        client_secret=result.client_secret,
        api_key=result.api_key,
    )


async def add_user(context: AppContext, tenant: Tenant, email: str, name: str) -> str:
    async with transaction(context.sessions) as session:
        await create_verified_user(
            session, tenant.enterprise_id, NewUser(email=email, name=name, password=PASSWORD)
        )
    return email


async def sign_in(
    client: httpx.AsyncClient,
    tenant: Tenant,
    username: str,
    password: str = PASSWORD,
    scope: str | None = None,
) -> dict[str, object]:
    form = {
        "grant_type": "password",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "username": username,
        "password": password,
    }
    if scope:
        form["scope"] = scope
    response = await client.post("/authenticate", data=form)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def bearer(client: httpx.AsyncClient, tenant: Tenant, username: str) -> dict[str, str]:
    tokens = await sign_in(client, tenant, username)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def create_package(
    client: httpx.AsyncClient, headers: dict[str, str], name: str = "Lease 2026"
) -> int:
    response = await client.post("/v3/packages", json={"package_name": name}, headers=headers)
    assert response.status_code == 200, response.text
    package_id: int = response.json()["package_id"]
    return package_id


async def upload_document(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    package_id: int,
    data: bytes,
    file_name: str = "lease.pdf",
) -> int:
    response = await client.post(
        f"/v3/packages/{package_id}/documents",
        content=data,
        headers=headers | {"x-file-name": file_name, "x-source": "API"},
    )
    assert response.status_code == 201, response.text
    document_id: int = response.json()["documentid"]
    return document_id


@asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from `address`: the ASGI scope's client, which is the
    address the server sees (it trusts no X-Forwarded-For)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
