"""`/Web`: SigningHub's web app address. Its links name a package in the hash
(`/Web#/Viewer/{id}`), which only the browser sees: the page's script reads it and
goes to `/app/viewer/{id}`; without a hash route (or script) the page links home."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from signflow.web.pages import render
from signflow.web.routes import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/Web")
async def signinghub_web(request: Request) -> Response:
    return render(request, "app/hash_route.html", None)
