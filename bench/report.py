"""The results table: one Markdown table (printed and written to results/latest.md) and
the raw JSON (results/latest.json)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


# The goals for the whole workflow: CPU per package at most 15x its two
# signatures, and 25 packages/s with one API process and one worker on PostgreSQL.
CPU_OVER_SIGNING_GOAL = 15
PACKAGES_PER_S_GOAL = 25
SCALE_OUT_GOAL = 1.5


def _workflow_goal(row: dict[str, Any]) -> str:
    cpu = f"{_goal(row['cpu_over_signing'] <= CPU_OVER_SIGNING_GOAL)} (<= {CPU_OVER_SIGNING_GOAL}x)"
    if row["config"].startswith("postgresql") and row.get("api_processes") == 1:
        rate = row["packages_per_s"] >= PACKAGES_PER_S_GOAL
        return f"{cpu}; {_goal(rate)} (>= {PACKAGES_PER_S_GOAL}/s)"
    return cpu


def _goal(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "**missed**")


def _server_cpu(figures: dict[str, Any]) -> str:
    """The server's CPU per request, when the run measured it (runs before it did not)."""
    cpu = figures.get("server_cpu_ms_per_request")
    return "" if cpu is None else f", server CPU {cpu:.2f} ms/request"


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, figure, ratio to the same-run baseline, goal)."""
    out: list[tuple[str, str, str, str]] = []
    sign = results.get("sign", {})
    for r in sign.get("results", []):
        target = r.get("target_fast_over_floor")
        out.append(
            (
                f"signing {r['key']} {r['size']}",
                f"{r['fast_ms']:.2f} ms (floor {r['floor_ms']:.3f} ms)",
                f"{r['fast_over_floor']:.2f}x floor; stock {r['stock_over_fast']:.1f}x slower",
                _goal(r["meets_target"]) + (f" (<= {target:g}x)" if target else ""),
            )
        )
    verify = results.get("verify", {})
    if "verify_ms" in verify:
        out.append(
            (
                f"verify 2 x B-LT {verify['bytes'] / 1e6:.1f} MB",
                f"{verify['verify_ms']:.0f} ms (cached {verify['cached_ms']:.2f} ms)",
                f"{verify['verify_over_stock']:.2f}x stock pyHanko ({verify['stock_ms']:.0f} ms)",
                f"{_goal(verify['meets_target'])} (< {verify['target_ms']:.0f} ms)",
            )
        )
        health = verify["healthz"]
        out.append(
            (
                "/healthz during 4 verifications",
                f"p50 {health['busy_p50_ms']:.1f} ms, max {health['busy_max_ms']:.0f} ms",
                f"{health['busy_over_idle_p50']:.1f}x idle p50 ({health['idle_p50_ms']:.1f} ms)",
                f"{_goal(health['meets_goal'])} (max < {health['goal_max_ms']:.0f} ms)",
            )
        )
    for r in results.get("token_sign", {}).get("results", []):
        out.append(
            (
                f"signing, key in PKCS#11 token (SoftHSM2), {r['key']} {r['size']}",
                f"{r['pkcs11_ms']:.2f} ms (in-process key {r['in_process_ms']:.2f} ms;"
                f" C_Sign {r['pkcs11_sign_call_ms']:.2f} ms)",
                f"{r['pkcs11_over_in_process']:.2f}x the in-process key",
                "-",
            )
        )
    api = results.get("api_overhead", {})
    if "bare" in api:
        bare = api["bare"]
        for r in api["signflow"]:
            out.append(
                (
                    f"API GET workflow, {r['backend']}",
                    f"{r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
                    + _server_cpu(r),
                    f"{r['ratio_to_bare']:.1%} of bare FastAPI ({bare['rps']:.0f} req/s,"
                    f" p50 {bare['p50_ms']:.1f} ms{_server_cpu(bare)})",
                    f"{_goal(r['meets_goal'])} (>= {r.get('goal_ratio', 0.4):.0%})",
                )
            )
    wf = results.get("workflow", {})
    for r in wf.get("results", []):
        out.append(
            (
                f"whole workflow, {r['config']}",
                f"{r['packages_per_s']:.2f} packages/s, {r['cpu_ms_per_package']:.0f} ms CPU/pkg",
                f"{r['cpu_over_signing']:.0f}x the two signatures"
                f" ({wf['signing_ms_two_signatures']:.1f} ms)",
                _workflow_goal(r),
            )
        )
    if wf.get("scale_out_2_over_1") is not None:
        out.append(
            (
                "scale-out, 2 vs 1 API process",
                f"load generator on the same {os.cpu_count()} cores",
                f"{wf['scale_out_2_over_1']:.2f}x",
                f"{_goal(wf['scale_out_2_over_1'] >= SCALE_OUT_GOAL)} (>= {SCALE_OUT_GOAL}x"
                " with cores of its own)",
            )
        )
    scale = results.get("scale", {})
    for r in scale.get("results", []):
        out.append(
            (
                f"list packages, {r['page']} page (page {r['page_no']})",
                f"p50 {r['small']['p50_ms']:.1f} ms at {scale['packages_small']:,};"
                f" {r['large']['p50_ms']:.1f} ms at {scale['packages_large']:,}",
                f"{r['p50_ratio']:.2f}x",
                f"{_goal(r['meets_goal'])} (<= {scale['goal_ratio']}x)",
            )
        )
    memory = results.get("memory", {})
    for r in memory.get("results", []):
        out.append(
            (
                f"memory, 8 x 10 MB uploads, {r['backend']}",
                f"peak {r['peak_mb']:.0f} MB"
                + (
                    f" (process tree; API process {r['api_process_peak_mb']:.0f} MB)"
                    if "api_process_peak_mb" in r
                    else ""
                )
                + f", {r['uploads_ok']}/{r['uploads']} uploads ok",
                f"{r['peak_over_idle']:.2f}x idle ({r['idle_mb']:.0f} MB)",
                f"{_goal(r['meets_goal'])} (< {memory['goal_mb']} MB)",
            )
        )
    notify = results.get("notify", {})
    for r in notify.get("results", []):
        p, b = r["paced"], r["burst"]
        out.append(
            (
                f"notification latency, {r['config']}",
                f"p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms at {p['offered_per_s']}/s offered"
                + (f" ({p['answered_per_s']}/s answered)" if "answered_per_s" in p else "")
                + ";"
                f" {b['deliveries_per_s']} deliveries/s",
                f"p99 {r['p99_over_direct']}x a direct POST"
                f" ({r['baseline_direct_post']['p99_ms']} ms)",
                f"{_goal(r['meets_goal'])} (p99 < {notify['goal_p99_ms']:.0f} ms)",
            )
        )
    bulk = results.get("bulk", {})
    if "seconds" in bulk:
        out.append(
            (
                f"bulk send, {bulk['rows']:,} packages from one template, postgresql",
                f"{bulk['seconds']:.1f} s ({bulk['packages_per_s']} packages/s);"
                f" GET p99 meanwhile {bulk['get_p99_ms_meanwhile']} ms",
                f"GET p99 {bulk['get_p99_over_idle']}x idle ({bulk['get_p99_ms_idle']} ms)",
                f"{_goal(bulk['goal_met'])} (< {bulk['goal_seconds']:.0f} s)",
            )
        )
    for name, result in results.items():
        if isinstance(result, dict) and "error" in result:
            out.append((name, "failed", result["error"][:120], "-"))
    return out


def placement_line(placement: dict[str, Any]) -> str:
    server, load = placement.get("server_cpus"), placement.get("load_cpus")
    if not server and not load:
        return "Processes ran where the scheduler put them: the load generator shared the cores."
    return (
        f"Signflow's processes ran on CPUs {server or 'any'}, the load generator on CPUs"
        f" {load or 'any'} (PostgreSQL, where it ran, was not placed)."
    )


def markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Signflow benchmark results",
        "",
        f"{meta['mode']} run, {meta['started']}, {meta['seconds']:.0f} s, commit"
        f" {meta['commit']}, {meta['cpus']} CPUs, Python {platform.python_version()}.",
        "Every ratio is against a baseline measured in the same run; absolute numbers beside.",
        placement_line(meta.get("cpu_placement") or {}),
        "",
        "| measure | figure | ratio to baseline | goal |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], meta: dict[str, Any]) -> str:
    RESULTS.mkdir(exist_ok=True)
    text = markdown(results, meta)
    (RESULTS / "latest.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n"
    )
    (RESULTS / "latest.md").write_text(text)
    return text
