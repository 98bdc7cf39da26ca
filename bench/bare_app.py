"""The baseline: a bare FastAPI endpoint returning a constant JSON, nothing else."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
