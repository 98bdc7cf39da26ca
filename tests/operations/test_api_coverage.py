"""docs/api.md's SigningHub coverage table says which operations Signflow serves: each
row marked served has a route in the app, and each row marked not served has none."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import iter_route_contexts

from signflow.app import create_app
from signflow.context import AppContext
from signflow.models import FieldKind

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| (\d+) \| [^|]+ \| [^|]+ \| `(\w+) (\S+)` \| [^|]+ \| (served|not served)")
# The list route's three free segments would match any three-segment path.
LISTING = "/packages/{status}/{page_no}/{records_per_page}"


def route_patterns(context: AppContext) -> list[tuple[str, re.Pattern[str]]]:
    kinds = "|".join(kind.value for kind in FieldKind)
    patterns = []
    for route in iter_route_contexts(create_app(context=context).routes):
        path = re.sub(r"^/v[34](?=/)", "", route.path)
        if path == LISTING:
            continue
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", path.replace("{kind}", f"(?:{kinds})"))
        patterns.extend((method, re.compile(f"^{pattern}$")) for method in route.methods or ())
    return patterns


def test_the_coverage_table_matches_the_routes(context: AppContext) -> None:
    patterns = route_patterns(context)
    rows = [ROW.match(line) for line in API_DOC.read_text().splitlines()]
    found = [row for row in rows if row]
    assert len(found) == 174
    wrong = []
    for row in found:
        number, method, path, status = row.groups()
        concrete = re.sub(r"\{[^}]+\}", "7", re.sub(r"^/v[34](?=/)", "", path))
        has_route = path == "/packages/{status}/{page}/{rpp}" or any(
            m == method and pattern.match(concrete) for m, pattern in patterns
        )
        if has_route != (status == "served"):
            wrong.append(f"#{number} {method} {path}: table says {status}")
    assert not wrong, "\n".join(wrong)
    served = sum(1 for row in found if row.group(4) == "served")
    assert f"{served} of the 174 are served" in API_DOC.read_text()
