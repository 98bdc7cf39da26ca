"""Request metrics as a plain ASGI middleware: a timer, two dictionary look-ups and two
increments per request (no BaseHTTPMiddleware, no per-request objects)."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signflow.observability.metrics import HTTP_DURATION, HTTP_REQUESTS

# Paths that match no route are counted together: a scanner must not create a series
# per URL it tries.
UNMATCHED = "<unmatched>"


def route_template(scope: Scope, path: str) -> str:
    """The matched route's path template, with the prefix it was included under.

    FastAPI hands over the router's own route (`/packages/{package_id}`) for a request to
    `/v3/packages/7`: the prefix is the part of the path before what the route matches.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if not isinstance(template, str) or pattern is None:
        return UNMATCHED
    cut = 0
    while cut != -1:
        if pattern.match(path[cut:]):
            return path[:cut] + template
        cut = path.find("/", cut + 1)
    return template


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The labelled children, looked up once per (method, route[, status]).
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        # The path the routes see: without the server's root path (behind a proxy).
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = time.perf_counter() - started
            method: str = scope["method"]
            route = route_template(scope, path)
            counter = self._counters.get((method, route, status))
            if counter is None:
                counter = HTTP_REQUESTS.labels(method=method, route=route, status=str(status))
                self._counters[(method, route, status)] = counter
            counter.inc()
            histogram = self._histograms.get((method, route))
            if histogram is None:
                histogram = HTTP_DURATION.labels(method=method, route=route)
                self._histograms[(method, route)] = histogram
            histogram.observe(elapsed)
