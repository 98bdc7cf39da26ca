"""A router that turns away, with one regular expression, a path none of its routes matches.

FastAPI (0.165) finds a request's route by walking every included router's routes in
order, each through several scope updates and its own regular expression, and walks the
chosen router once more to handle it: about 0.3 ms for `GET /v3/packages/{id}/workflow`
and 0.6 ms under `/v4`, a tenth of an authenticated read. Most routers hold none of the
path's routes. The guard of a router is one expression, the alternation of its routes'
own, searched at the end of the path: the include prefix (`/v3`, `/v4`) comes before it,
so a route that would match the whole path always matches its end, and the guard never
turns away a path the router serves. It ignores the method, so a path served for another
method still reaches FastAPI, which answers 405.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")

Matcher = Callable[[Scope], tuple[Match, Scope]]


def _route_body(route: BaseRoute) -> str | None:
    """The route's path expression without its anchors and group names, or None when the
    route has no plain path expression (a mount, an included router)."""
    pattern = getattr(getattr(route, "path_regex", None), "pattern", None)
    if not isinstance(pattern, str) or not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    return _NAMED_GROUP.sub("(?:", pattern[1:-1])


def paths_expression(routes: list[BaseRoute]) -> re.Pattern[str] | None:
    """One expression matching the end of every path one of `routes` can match; None when
    a route cannot be summed up so (then nothing may be turned away)."""
    bodies = [_route_body(route) for route in routes]
    if not bodies or any(body is None for body in bodies):
        return None
    return re.compile("(?:" + "|".join(f"(?:{body})" for body in bodies if body) + ")$")


class PathGuard:
    """`router.matches`, preceded by one search of the router's paths expression."""

    def __init__(self, router: APIRouter, matches: Matcher) -> None:
        self._router = router
        self._matches = matches
        self._built_for = -1
        self._expression: re.Pattern[str] | None = None

    def _current(self) -> re.Pattern[str] | None:
        # Routes are only ever added, and all before the first request; rebuilt if not.
        if self._built_for != len(self._router.routes):
            self._expression = paths_expression(list(self._router.routes))
            self._built_for = len(self._router.routes)
        return self._expression

    def __call__(self, scope: Scope) -> tuple[Match, Scope]:
        expression = self._current()
        if (
            expression is not None
            and scope["type"] in ("http", "websocket")
            and expression.search(get_route_path(scope)) is None
        ):
            return Match.NONE, {}
        return self._matches(scope)


def guard_paths(router: APIRouter) -> APIRouter:
    """Installs a `PathGuard` on `router` (once) and returns it, for `include_router`."""
    if not isinstance(router.matches, PathGuard):
        guarded: Any = router
        guarded.matches = PathGuard(router, router.matches)
    return router
