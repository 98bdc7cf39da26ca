"""Memory: peak resident memory of the server (its whole process tree, the PDF intake
sandbox's workers included) while 8 clients upload 10 MB PDFs at once, against its
resident memory just before. Goal: under 300 MB."""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from bench import servers
from bench.load import run_async

GOAL_MB = 300
CLIENTS = 8
PDF_BYTES = 10_000_000
MB = 1024 * 1024


class Sampler(threading.Thread):
    """Samples the summed RSS of a process tree every 10 ms until stopped. The tree is
    re-read every 100 ms, so processes started meanwhile (the PDF intake sandbox's
    workers, spawned on the first upload) are counted too."""

    def __init__(self, tree: Callable[[], list[int]]) -> None:
        super().__init__(daemon=True)
        self.tree, self.peak, self.samples = tree, 0, 0
        self.peak_processes = 0
        self.api_peak = 0  # the API process alone (the tree's root)
        self.stopped = threading.Event()

    def run(self) -> None:
        pids = self.tree()
        while not self.stopped.is_set():
            if self.samples % 10 == 0:
                pids = _executed(self.tree())
            rss, _ = servers.rss_bytes(pids)
            self.api_peak = max(self.api_peak, servers.rss_bytes(pids[:1])[0])
            if rss > self.peak:
                self.peak, self.peak_processes = rss, len(pids)
            self.samples += 1
            self.stopped.wait(0.01)


def _cmdline(pid: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return None


def _executed(pids: list[int]) -> list[int]:
    """The tree (root first) less any child caught between fork and exec: until it execs
    it shares its parent's pages (vfork: its very memory), and /proc reports the parent's
    resident size for it, so counting it would count the server twice. Such a child
    still runs its parent's command line."""
    root = _cmdline(pids[0]) if pids else None
    return pids[:1] + [pid for pid in pids[1:] if _cmdline(pid) != root]


async def _uploads(app: servers.Signflow, pdf: bytes, rounds: int) -> dict[str, Any]:
    async with servers.api_client(app.url) as client:
        admin = servers.bearer(await servers.token(client, servers.ADMIN_EMAIL))
        pids = []
        for n in range(CLIENTS):
            response = await client.post(
                "/v3/packages", json={"package_name": f"Big {n}"}, headers=admin
            )
            response.raise_for_status()
            pids.append(response.json()["package_id"])
        await asyncio.sleep(1.0)
        idle, _ = servers.rss_bytes(app.api.tree())
        idle_processes = len(app.api.tree())
        sampler = Sampler(app.api.tree)
        sampler.start()
        statuses: list[int] = []
        errors: list[str] = []
        start = time.perf_counter()
        try:
            for _ in range(rounds):
                responses = await asyncio.gather(
                    *(
                        client.post(
                            f"/v3/packages/{pid}/documents",
                            content=pdf,
                            headers=admin | {"x-file-name": "big.pdf"},
                        )
                        for pid in pids
                    ),
                    return_exceptions=True,
                )
                statuses += [getattr(r, "status_code", 0) for r in responses]
                errors += [
                    repr(r) if isinstance(r, BaseException) else f"{r.status_code} {r.text[:120]}"
                    for r in responses
                    if getattr(r, "status_code", 0) != 201
                ]
        finally:
            elapsed = time.perf_counter() - start
            sampler.stopped.set()
            sampler.join(5)
    return {
        "idle_mb": round(idle / MB, 1),
        "peak_mb": round(sampler.peak / MB, 1),
        "api_process_peak_mb": round(sampler.api_peak / MB, 1),
        "uploads": len(statuses),
        "uploads_ok": sum(1 for s in statuses if s == 201),
        "seconds": round(elapsed, 2),
        "samples": sampler.samples,
        "processes_idle": idle_processes,
        "processes_at_peak": sampler.peak_processes,
        "errors": sorted(set(errors))[:5],
        "server_alive": app.api.popen.poll() is None,
    }


def run(quick: bool = False) -> dict[str, Any]:
    from tests.signing.pdfs import sized_pdf

    pdf = sized_pdf(PDF_BYTES)
    rounds = 1 if quick else 2
    rows = []
    backends = ["sqlite", "postgresql"] if servers.pg_available() else ["sqlite"]
    for backend in backends:
        with servers.instance(backend, separate_worker=backend == "postgresql") as app:
            rows.append(
                {"backend": backend, **_summary(run_async(_uploads(app, pdf, rounds)), pdf)}
            )
    return {
        "benchmark": "memory",
        "clients": CLIENTS,
        "rounds": rounds,
        "goal_mb": GOAL_MB,
        "results": rows,
    }


def _summary(result: dict[str, Any], pdf: bytes) -> dict[str, Any]:
    result["pdf_mb"] = round(len(pdf) / MB, 1)
    result["peak_over_idle"] = round(result["peak_mb"] / result["idle_mb"], 2)
    growth = result["peak_mb"] - result["idle_mb"]
    # How many copies of each in-flight upload the server held at the peak.
    result["copies_per_upload"] = round(growth / (CLIENTS * result["pdf_mb"]), 2)
    result["meets_goal"] = result["peak_mb"] < GOAL_MB and result["uploads_ok"] == result["uploads"]
    print(
        f"memory: {result['uploads_ok']}/{result['uploads']} ok, {CLIENTS} x"
        f" {result['pdf_mb']} MB uploads: peak {result['peak_mb']} MB"
        f" = {result['peak_over_idle']}x idle ({result['idle_mb']} MB),"
        f" {result['copies_per_upload']} copies per upload (API process alone: peak"
        f" {result['api_process_peak_mb']} MB); goal < {GOAL_MB} MB"
    )
    for error in result["errors"]:
        print(f"  upload error: {error}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
