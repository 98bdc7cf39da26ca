"""In-process CPU of a workflow action: a reviewer's approval
(`POST /v3/packages/{pid}/approve`), called as raw ASGI on the app built in this process
(no server, no HTTP client), so the figure is the request's own CPU: routing,
authentication, the transaction and its statements, and what the driver does (on SQLite
that includes aiosqlite's thread). PostgreSQL's own CPU is not counted.

Many packages, each shared with one parallel step of reviewer entries held by one user
and a listening webhook endpoint: each call approves one entry (ends that turn, writes
the history and the notification) and leaves the package shared. CPU time is
`time.process_time()` over the calls, the best of three slices after a warm-up.

    PYTHONPATH=src:. python -m bench.action_cpu sqlite
    PYTHONPATH=src:. python -m bench.action_cpu postgresql --statements

To compare two versions, run the same command from each tree, alternating, and report
the load average (`uptime`): the figure is CPU, but a busy box still moves it."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/signflow_action_cpu"


async def main(backend: str, packages: int, entries: int, show_statements: bool) -> None:
    from sqlalchemy import event

    from signflow.app import create_app
    from signflow.context import AppContext
    from signflow.migrate import migrate
    from tests.conftest import _ensure_postgres_database, make_settings, wipe
    from tests.factories import bearer, make_tenant
    from tests.signing.pdfs import sized_pdf

    tmp = Path(tempfile.mkdtemp())
    url = PG_URL if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp}/db.sqlite"
    if backend == "postgresql":
        await _ensure_postgres_database(url)
    await migrate(url)
    settings = make_settings(
        url, tmp / "var", enterprise_rate_per_second=0, webhook_allowed_networks="127.0.0.0/8"
    )
    context = AppContext.create(settings)
    await wipe(context)
    app = create_app(context=context)
    tenant = await make_tenant(context, "Acme")
    reviewers = [
        {
            "user_email": tenant.user_email,
            "user_name": "Reviewer",
            "role": "REVIEWER",
            "email_notification": False,
        }
    ] * entries
    pdf = sized_pdf(20_000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        admin = await bearer(client, tenant, tenant.admin_email)
        reviewer = await bearer(client, tenant, tenant.user_email)
        hook = {"url": "http://127.0.0.1:9/hook"}  # never delivered: this measures the request
        assert (await client.post("/v3/webhooks", json=hook, headers=admin)).status_code == 201
        pids = []
        for n in range(packages):
            made = await client.post("/v3/packages", json={"package_name": f"R{n}"}, headers=admin)
            pid = made.json()["package_id"]
            upload = admin | {"x-file-name": "a.pdf", "content-type": "application/pdf"}
            steps = [
                client.post(f"/v3/packages/{pid}/documents", content=pdf, headers=upload),
                client.put(
                    f"/v3/packages/{pid}/workflow",
                    json={"workflow_type": "PARALLEL"},
                    headers=admin,
                ),
                client.post(f"/v3/packages/{pid}/workflow/users", json=reviewers, headers=admin),
                client.post(f"/v3/packages/{pid}/workflow", headers=admin),
            ]
            for step in steps:
                response = await step
                assert response.status_code < 300, response.text
            pids.append(pid)

    headers = [
        (b"host", b"testserver"),
        (b"content-length", b"0"),
        (b"authorization", reviewer["Authorization"].encode()),
    ]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    async def approve(pid: int) -> None:
        path = f"/v3/packages/{pid}/approve"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
            "app": app,
        }
        await app(scope, receive, send)

    order = [pids[n % packages] for n in range(packages * (entries - 1))]
    warm, rest = order[: packages * 3], order[packages * 3 :]
    for pid in warm:
        await approve(pid)
    if show_statements:
        seen: list[str] = []
        target = context.engine.sync_engine
        event.listen(target, "before_cursor_execute", lambda *a: seen.append(a[2]))
        await approve(rest.pop())
        print(f"{len(seen)} statements in one approval:")
        for statement in seen:
            print("  ", " ".join(statement.split())[:150])
        return
    size = len(rest) // 3
    slices = []
    for n in range(3):
        part = rest[n * size : (n + 1) * size]
        began = time.process_time()
        for pid in part:
            await approve(pid)
        slices.append((time.process_time() - began) / len(part) * 1e6)
    print(
        f"{backend}: one approval, in-process CPU: best {min(slices):.0f} us "
        f"(slices {', '.join(f'{s:.0f}' for s in slices)}; {size} calls each)"
    )
    await context.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=["sqlite", "postgresql"])
    parser.add_argument("--packages", type=int, default=40)
    parser.add_argument("--entries", type=int, default=12, help="reviewer entries per package")
    parser.add_argument("--statements", action="store_true", help="list one approval's SQL")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.backend, args.packages, args.entries, args.statements))
