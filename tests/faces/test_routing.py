"""The request plumbing: read-only transactions, and no dependency costing a thread hop."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel

from signflow.app import create_app
from signflow.context import AppContext
from signflow.faces.routing import TransactionalRoute, has_transaction, without_transaction
from tests.factories import Tenant, bearer, create_package


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def dependency_calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependency_calls(sub)


def is_async(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


def test_every_dependency_is_async(context: AppContext) -> None:
    """FastAPI runs a plain `def` dependency in a worker thread, on every request."""
    app = create_app(context=context)
    routes = list(api_routes(app.router.routes))
    assert len(routes) > 50
    sync = {
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for route in routes
        for call in dependency_calls(route.dependant)
        if not is_async(call)
    }
    assert not sync


@asynccontextmanager
async def writer_holding_the_tables(url: str) -> AsyncIterator[None]:
    """Another connection in the middle of writing: on SQLite it holds the database's write
    lock; on PostgreSQL an EXCLUSIVE lock on the tables a read touches, which lets plain
    reads through but blocks any write or row lock (`FOR UPDATE`, `FOR SHARE`)."""
    if url.startswith("sqlite"):
        writer = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            yield
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        return
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with connection.transaction():
            await connection.execute(
                "LOCK TABLE token_grants, users, enterprises, packages, documents, recipients"
                " IN EXCLUSIVE MODE"
            )
            yield
    finally:
        await connection.close()


async def test_a_read_answers_while_a_writer_holds_the_lock(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
) -> None:
    owner = await bearer(client, tenant, tenant.user_email)
    package_id = await create_package(client, owner)
    async with writer_holding_the_tables(context.settings.effective_database_url):
        started = time.monotonic()
        response = await asyncio.wait_for(
            client.get(f"/v3/packages/{package_id}/workflow", headers=owner), timeout=10
        )
        waited = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert waited < 2.0, f"the read waited {waited:.1f} s for the writer"


class Body(BaseModel):
    name: str


def test_a_route_with_a_body_cannot_run_without_a_transaction() -> None:
    """Its caller is authenticated and its body read before the transaction begins: the
    transaction is part of that order (`TransactionalRoute`)."""
    router = APIRouter(route_class=TransactionalRoute)

    async def change(body: Body) -> None:
        return None

    with pytest.raises(TypeError, match="/things"):
        router.post("/things")(without_transaction(change))


async def test_a_route_without_a_transaction_has_no_session(context: AppContext) -> None:
    app = create_app(context=context)
    router = APIRouter(route_class=TransactionalRoute)
    seen: dict[str, bool] = {}

    @router.get("/probe")
    @without_transaction
    async def probe(request: Request) -> None:
        seen["without"] = has_transaction(request)

    @router.get("/probe-in-transaction")
    async def probe_in_transaction(request: Request) -> None:
        seen["with"] = has_transaction(request)

    app.include_router(router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        for path in ("/probe", "/probe-in-transaction"):
            assert (await client.get(path)).status_code == 200
    assert seen == {"without": False, "with": True}
