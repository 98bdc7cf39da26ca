"""A bulk send's rows, from CSV or JSON, checked against the template they fill.

Both forms carry the same columns: `<placeholder> email` (one per placeholder of the
template, required), `<placeholder> name` and `<placeholder> mobile` (optional),
`package_name` (optional), and any other column names a field of the template, whose
value the row's package is prefilled with. A CSV names them in its header line; a JSON
body is `{"rows": [{column: value, ...}, ...]}`.

The columns are checked before anything is made (a missing email column, an unknown
column: 400); each row's values are checked on their own, and a bad row becomes that
row's error while the others go on.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from signflow.accounts.users import normalise_email
from signflow.errors import BadRequest, SignflowError
from signflow.models import Field, FieldKind, TemplateVersion
from signflow.workflow.field_values import SIGNATURE_KINDS, stored_value

# A run holds at most this many rows; a larger list is refused with 400 (split it).
MAX_ROWS = 5_000
# The body of a bulk send, CSV or JSON; past it the call answers 413.
MAX_BODY_BYTES = 5 * 1024 * 1024

PACKAGE_NAME_COLUMN = "package_name"
PERSON_PARTS = ("email", "name", "mobile")
# Kinds a column may not prefill: signatures are made by their signer, a radio button's
# value belongs to its group, and identity fields take the signer's verified identity.
NOT_PREFILLABLE = SIGNATURE_KINDS | {
    FieldKind.RADIO.value,
    FieldKind.NAME.value,
    FieldKind.EMAIL.value,
}


@dataclass
class RowInput:
    """One row as submitted: its cells by column; `error` when its shape is wrong."""

    number: int
    cells: dict[str, str]
    error: str | None = None


@dataclass
class CheckedRow:
    """A row ready to send (`data`), or refused with `error`."""

    number: int
    data: dict[str, object] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class PersonColumns:
    placeholder: str
    email: str
    name: str | None
    mobile: str | None


def parse_csv(raw: bytes) -> tuple[list[str], list[RowInput]]:
    """The header and the rows of a CSV body (UTF-8, with or without a byte-order mark,
    comma-separated, quoted as RFC 4180)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("The CSV body is not UTF-8 text") from exc
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadRequest(f"The CSV body cannot be read: {exc}") from exc
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise BadRequest("The CSV body has no header line")
    header = [cell.strip() for cell in lines[0]]
    rows = []
    for number, line in enumerate(lines[1:], start=1):
        if len(line) != len(header):
            rows.append(
                RowInput(
                    number,
                    {},
                    f"Row {number} has {len(line)} cells; the header has {len(header)}",
                )
            )
            continue
        rows.append(RowInput(number, dict(zip(header, line, strict=True))))
    return header, rows


def _cell(value: object, column: str, number: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise BadRequest(
        f"Row {number}: the value of column '{column}' must be text, a number or true/false"
    )


def parse_json_rows(raw: bytes) -> tuple[list[str], list[RowInput]]:
    """The columns (every key any row uses, in order of appearance) and the rows of a
    JSON body `{"rows": [{column: value}]}`."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The request body is not valid JSON") from exc
    rows_value = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows_value, list):
        raise BadRequest('The JSON body must be {"rows": [{column: value, ...}, ...]}')
    header: dict[str, None] = {}
    rows = []
    for number, item in enumerate(rows_value, start=1):
        if not isinstance(item, dict):
            raise BadRequest(f"Row {number} must be an object of column: value")
        cells: dict[str, str] = {}
        for column, value in item.items():
            name = str(column).strip()
            header.setdefault(name, None)
            text = _cell(value, name, number)
            if text is not None:
                cells[name] = text
        rows.append(RowInput(number, cells))
    return list(header), rows


def _placeholders(version: TemplateVersion) -> list[str]:
    recipients = cast(list[dict[str, object]], version.content.get("recipients", []))
    return [str(r["placeholder"]) for r in recipients if r.get("placeholder")]


def _fields(version: TemplateVersion) -> dict[str, Field]:
    """The template's fields by name, as transient rows to check values against."""
    specs = cast(list[dict[str, object]], version.content.get("fields", []))
    return {
        str(spec["name"]): Field(
            kind=str(spec["kind"]),
            name=str(spec["name"]),
            options=dict(cast(dict[str, object], spec.get("options") or {})),
        )
        for spec in specs
    }


@dataclass(frozen=True)
class Columns:
    people: list[PersonColumns]
    fields: dict[str, Field]  # column -> the template field it prefills
    package_name: str | None


def check_columns(version: TemplateVersion, header: Sequence[str]) -> Columns:
    """What each column means; 400 for a duplicate or unknown column, a field that cannot
    be prefilled, or a placeholder without its email column."""
    seen: set[str] = set()
    for column in header:
        if not column:
            raise BadRequest("A column has no name")
        if column in seen:
            raise BadRequest(f"Column '{column}' appears twice")
        seen.add(column)
    titles = _placeholders(version)
    by_lower = {column.lower(): column for column in header}
    people = []
    used: set[str] = set()
    for title in titles:
        found = {part: by_lower.get(f"{title} {part}".lower()) for part in PERSON_PARTS}
        email = found["email"]
        if email is None:
            raise BadRequest(
                f"The column '{title} email' is missing: every placeholder of the template "
                f"({', '.join(titles)}) needs its email column",
                code="bulk_column_missing",
            )
        people.append(PersonColumns(title, email, found["name"], found["mobile"]))
        used.update(c for c in found.values() if c is not None)
    fields = _fields(version)
    prefills: dict[str, Field] = {}
    package_name = PACKAGE_NAME_COLUMN if PACKAGE_NAME_COLUMN in seen else None
    for column in header:
        if column in used or column == PACKAGE_NAME_COLUMN:
            continue
        target = fields.get(column)
        if target is None:
            known = ", ".join(fields) or "none"
            raise BadRequest(
                f"Unknown column '{column}': a column is a placeholder's email, name or "
                f"mobile, package_name, or one of the template's fields ({known})",
                code="bulk_column_unknown",
            )
        if target.kind in NOT_PREFILLABLE:
            raise BadRequest(
                f"Column '{column}' names a {target.kind} field, which cannot be prefilled"
            )
        prefills[column] = target
    return Columns(people, prefills, package_name)


def _checked(row: RowInput, columns: Columns) -> CheckedRow:
    if row.error is not None:
        return CheckedRow(row.number, error=row.error)
    cells = row.cells
    try:
        placeholders = []
        for person in columns.people:
            email = (cells.get(person.email) or "").strip()
            if not email:
                raise BadRequest(f"'{person.email}' is empty")
            placeholders.append(
                {
                    "placeholder": person.placeholder,
                    "user_email": normalise_email(email),
                    "user_name": (cells.get(person.name) or "").strip() or None
                    if person.name
                    else None,
                    "mobile_number": (cells.get(person.mobile) or "").strip() or None
                    if person.mobile
                    else None,
                }
            )
        values: dict[str, str] = {}
        for column, target in columns.fields.items():
            given = cells.get(column)
            if given is None or given == "":
                continue
            stored = stored_value(target, given)
            if stored is not None:
                values[column] = stored
    except SignflowError as error:
        return CheckedRow(row.number, error=f"Row {row.number}: {error.message}")
    name = (cells.get(columns.package_name) or "").strip() if columns.package_name else ""
    return CheckedRow(
        row.number,
        {"package_name": name[:255] or None, "placeholders": placeholders, "fields": values},
    )


def check_rows(
    version: TemplateVersion, header: Sequence[str], rows: Sequence[RowInput]
) -> list[CheckedRow]:
    """Every row checked; 400 when the columns are wrong, there is no row, or too many."""
    columns = check_columns(version, header)
    if not rows:
        raise BadRequest("The bulk send has no row")
    if len(rows) > MAX_ROWS:
        raise BadRequest(f"A bulk send holds at most {MAX_ROWS} rows; this one has {len(rows)}")
    return [_checked(row, columns) for row in rows]


def fills_of(data: Mapping[str, object]) -> list[dict[str, object]]:
    return cast(list[dict[str, object]], data.get("placeholders", []))


def parse_body(raw: bytes, content_type: str | None) -> tuple[list[str], list[RowInput]]:
    """CSV when the body says `text/csv` (or any `csv` type); JSON when it says JSON or,
    unlabelled, starts with `{`; CSV otherwise."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if "csv" in kind:
        return parse_csv(raw)
    if "json" in kind or raw.lstrip()[:1] == b"{":
        return parse_json_rows(raw)
    return parse_csv(raw)
