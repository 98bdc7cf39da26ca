"""What the prepare page shows of a draft's documents: each page's image and the fields
placed on it, as percentages of the page (PDF points count from the bottom left; the
page image from the top left)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.models import Document
from signflow.web.app.field_options import OptionsShown, shown_for
from signflow.workflow.fields import PlacedField, list_fields

VIEWER_PAGE = "/app/viewer/{package_id}/documents/{document_id}/pages/{page_no}.png"


@dataclass(frozen=True)
class PlacedView:
    document_id: int
    name: str
    kind: str
    order: int | None
    required: bool
    page_no: int
    x: float
    y: float
    width: float
    height: float
    left: float
    top: float
    width_pct: float
    height_pct: float
    value: str | None
    options: dict[str, object]
    shown: OptionsShown

    def option(self, key: str) -> object:
        return self.options.get(key)

    @property
    def choices_text(self) -> str:
        raw = self.options.get("choices")
        return "\n".join(str(c) for c in raw) if isinstance(raw, list) else ""

    @property
    def levels(self) -> list[str]:
        raw = self.options.get("level_of_assurance")
        return [str(v) for v in raw] if isinstance(raw, list) else []


@dataclass(frozen=True)
class PreparedPage:
    number: int
    url: str
    width_pt: float
    height_pt: float
    fields: list[PlacedView]


@dataclass(frozen=True)
class PreparedDocument:
    id: int
    name: str
    pages: list[PreparedPage]

    @property
    def fields(self) -> list[PlacedView]:
        return [f for page in self.pages for f in page.fields]


def placed_view(placed: PlacedField, width: float, height: float) -> PlacedView:
    field = placed.field
    return PlacedView(
        document_id=field.document_id,
        name=field.name,
        kind=field.kind,
        order=placed.order,
        required=field.required,
        page_no=field.page_no,
        x=field.x,
        y=field.y,
        width=field.width,
        height=field.height,
        left=field.x / width * 100,
        top=(height - field.y - field.height) / height * 100,
        width_pct=field.width / width * 100,
        height_pct=field.height / height * 100,
        value=field.value,
        options=dict(field.options),
        shown=shown_for(field.kind),
    )


async def prepared_documents(
    session: AsyncSession, principal: Principal, package_id: int, documents: list[Document]
) -> list[PreparedDocument]:
    shown = []
    for document in documents:
        placed = await list_fields(session, principal, package_id, document.id)
        pages = []
        for number, (width, height) in enumerate(document.pages, start=1):
            url = VIEWER_PAGE.format(package_id=package_id, document_id=document.id, page_no=number)
            fields = [
                placed_view(item, width, height) for item in placed if item.field.page_no == number
            ]
            pages.append(PreparedPage(number, url, width, height, fields))
        shown.append(PreparedDocument(document.id, document.name, pages))
    return shown
