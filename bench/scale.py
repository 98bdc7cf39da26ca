"""Scale: `GET /v3/packages/ALL/1/20` (first page) and a deep page of one owner's list,
with 10,000 and with 1,000,000 packages in PostgreSQL, seeded in bulk with SQL (each
package with one recipient, copied from one made through the API). Goal: the 1,000,000
case within 1.5x of the 10,000 case."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import asyncpg

from bench import servers
from bench.load import load, run_async

GOAL = 1.5
OWNER = "owner@bench.test"
PER_PAGE = 20
DEEP_PAGE = 500  # rows 9,981-10,000: the last page of the small case
CHUNK = 100_000

SEED_PACKAGES = """
INSERT INTO packages (enterprise_id, owner_id, name, workflow_mode, workflow_type,
    continue_on_decline, status, tags, archived, created_at, modified_at, shared_at,
    completed_at)
SELECT $1, $2, 'Seeded contract ' || g, 'ME_AND_OTHERS', 'SERIAL', false,
    (ARRAY['DRAFT', 'SHARED', 'COMPLETED', 'DECLINED'])[1 + g % 4], '[]'::json, false,
    now() - make_interval(secs => g), now(), now(),
    CASE WHEN g % 4 = 2 THEN now() END
FROM generate_series($3::bigint, $4::bigint) AS g
"""

SEED_RECIPIENTS = """
INSERT INTO recipients (public_id, package_id, position, signing_order, email, name, role,
    email_notification, process_status, permissions, authentication, access_duration,
    reminders, created_at, turn_started_at)
SELECT 'seed-' || p.id, p.id, 1, 1, t.email, t.name, t.role, t.email_notification,
    CASE p.status WHEN 'DRAFT' THEN 'UN_PROCESSED' WHEN 'SHARED' THEN 'IN_PROGRESS'
        WHEN 'COMPLETED' THEN 'SIGNED' ELSE 'DECLINED' END,
    t.permissions, t.authentication, t.access_duration, t.reminders, now(),
    CASE WHEN p.status <> 'DRAFT' THEN now() END
FROM packages p CROSS JOIN (SELECT * FROM recipients WHERE id = $1) t
WHERE p.owner_id = $2 AND p.id > $3
"""


async def _setup(base: str) -> tuple[dict[str, str], int]:
    """The owner (a user of its own) with one package and recipient made through the API."""
    async with servers.api_client(base) as client:
        admin = servers.bearer(await servers.token(client, servers.ADMIN_EMAIL))
        owner = servers.bearer(await servers.add_user(client, admin, OWNER, "List Owner"))
        await servers.add_user(client, admin, "r@bench.test", "Recipient")
        response = await client.post("/v3/packages", json={"package_name": "Real"}, headers=owner)
        response.raise_for_status()
        pid = int(response.json()["package_id"])
        response = await client.post(
            f"/v3/packages/{pid}/workflow/users",
            json=[{"user_email": "r@bench.test", "user_name": "Recipient", "role": "SIGNER"}],
            headers=owner,
        )
        response.raise_for_status()
        return owner, pid


async def _seed(dsn: str, template_pid: int, have: int, want: int) -> float:
    """Add packages until the owner has `want`; returns the seconds it took."""
    start = time.perf_counter()
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        owner_id, enterprise_id = await connection.fetchrow(
            "SELECT id, enterprise_id FROM users WHERE email = $1", OWNER
        )
        template = await connection.fetchval(
            "SELECT id FROM recipients WHERE package_id = $1", template_pid
        )
        for first in range(have + 1, want + 1, CHUNK):
            last = min(want, first + CHUNK - 1)
            async with connection.transaction():
                before = await connection.fetchval("SELECT coalesce(max(id), 0) FROM packages")
                await connection.execute(SEED_PACKAGES, enterprise_id, owner_id, first, last)
                await connection.execute(SEED_RECIPIENTS, template, owner_id, before)
        # What autovacuum does after a bulk load: statistics, and the visibility map that
        # lets the list's count and paging read the index alone (index-only scans).
        await connection.execute("VACUUM ANALYZE packages")
        await connection.execute("VACUUM ANALYZE recipients")
    finally:
        await connection.close()
    return time.perf_counter() - start


def _measure(base: str, owner: dict[str, str], seconds: float) -> dict[str, Any]:
    out = {}
    for label, page in (("first", 1), ("deep", DEEP_PAGE)):
        url = f"{base}/v3/packages/ALL/{page}/{PER_PAGE}"
        out[label] = load(url, owner, connections=4, seconds=seconds, warmup=0.5).as_dict()
    return out


def run(quick: bool = False) -> dict[str, Any]:
    small, large = 10_000, (100_000 if quick else 1_000_000)
    seconds = 1.5 if quick else 4.0
    if not servers.pg_available():
        return {"benchmark": "scale", "skipped": "PostgreSQL unreachable"}
    with servers.instance("postgresql", separate_worker=True) as app:
        dsn = app.database_url.replace("postgresql+asyncpg://", "postgresql://")
        owner, template = run_async(_setup(app.url))
        seeded_small = run_async(_seed(dsn, template, 1, small))
        at_small = _measure(app.url, owner, seconds)
        seeded_large = run_async(_seed(dsn, template, small, large))
        at_large = _measure(app.url, owner, seconds)
    rows = []
    for label in ("first", "deep"):
        a, b = at_small[label], at_large[label]
        ratio = b["p50_ms"] / a["p50_ms"]
        rows.append(
            {
                "page": label,
                "page_no": 1 if label == "first" else DEEP_PAGE,
                "small": a,
                "large": b,
                "p50_ratio": round(ratio, 2),
                "rps_ratio": round(a["rps"] / b["rps"], 2) if b["rps"] else None,
                "meets_goal": ratio <= GOAL,
            }
        )
        print(
            f"scale {label:5} page: {small:,} -> p50 {a['p50_ms']:.1f} ms, {large:,} -> p50"
            f" {b['p50_ms']:.1f} ms = {ratio:.2f}x (goal {GOAL}x)"
        )
    return {
        "benchmark": "scale",
        "packages_small": small,
        "packages_large": large,
        "per_page": PER_PAGE,
        "seed_seconds": {"small": round(seeded_small, 1), "large": round(seeded_large, 1)},
        "goal_ratio": GOAL,
        "results": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
