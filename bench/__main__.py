"""`python -m bench [--quick]`: every benchmark, one table, results/latest.{json,md}.

Signflow instances are shared between benchmarks (one per configuration), so each is
started once; every process started is stopped at the end, also on failure."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import time
import traceback
from collections.abc import Callable
from typing import Any

from bench import (
    api_overhead,
    bulk,
    memory,
    notify,
    report,
    scale,
    servers,
    sign,
    token_sign,
    verify,
    workflow,
)

# Order matters: the scale benchmark seeds a million rows, so it runs last.
BENCHMARKS: list[tuple[str, Callable[[bool], dict[str, Any]]]] = [
    ("sign", sign.run),
    ("verify", verify.run),
    ("token_sign", token_sign.run),
    ("api_overhead", api_overhead.run),
    ("memory", memory.run),
    ("workflow", workflow.run),
    ("notify", notify.run),
    ("bulk", bulk.run),
    ("scale", scale.run),
]


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the reduced run (under 2 minutes)")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args()
    started, began = dt.datetime.now(dt.UTC), time.monotonic()
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    previous = report.RESULTS / "latest.json"
    if args.only and previous.exists():  # a partial run updates the last full table
        earlier = json.loads(previous.read_text())
        results, timings = earlier["results"], earlier["meta"].get("seconds_per_benchmark", {})
    servers.SHARED = servers.Instances()
    try:
        for name, run in BENCHMARKS:
            if args.only and name not in args.only:
                continue
            print(f"== {name}", flush=True)
            t0 = time.monotonic()
            try:
                results[name] = run(args.quick)
            except Exception as exc:  # one failing benchmark must not lose the others
                traceback.print_exc()
                results[name] = {"benchmark": name, "error": f"{type(exc).__name__}: {exc}"}
            timings[name] = round(time.monotonic() - t0, 1)
            print(f"   ({timings[name]:.0f} s)", flush=True)
    finally:
        servers.SHARED.close()
        servers.SHARED = None
    meta = {
        "mode": "quick" if args.quick else "full",
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(sum(timings.values()) if args.only else time.monotonic() - began, 1),
        "seconds_per_benchmark": timings,
        "commit": _commit(),
        "cpus": os.cpu_count(),
        "cpu_placement": servers.cpu_placement(),
        "load_average_at_end": os.getloadavg(),
    }
    print()
    print(report.write(results, meta))


if __name__ == "__main__":
    main()
