"""Routers turn away paths they do not serve before FastAPI walks their routes, and the
application picks exactly the route it picked without the guards, for every route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match

from signflow.app import create_app
from signflow.faces.path_guard import PathGuard, guard_paths, paths_expression

PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def included_routers(app: FastAPI) -> Iterator[tuple[Any, APIRouter]]:
    for entry in app.router.routes:
        router = getattr(entry, "original_router", None)
        if isinstance(router, APIRouter):
            yield entry, router


def served_paths(app: FastAPI) -> Iterator[str]:
    """A concrete path for every route of every included router, under each prefix."""
    for entry, router in included_routers(app):
        prefix: str = entry.include_context.prefix
        for route in router.routes:
            path = getattr(route, "path", None)
            if isinstance(path, str):
                yield prefix + PARAMETER.sub(
                    lambda m: "a/b.pdf" if m.group(2) == "path" else "12", path
                )


def selected(app: FastAPI, scope: dict[str, Any], *, guarded: bool) -> tuple[Match, int]:
    """What the application's first pass picks: the match and the position of the entry."""
    partial: tuple[Match, int] | None = None
    for position, entry in enumerate(app.router.routes):
        router = getattr(entry, "original_router", None)
        guard = getattr(router, "matches", None)
        if not guarded and isinstance(guard, PathGuard):
            # The router's own matching, with this entry as FastAPI's current inclusion.
            fastapi_scope = scope.setdefault("fastapi", {})
            fastapi_scope["included_router"] = entry
            match = guard._matches(scope)[0]
            fastapi_scope.pop("included_router")
        else:
            match = entry.matches(scope)[0]
        if match == Match.FULL:
            return match, position
        if match == Match.PARTIAL and partial is None:
            partial = (match, position)
    return partial or (Match.NONE, -1)


def test_every_route_is_picked_as_without_the_guards():
    app = create_app()
    paths = sorted(set(served_paths(app)))
    assert "/v3/packages/12/workflow" in paths and "/v4/packages/12/workflow" in paths
    compared = 0
    for path in [*paths, "/v3/nothing/here", "/v4/packages/12/workflow/extra/deep"]:
        for method in METHODS:
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            assert selected(app, dict(scope), guarded=True) == selected(
                app, dict(scope), guarded=False
            ), (method, path)
            compared += 1
    assert compared > 1000


def test_the_api_routers_are_guarded_and_turn_away_other_paths():
    app = create_app()
    guards = [
        (entry, router.matches)
        for entry, router in included_routers(app)
        if isinstance(router.matches, PathGuard)
    ]
    assert len(guards) > 40
    scope = {"type": "http", "method": "GET", "path": "/v3/packages/12/workflow", "root_path": ""}
    passed = []
    for entry, guard in guards:
        expression = guard._current()
        assert expression is not None, entry.include_context.prefix
        if expression.search(scope["path"]):
            passed.append(entry)
    # Only the workflow router (under both prefixes: the guard ignores the prefix) is walked.
    assert {id(entry.original_router) for entry in passed} == {
        id(router) for router in _workflow_router()
    }


def _workflow_router() -> list[APIRouter]:
    from signflow.faces.signinghub import workflow

    return [workflow.router]


def test_the_expression_matches_the_end_of_a_served_path_only():
    router = APIRouter()

    @router.get("/packages/{package_id}/workflow")
    async def one(package_id: int) -> None: ...

    @router.get("/files/{name:path}")
    async def two(name: str) -> None: ...

    expression = paths_expression(list(router.routes))
    assert expression is not None
    assert expression.search("/v3/packages/7/workflow")
    assert expression.search("/packages/7/workflow")
    assert expression.search("/files/a/b/c.pdf")
    assert not expression.search("/v3/packages/7/workflow/users")
    assert not expression.search("/v3/packages/7")
    assert not expression.search("/v3/templates/7/workflow/x")


def test_a_router_with_a_route_without_a_path_expression_is_never_turned_away():
    class Opaque(BaseRoute):
        pass

    router = APIRouter()

    @router.get("/one")
    async def one() -> None: ...

    assert paths_expression([*router.routes, Opaque()]) is None
    assert paths_expression([]) is None


def test_guarding_twice_keeps_one_guard_and_routes_added_later_count():
    router = APIRouter()

    @router.get("/one")
    async def one() -> None: ...

    guard_paths(router)
    first = router.matches
    assert guard_paths(router).matches is first
    assert isinstance(first, PathGuard)
    scope = {"type": "http", "method": "GET", "path": "/two", "root_path": ""}
    assert first(scope) == (Match.NONE, {})

    @router.get("/two")
    async def two() -> None: ...

    expression = first._current()
    assert expression is not None and expression.search("/two")
