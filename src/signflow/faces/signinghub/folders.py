"""Moving a package to one of the caller's folders (`packages/{pid}/move_to`), and the
shared spaces Signflow does not offer (`shared_spaces/{id}`)."""

from __future__ import annotations

from typing import NoReturn

from fastapi import APIRouter, Response
from pydantic import Field

from signflow.errors import BadRequest, Forbidden
from signflow.faces.routing import ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.packages.folders import MAX_FOLDER_NAME, move_to_folder
from signflow.workflow.common import NOT_ALLOWED

router = APIRouter(route_class=TransactionalRoute, tags=["packages"])


class MoveTo(VendorModel):
    """`folder` (or `folder_name`): INBOX, or a folder of the caller's own (made on first
    use). A shared space (`shared_space_id`) is not offered here."""

    folder: str | None = Field(default=None, max_length=MAX_FOLDER_NAME * 2)
    folder_name: str | None = Field(default=None, max_length=MAX_FOLDER_NAME * 2)
    shared_space_id: int | str | None = None


@router.put("/packages/{package_id}/move_to")
async def move_to(
    package_id: int, body: MoveTo, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    if body.shared_space_id is not None:
        raise Forbidden(NOT_ALLOWED)
    folder = body.folder if body.folder is not None else body.folder_name
    if folder is None:
        raise BadRequest("folder is required")
    await move_to_folder(session, principal, actor, package_id, folder)
    return empty_ok()


async def _no_shared_spaces(principal: PrincipalDep) -> NoReturn:
    """After authentication: no account here has shared spaces."""
    raise Forbidden(NOT_ALLOWED)


@router.get("/shared_spaces/{space_id}", dependencies=[ReadOnly])
async def get_shared_space(space_id: str, principal: PrincipalDep) -> Response:
    await _no_shared_spaces(principal)


@router.put("/shared_spaces/{space_id}")
async def update_shared_space(space_id: str, principal: PrincipalDep) -> Response:
    await _no_shared_spaces(principal)


@router.delete("/shared_spaces/{space_id}")
async def delete_shared_space(space_id: str, principal: PrincipalDep) -> Response:
    await _no_shared_spaces(principal)
