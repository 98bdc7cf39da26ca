"""What the PDF layer needs to know about a form field: the contract between the
workflow (which decides fields and values) and the signer (which writes them).

Values are strings, as the API carries them:
- TEXT, DATE: the text shown (a DATE value is already formatted for display);
- CHECKBOX: "true" or "false";
- RADIO: the export value of the chosen button (one of the group's `value`s);
- DROPDOWN, LISTBOX: one of `options`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

Rect = tuple[float, float, float, float]
"""x, y, width, height in points from the page's bottom-left corner."""


class FormKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    CHECKBOX = "checkbox"
    RADIO = "radio"
    DROPDOWN = "dropdown"
    LISTBOX = "listbox"


@dataclass(frozen=True)
class Widget:
    """One place on one page where a field shows; a radio group has one per button."""

    page: int
    """0-based page index."""
    rect: Rect
    value: str | None = None
    """A radio button's export value; None for every other kind."""


@dataclass(frozen=True)
class FormFieldSpec:
    name: str
    """The AcroForm field's name, unique in the document (a radio group's name)."""
    kind: FormKind
    widgets: tuple[Widget, ...]
    options: tuple[str, ...] = ()
    """The choices of a DROPDOWN or LISTBOX."""
    multiline: bool = False
