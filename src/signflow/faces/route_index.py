"""The application's route index: one regular expression names, for a request's path,
the first top-level entry (an included router, a mount, a route) that serves that path,
and FastAPI's own walk then asks that entry only.

FastAPI (0.165) finds a request's route by asking every top-level entry in order, and
asking an included router costs several scope updates and a walk of its routes: with
the hundred entries of this application (each API router under `/v3` and `/v4`), 120 to
300 us of CPU per request before any of the route's own work, more than an authenticated
read's database statement.

The index is the alternation, in the entries' order, of every path expression each
entry serves. A regular expression's alternation takes the first branch that matches,
so the branch that matches names the first entry whose paths include the request's
path: the entry the walk would stop at. Each entry's `matches` is wrapped: an entry the
index did not name answers "no match" at once, which is what its own matching answers,
since none of its paths matches. The named entry matches for real. When that is not a
full match (the path is served for another method), the index steps aside for the rest
of the walk, and the later entries match for real: a 405, a route served for that method
further down, and the trailing-slash redirect's second walk (another path) all come
out as they would without the index. An entry whose paths cannot be summed up (no path
expression) is named by any path that reaches it, and so matched for real.

The index is built on the first request, when every route has been added, and rebuilt
if the application's entries change.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, compile_path
from starlette.types import Scope

Matcher = Callable[[Scope], tuple[Match, Scope]]

_SCOPE_KEY = "signflow.route_index"
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_ANY_PATH = ".*"


def _body(pattern: object) -> str | None:
    """A path expression without its anchors and group names, or None when it is not a
    plain anchored expression."""
    if not isinstance(pattern, str) or not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    return _NAMED_GROUP.sub("(?:", pattern[1:-1])


@dataclass(frozen=True)
class Served:
    """What the index found: the entry, and for an included router the methods of the
    first of its routes whose path matches (None: not known, the entry matches for real)."""

    entry: BaseRoute
    methods: frozenset[str] | None = None


def _served_parts(entry: BaseRoute) -> Iterator[tuple[object, frozenset[str] | None]]:
    """The path expressions of what `entry` serves, with an included router's routes'
    methods; None for a part without one. An included router's routes are compiled here
    with their include prefix, as FastAPI compiles them: asking FastAPI for its effective
    routes would build every route's request handler, half a second for this
    application, on the first request."""
    own = getattr(entry, "path_regex", None)
    if own is not None:
        yield own.pattern, None
        return
    router = getattr(entry, "original_router", None)
    prefix = getattr(getattr(entry, "include_context", None), "prefix", None)
    if not isinstance(router, APIRouter) or not isinstance(prefix, str):
        yield None, None  # neither a route nor an included router: cannot be summed up
        return
    for route in router.routes:
        if isinstance(route, APIRoute):
            methods = frozenset(route.methods) if route.methods else None
            yield compile_path(prefix + route.path)[0].pattern, methods
        else:
            yield None, None


@dataclass(frozen=True)
class Branch:
    """One alternative of the index: a named group around a route's path expression."""

    group: str
    body: str
    literal_prefix: str  # every path the body matches starts with it
    served: Served


_METACHARACTERS = frozenset(".^$*+?{}[]|()")
_QUANTIFIERS = frozenset("*+?{")


def literal_prefix(body: str) -> str:
    """The characters every match of `body` starts with: its literal characters before
    the first special one ("" when the body has an alternation of its own)."""
    if "|" in body:
        return ""
    prefix: list[str] = []
    at = 0
    while at < len(body):
        char = body[at]
        if char == "\\" and at + 1 < len(body) and not body[at + 1].isalnum():
            prefix.append(body[at + 1])
            at += 2
            continue
        if char in _METACHARACTERS or char == "\\":  # so does a class such as \d
            if char in _QUANTIFIERS and prefix:
                prefix.pop()  # the quantified character may be absent
            break
        prefix.append(char)
        at += 1
    return "".join(prefix)


def _branches(position: int, entry: BaseRoute) -> list[Branch]:
    """The index's branches for `entry`, one per route (so that a match names the route);
    one branch matching every path for an entry that cannot be summed up."""
    parts = list(_served_parts(entry))
    bodies = [_body(pattern) for pattern, _ in parts]
    if any(body is None for body in bodies):
        return [Branch(f"e{position}", _ANY_PATH, "", Served(entry))]
    return [
        Branch(f"e{position}_{n}", body, literal_prefix(body), Served(entry, methods))
        for n, (body, (_, methods)) in enumerate(zip(bodies, parts, strict=True))
        if body is not None
    ]


def path_key(path: str) -> str:
    """The path up to its second segment's end: `/v3/packages/7/workflow` -> `/v3/packages`."""
    first = path.find("/", 1)
    if first == -1:
        return path
    second = path.find("/", first + 1)
    return path if second == -1 else path[:second]


def expression(branches: list[Branch]) -> re.Pattern[str]:
    return _compiled("^(?:" + "|".join(f"(?P<{b.group}>{b.body})" for b in branches) + ")$")


class RouteIndex:
    """Matching a path against all the application's routes in one alternation costs
    10 to 90 us (each branch is tried in turn); against the few whose literal start is
    compatible with the path's first two segments, a few us. Those few are found once
    per two-segment key, and their expression compiled once per set of branches."""

    MAX_KEYS = 1024

    def __init__(self, app: FastAPI) -> None:
        self._routes = app.router.routes
        self._built_for = -1
        self._branches: list[Branch] = []
        self._groups: dict[str, Served] = {}
        self._by_key: dict[str, re.Pattern[str]] = {}

    def install(self) -> None:
        """Wraps each top-level entry's `matches` (once). Entries added later are not
        wrapped, and so always match for real."""
        for entry in self._routes:
            if not isinstance(getattr(entry, "matches", None), IndexedMatches):
                wrapped: BaseRoute = entry
                wrapped.matches = IndexedMatches(self, entry, entry.matches)  # type: ignore[method-assign]

    def _for_key(self, key: str) -> re.Pattern[str]:
        # Entries are only ever added, all before the first request; rebuilt if not.
        if self._built_for != len(self._routes):
            self._branches = [
                branch
                for position, entry in enumerate(self._routes)
                for branch in _branches(position, entry)
            ]
            self._groups = {branch.group: branch.served for branch in self._branches}
            self._by_key = {}
            self._built_for = len(self._routes)
        found = self._by_key.get(key)
        if found is None:
            # A path of this key starts with `key`, then "/" or nothing: a branch can
            # match one only if its literal start and `key + "/"` agree as far as both go.
            probe = key + "/"
            compatible = [
                b
                for b in self._branches
                if probe.startswith(b.literal_prefix) or b.literal_prefix.startswith(probe)
            ]
            if len(self._by_key) >= self.MAX_KEYS:  # keys a client makes up: start over
                self._by_key = {}
            found = self._by_key[key] = expression(compatible)
        return found

    def served(self, scope: Scope) -> Served | None:
        """What the index found for the scope's path (None: no entry serves it), or
        `_STEPPED_ASIDE` once the index has stepped aside for this walk. Kept in the
        scope for the walk, keyed by its path: the redirect's walk is of another path."""
        state = scope.get(_SCOPE_KEY)
        if state is not None and state[0] == scope["path"]:
            served: Served | None = state[1]
            return served
        path = get_route_path(scope)
        found = self._for_key(path_key(path)).match(path)
        served = self._groups[found.lastgroup] if found and found.lastgroup else None
        scope[_SCOPE_KEY] = (scope["path"], served)
        return served

    def step_aside(self, scope: Scope) -> None:
        scope[_SCOPE_KEY] = (scope["path"], _STEPPED_ASIDE)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    """The same few expressions serve every key of a kind (and every application this
    process builds: the tests build hundreds)."""
    return re.compile(pattern)


# Stands for "every entry matches for real" in a scope's index state.
_STEPPED_ASIDE = Served(BaseRoute())


class IndexedMatches:
    """An entry's `matches`, answered at once for an entry the index did not find, and
    for an included router whose route found serves the request's method: a full match
    (an included router's match carries no scope of its own), without walking its
    routes here; FastAPI walks them once more to handle the request anyway."""

    __slots__ = ("_entry", "_index", "_matches")

    def __init__(self, index: RouteIndex, entry: BaseRoute, matches: Matcher) -> None:
        self._index = index
        self._entry = entry
        self._matches = matches

    def __call__(self, scope: Scope) -> tuple[Match, Scope]:
        # Called for each of the hundred entries in turn: the walk's state is read here
        # (`RouteIndex.served` finds it the first time).
        state = scope.get(_SCOPE_KEY)
        if state is not None and state[0] == scope["path"]:
            served: Served | None = state[1]
        elif scope["type"] != "http":
            return self._matches(scope)
        else:
            served = self._index.served(scope)
        if served is _STEPPED_ASIDE:
            return self._matches(scope)
        if served is None or served.entry is not self._entry:
            return Match.NONE, {}
        if served.methods is not None and scope["method"] in served.methods:
            return Match.FULL, {}
        match, child_scope = self._matches(scope)
        if match != Match.FULL:
            self._index.step_aside(scope)
        return match, child_scope


def install_route_index(app: FastAPI) -> None:
    RouteIndex(app).install()
