"""The documents home `/app/`: the folders with their counts, search, paging, and what
waits for the signed-in person on top."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response

from signflow.accounts.principal import Principal
from signflow.errors import NotFound
from signflow.faces.routing import get_context, get_session
from signflow.web.app.document_pages import app_page
from signflow.web.app.folders import MAX_SEARCH_CHARS, HomeFolder, folder_page
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.web.progress import iso, when

router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]


def home_folder(value: str | None) -> HomeFolder:
    try:
        return HomeFolder(value or HomeFolder.INBOX.value)
    except ValueError as exc:
        raise NotFound("home.no_folder") from exc


@router.get("/app/")
async def home(
    request: Request,
    principal: PrincipalDep,
    folder: str | None = None,
    q: Annotated[str | None, Query(max_length=MAX_SEARCH_CHARS)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    chosen = home_folder(folder)
    search = " ".join((q or "").split()) or None
    listing = await folder_page(
        get_session(request),
        principal,
        chosen,
        page,
        search,
        get_context(request).settings.archive_after_days,
    )
    return app_page(
        request,
        principal,
        "app/home.html",
        listing=listing,
        folders=list(HomeFolder),
        when=when,
        iso=iso,
    )
