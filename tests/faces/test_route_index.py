"""The route index names the entry FastAPI's walk would stop at, so the application
picks exactly the route it picked without the index, for every route and method."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match

from signflow.app import create_app
from signflow.faces.route_index import (
    IndexedMatches,
    RouteIndex,
    install_route_index,
    literal_prefix,
    path_key,
)

PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def served_paths(app: FastAPI) -> Iterator[str]:
    """A concrete path for every route of every included router, under each prefix."""
    for entry in app.router.routes:
        router = getattr(entry, "original_router", None)
        if not isinstance(router, APIRouter):
            continue
        prefix: str = entry.include_context.prefix  # type: ignore[attr-defined]
        for route in router.routes:
            path = getattr(route, "path", None)
            if isinstance(path, str):
                yield prefix + PARAMETER.sub(
                    lambda m: "a/b.pdf" if m.group(2) == "path" else "12", path
                )


def selected(app: FastAPI, scope: dict[str, Any], *, indexed: bool) -> tuple[Match, int]:
    """What FastAPI's walk picks (as `APIRouter.app` does): the match and the entry's
    position, through the index's wrappers or through each entry's own matching."""
    partial: tuple[Match, int] | None = None
    for position, entry in enumerate(app.router.routes):
        matches = entry.matches
        if not indexed and isinstance(matches, IndexedMatches):
            matches = matches._matches
        match = matches(scope)[0]
        if match == Match.FULL:
            return match, position
        if match == Match.PARTIAL and partial is None:
            partial = (match, position)
    return partial or (Match.NONE, -1)


def test_every_route_is_picked_as_without_the_index():
    app = create_app()
    paths = sorted(set(served_paths(app)))
    assert "/v3/packages/12/workflow" in paths and "/v4/packages/12/workflow" in paths
    extra = ["/v3/nothing/here", "/v4/packages/12/workflow/extra/deep", "/", "/app/signin"]
    compared = 0
    for path in [*paths, *extra, *(p + "/" for p in paths[:40])]:
        for method in METHODS:
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            assert selected(app, dict(scope), indexed=True) == selected(
                app, dict(scope), indexed=False
            ), (method, path)
            compared += 1
    assert compared > 1000


def test_the_index_asks_only_the_entry_serving_the_path():
    app = create_app()
    path = "/v4/packages/12/workflow"
    get = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    patch = {**get, "method": "PATCH"}
    expected_get = selected(app, dict(get), indexed=False)
    expected_patch = selected(app, dict(patch), indexed=False)
    asked: list[int] = []
    for position, entry in enumerate(app.router.routes):
        wrapped = entry.matches
        assert isinstance(wrapped, IndexedMatches)

        def spy(scope: Any, position: int = position, real: Any = wrapped._matches) -> Any:
            asked.append(position)
            return real(scope)

        wrapped._matches = spy
    assert len(app.router.routes) > 90
    # The route found serves GET: its router is a full match without walking its routes.
    match, position = selected(app, get, indexed=True)
    assert (match, position) == expected_get and match == Match.FULL
    assert asked == []
    # A method the route found does not serve: its router is asked, then every later one.
    assert selected(app, patch, indexed=True) == expected_patch
    assert asked == list(range(position, len(app.router.routes)))


def _two_routers_app() -> FastAPI:
    first, second = APIRouter(), APIRouter()

    @first.get("/items/{item_id}")
    async def first_item(item_id: int) -> dict[str, str]:
        return {"by": "first"}

    @second.get("/items/special")
    async def shadowed() -> dict[str, str]:
        return {"by": "shadowed"}

    @second.delete("/items/{item_id}")
    async def second_delete(item_id: int) -> dict[str, str]:
        return {"by": "second"}

    @second.get("/only/{name:path}")
    async def only(name: str) -> dict[str, str]:
        return {"by": name}

    app = FastAPI()
    app.include_router(first, prefix="/v1")
    app.include_router(second, prefix="/v1")
    install_route_index(app)
    return app


async def test_order_methods_and_redirects_come_out_as_without_the_index():
    app = _two_routers_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        # The first router's free segment takes the path, as the walk's order says.
        assert (await client.get("/v1/items/7")).json() == {"by": "first"}
        # Served for DELETE by the later router only: the index steps aside and finds it.
        assert (await client.delete("/v1/items/7")).json() == {"by": "second"}
        # Served by no router for PUT: 405, not 404.
        assert (await client.put("/v1/items/7")).status_code == 405
        assert (await client.get("/v1/only/a/b.pdf")).json() == {"by": "a/b.pdf"}
        assert (await client.get("/v1/nowhere")).status_code == 404
        # The trailing-slash redirect walks another path, which the index names afresh.
        redirect = await client.get("/v1/items/7/", follow_redirects=False)
        assert redirect.status_code == 307
        assert redirect.headers["location"] == "http://t/v1/items/7"


async def test_entries_added_later_and_opaque_entries_match_for_real():
    class Opaque(BaseRoute):
        def matches(self, scope: Any) -> tuple[Match, dict[str, Any]]:
            return (Match.FULL, {}) if scope["path"] == "/opaque" else (Match.NONE, {})

        async def handle(self, scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 299, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    app = FastAPI()
    app.router.routes.append(Opaque())

    @app.get("/known")
    async def known() -> int:
        return 1

    install_route_index(app)

    @app.get("/later")
    async def later() -> int:
        return 2

    assert not isinstance(app.router.routes[-1].matches, IndexedMatches)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/opaque")).status_code == 299
        assert (await client.get("/known")).json() == 1
        assert (await client.get("/later")).json() == 2


def test_literal_prefixes_only_keep_what_every_match_starts_with():
    assert literal_prefix("/v3/packages/(?:[0-9]+)/workflow") == "/v3/packages/"
    assert literal_prefix("/docs\\-assets/(?:.*)") == "/docs-assets/"
    assert literal_prefix("/healthz") == "/healthz"
    assert literal_prefix("/ab?c") == "/a"  # the b may be absent
    assert literal_prefix("/x\\.?y") == "/x"
    assert literal_prefix("/a\\d+") == "/a"
    assert literal_prefix("/a|/b") == ""
    for body in ("/ab?c", "/x\\.?y", "/a\\d+"):
        for path in ("/ac", "/abc", "/xy", "/x.y", "/a1"):
            if re.fullmatch(body, path):
                assert path.startswith(literal_prefix(body)), (body, path)


def test_path_keys_and_made_up_keys_stay_bounded():
    assert path_key("/v3/packages/7/workflow") == "/v3/packages"
    assert path_key("/v3/packages") == "/v3/packages"
    assert path_key("/healthz") == "/healthz"
    assert path_key("/") == "/"
    app = create_app()
    index = app.router.routes[0].matches._index  # type: ignore[attr-defined]
    for n in range(RouteIndex.MAX_KEYS + 50):
        scope = {"type": "http", "method": "GET", "path": f"/v3/made-up-{n}", "root_path": ""}
        assert index.served(scope) is None
        assert len(index._by_key) <= RouteIndex.MAX_KEYS
    scope = {"type": "http", "method": "GET", "path": "/v3/packages/1/workflow", "root_path": ""}
    assert index.served(scope) is not None
