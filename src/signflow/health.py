"""Liveness and readiness, apart.

GET /healthz: this process answers (it asks nothing of the database): restart the
process when it fails. GET /readyz: the database answers, its schema is at the
migrations' head, and an outbox worker's heartbeat is recent: send traffic (and sleep
well) only while it is 200. Each check is named in the answer.
"""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from signflow.context import AppContext
from signflow.db import read_transaction
from signflow.migrate import alembic_config
from signflow.observability.heartbeat import last_beat_age, live_workers

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str = Field(description="`ok`, or `unavailable` when a check is not `ok`")
    database: str = Field(description="`ok`, or why the database does not answer")
    migrations: str | None = Field(None, description="`ok`, or where the schema is")
    worker: str | None = Field(None, description="`ok`, or how long no worker has beaten")


NOT_READY = {
    503: {
        "description": "Not ready: the checks that are not `ok` say why",
        "model": Readiness,
    }
}


@cache
def migration_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@router.get("/healthz", response_model=Liveness)
async def healthz() -> JSONResponse:
    """Liveness: the process runs and its event loop answers."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", response_model=Readiness, responses=NOT_READY)  # type: ignore[arg-type]
async def readyz(request: Request) -> JSONResponse:
    """Readiness: database, migrations and a live worker; 503 naming what is not."""
    context: AppContext = request.app.state.context
    checks: dict[str, str] = {}
    try:
        async with read_transaction(context.sessions) as session:
            applied = frozenset(
                (await session.scalars(text("SELECT version_num FROM alembic_version"))).all()
            )
            checks["database"] = "ok"
            heads = migration_heads()
            checks["migrations"] = (
                "ok"
                if applied == heads
                else f"at {', '.join(sorted(applied)) or 'none'}, expected "
                f"{', '.join(sorted(heads))}: run signflow migrate"
            )
            interval = context.settings.worker_heartbeat_seconds
            if checks["migrations"] != "ok":
                checks["worker"] = "not checked before the migrations are applied"
            elif await live_workers(session, interval):
                checks["worker"] = "ok"
            else:
                age = await last_beat_age(session)
                checks["worker"] = (
                    "no worker has ever beaten"
                    if age is None
                    else f"no heartbeat for {age:.0f} s: is a worker running?"
                )
    except (SQLAlchemyError, OSError) as exc:
        checks["database"] = f"unavailable ({type(exc).__name__})"
    ready = all(value == "ok" for value in checks.values()) and len(checks) == 3
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", **checks},
        status_code=200 if ready else 503,
    )
