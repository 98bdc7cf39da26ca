"""Adding and changing a QR code of a draft document (the guide's fields/qrcode)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from signflow.faces.routing import ContextDep, SessionDep, TransactionalRoute
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.schemas import VendorModel
from signflow.faces.signinghub.workflow_schemas import FieldDimensions
from signflow.packages.qr_codes import QrChange, add_qr_code, update_qr_code
from signflow.pdf.qr import MAX_DATA, QrPlacement

router = APIRouter(route_class=TransactionalRoute, tags=["fields"])


class QrCodeAdd(VendorModel):
    page_no: int = Field(ge=1)
    dimensions: FieldDimensions
    field_name: str | None = Field(default=None, min_length=1, max_length=255)
    data: str | None = Field(default=None, max_length=MAX_DATA)
    """What the code carries; by default the document's address on this server."""


class QrCodeAdded(VendorModel):
    field_name: str


class QrDimensionsChange(VendorModel):
    x: float | None = None
    y: float | None = None
    width: float | None = Field(default=None, gt=0)
    height: float | None = Field(default=None, gt=0)


class QrCodeUpdate(VendorModel):
    """As the other field updates: the code by `field_name`, only what changes."""

    field_name: str = Field(min_length=1, max_length=255)
    renamed_as: str | None = Field(default=None, min_length=1, max_length=255)
    page_no: int | None = Field(default=None, ge=1)
    dimensions: QrDimensionsChange = QrDimensionsChange()
    data: str | None = Field(default=None, max_length=MAX_DATA)


# Registered before fields/{kind}: "qrcode" is not a field kind stored with the others.
@router.post(
    "/packages/{package_id}/documents/{document_id}/fields/qrcode", response_model=QrCodeAdded
)
async def add_qr(
    package_id: int,
    document_id: int,
    body: QrCodeAdd,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> QrCodeAdded:
    box = body.dimensions
    data = body.data or (
        f"{context.settings.base_url.rstrip('/')}/v4/packages/{package_id}/documents/{document_id}"
    )
    name = await add_qr_code(
        session,
        context.blobs,
        principal,
        actor,
        package_id,
        document_id,
        page_no=body.page_no,
        placement=QrPlacement(body.page_no - 1, box.x, box.y, box.width, box.height),
        name=body.field_name,
        data=data,
    )
    return QrCodeAdded(field_name=name)


@router.put(
    "/packages/{package_id}/documents/{document_id}/fields/qrcode", response_model=QrCodeAdded
)
async def update_qr(
    package_id: int,
    document_id: int,
    body: QrCodeUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> QrCodeAdded:
    box = body.dimensions
    name = await update_qr_code(
        session,
        context.blobs,
        principal,
        actor,
        package_id,
        document_id,
        QrChange(
            name=body.field_name,
            renamed_as=body.renamed_as,
            page_no=body.page_no,
            x=box.x,
            y=box.y,
            width=box.width,
            height=box.height,
            data=body.data,
        ),
    )
    return QrCodeAdded(field_name=name)
