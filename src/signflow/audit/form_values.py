"""The form values of a package as its history tells them: every value entered, by whom,
when, and in which document revision it was written (for the evidence report).

The history holds what it takes: the owner's values at FIELD_ADDED / FIELD_UPDATED /
FORM_FILLED before sharing (written into the PDF when the package is shared); each
recipient's FORM_FILLED entries; and at DOCUMENT_SIGNED the values that signature
carried (`form_values`, as shown in the PDF: identity fields, formatted dates) with
the document version it produced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from signflow.models import HistoryEntry

AS_SHARED = "the shared document"
REPLACED = "none: replaced before it was written"
NOT_WRITTEN = "none: not written into the document"
FROM_SIGNING = " (filled in at the signature)"
_OWNER_ACTIONS = ("FIELD_ADDED", "FIELD_UPDATED")


@dataclass(frozen=True)
class EnteredValue:
    document: str
    field: str
    value: str
    by: str
    at: dt.datetime
    revision: str | None = None


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _who(entry: HistoryEntry) -> str:
    return entry.user_email or entry.user_name or "Signflow"


def entered_values(
    history: Sequence[HistoryEntry], document_names: Mapping[int, str]
) -> list[EnteredValue]:
    """Every value of the package's forms, in the order it was entered."""
    rows: list[EnteredValue] = []
    # (document id, AcroForm name) -> index in rows of the value waiting to be written.
    waiting: dict[tuple[int, str], int] = {}
    # (document id, AcroForm name) -> the value the document holds.
    written: dict[tuple[int, str], str] = {}
    shared = False

    def enter(document_id: int, key: str, row: EnteredValue) -> None:
        earlier = waiting.get((document_id, key))
        if earlier is not None:
            rows[earlier] = replace(rows[earlier], revision=REPLACED)
        waiting[(document_id, key)] = len(rows)
        rows.append(row)

    for entry in history:
        details = entry.details or {}
        document_id = details.get("document_id")
        if not isinstance(document_id, int):
            if entry.action == "PACKAGE_SHARED":
                for slot, index in waiting.items():
                    rows[index] = replace(rows[index], revision=AS_SHARED)
                    written[slot] = rows[index].value
                waiting.clear()
                shared = True
            continue
        document = document_names.get(document_id, str(document_id))
        if entry.action in _OWNER_ACTIONS and details.get("value") is not None and not shared:
            name = _text(details.get("renamed_as") or details.get("field_name"))
            row = EnteredValue(
                document, name, _text(details["value"]), _who(entry), entry.created_at
            )
            enter(document_id, name, row)
        elif entry.action == "FORM_FILLED":
            items = details.get("fields")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    name, value = _filled(item)
                    row = EnteredValue(document, name, value, _who(entry), entry.created_at)
                    enter(document_id, name, row)
        elif entry.action == "DOCUMENT_SIGNED":
            _written(rows, waiting, written, entry, document_id, document)
    for index in waiting.values():
        rows[index] = replace(rows[index], revision=NOT_WRITTEN)
    return rows


def _filled(item: dict[str, object]) -> tuple[str, str]:
    """A FORM_FILLED item as (AcroForm name, value): a radio button chosen is its group's
    value; a text, a choice or a checkbox is its own."""
    name = _text(item.get("field_name"))
    value = _text(item.get("value"))
    group = item.get("radio_group_name")
    if not isinstance(group, str) or not group:
        return name, value
    if name == group:  # the group named, with the chosen button as the value
        return group, value
    return group, name if value.lower() == "true" else ""


def _written(
    rows: list[EnteredValue],
    waiting: dict[tuple[int, str], int],
    written: dict[tuple[int, str], str],
    entry: HistoryEntry,
    document_id: int,
    document: str,
) -> None:
    """A signature's values: the ones entered before are now in its version; the others
    (identity fields, a signing date) were entered by the signature itself."""
    details = entry.details or {}
    values = details.get("form_values")
    if not isinstance(values, dict):
        return
    revision = f"version {details.get('version')}"
    for key, shown in values.items():
        index = waiting.pop((document_id, str(key)), None)
        already = written.get((document_id, str(key)))
        written[(document_id, str(key))] = _text(shown)
        if index is None and already == _text(shown):
            continue  # in the document since sharing, untouched
        if index is None:
            rows.append(
                EnteredValue(
                    document,
                    str(key),
                    _text(shown) + FROM_SIGNING,
                    _who(entry),
                    entry.created_at,
                    revision,
                )
            )
            continue
        row = rows[index]
        value = row.value if row.value == _text(shown) else f"{row.value} (shown as {shown})"
        rows[index] = replace(row, value=value, revision=revision)
