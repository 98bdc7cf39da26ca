"""API overhead: an authenticated `GET /v3/packages/{pid}/workflow` on Signflow against a
bare FastAPI endpoint returning a constant JSON; same uvicorn settings, same load
generator, SQLite and PostgreSQL. Goal: Signflow at least 30% of the bare endpoint's rate
on PostgreSQL and 25% on SQLite."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from bench import servers
from bench.load import LoadResult, load, run_async

GOALS = {"postgresql": 0.30, "sqlite": 0.25}
CONNECTIONS = 32


async def _prepare(base: str) -> tuple[str, dict[str, str]]:
    """A package with a 2-signer workflow; returns its workflow URL and the owner's header."""
    async with servers.api_client(base) as client:
        admin = servers.bearer(await servers.token(client, servers.ADMIN_EMAIL))
        for n in (1, 2):
            await servers.add_user(client, admin, f"s{n}@bench.test", f"Signer {n}")
        response = await client.post("/v3/packages", json={"package_name": "Bench"}, headers=admin)
        response.raise_for_status()
        pid = response.json()["package_id"]
        response = await client.post(
            f"/v3/packages/{pid}/workflow/users",
            json=[
                {"user_email": f"s{n}@bench.test", "user_name": f"Signer {n}", "role": "SIGNER"}
                for n in (1, 2)
            ],
            headers=admin,
        )
        response.raise_for_status()
        url = f"{base}/v3/packages/{pid}/workflow"
        check = await client.get(url, headers=admin)
        check.raise_for_status()
        return url, admin


def _measured(
    url: str,
    headers: dict[str, str] | None,
    server_pids: Callable[[], list[int]],
    seconds: float,
    warmup: float,
    connections: int = CONNECTIONS,
) -> tuple[LoadResult, float]:
    """The load's result and the server's CPU (user + system, every process of its tree)
    per measured request: on a shared box, the steadier figure of the two."""
    load(url, headers, connections=connections, seconds=warmup, warmup=0)
    pids = server_pids()
    before = servers.cpu_seconds(pids)
    result = load(url, headers, connections=connections, seconds=seconds, warmup=0)
    cpu = servers.cpu_seconds(pids) - before
    return result, round(cpu * 1000 / max(result.requests, 1), 3)


def run(quick: bool = False) -> dict[str, Any]:
    seconds, warmup, connections = (2.0, 0.5, CONNECTIONS) if quick else (8.0, 2.0, CONNECTIONS)
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    pg = servers.pg_available()
    bare_runs: list[LoadResult] = []

    bare_cpu: list[float] = []

    def measure_bare() -> None:
        with servers.bare_server() as (base, proc):
            result, cpu_ms = _measured(f"{base}/hello", None, proc.tree, seconds, warmup)
            bare_runs.append(result)
            bare_cpu.append(cpu_ms)

    rows: list[dict[str, Any]] = []
    measure_bare()
    for name, _ in [*backends, *([("postgresql", "pg")] if pg else [])]:
        with servers.instance(name, separate_worker=name == "postgresql") as app:
            url, headers = run_async(_prepare(app.url))
            result, cpu_ms = _measured(url, headers, app.api.tree, seconds, warmup)
            rows.append({"backend": name, **result.as_dict(), "server_cpu_ms_per_request": cpu_ms})
        measure_bare()
    bare_rps = sum(r.rps for r in bare_runs) / len(bare_runs)
    bare = {
        "rps": round(bare_rps, 1),
        "p50_ms": round(sum(r.p50_ms for r in bare_runs) / len(bare_runs), 2),
        "p99_ms": round(sum(r.p99_ms for r in bare_runs) / len(bare_runs), 2),
        "runs": [r.as_dict() for r in bare_runs],
        "server_cpu_ms_per_request": round(sum(bare_cpu) / len(bare_cpu), 3),
    }
    for row in rows:
        row["ratio_to_bare"] = round(row["rps"] / bare_rps, 3)
        row["goal_ratio"] = GOALS[row["backend"]]
        row["meets_goal"] = row["ratio_to_bare"] >= row["goal_ratio"]
    for row in rows:
        print(
            f"api {row['backend']:10} {row['rps']:8.0f} req/s  p50 {row['p50_ms']:6.2f} ms"
            f"  p99 {row['p99_ms']:6.2f} ms  = {row['ratio_to_bare']:.1%} of bare"
            f" ({bare['rps']:.0f} req/s, p50 {bare['p50_ms']:.2f} ms);"
            f" server CPU {row['server_cpu_ms_per_request']:.2f} ms/request"
            f" (bare {bare['server_cpu_ms_per_request']:.2f})"
        )
    return {
        "benchmark": "api_overhead",
        "connections": connections,
        "seconds": seconds,
        "goal_ratios": GOALS,
        "bare": bare,
        "signflow": rows,
        "postgresql": pg,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
