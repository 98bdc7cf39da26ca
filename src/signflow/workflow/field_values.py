"""What a form field's value may be, by kind, and how a stored value is shown.

Stored values are strings: the text; `true`/`false` for a checkbox and for a
radio button (the one chosen in its group is `true`); one of the choices for a
dropdown or list box; an ISO date (YYYY-MM-DD) for a date field, shown in the
field's format. Name and email fields take the signer's verified identity and
cannot be typed into; company and job title take a typed value, or the
identity's when there is none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from signflow.errors import BadRequest
from signflow.models import Field, FieldKind
from signflow.workflow.signer_identity import SignerIdentity

SIGNATURE_KINDS = frozenset(
    {
        FieldKind.SIGNATURE.value,
        FieldKind.DIGITAL_SIGNATURE.value,
        FieldKind.ELECTRONIC_SIGNATURE.value,
        FieldKind.IN_PERSON_SIGNATURE.value,
        FieldKind.INITIALS.value,
    }
)
# SigningHub's text field types (`POST fields/text {"type"}`) and the kind each one is.
TEXT_TYPES: dict[str, FieldKind] = {
    "TEXT": FieldKind.TEXT,
    "NAME": FieldKind.NAME,
    "EMAIL": FieldKind.EMAIL,
    "COMPANY": FieldKind.COMPANY,
    "JOBTITLE": FieldKind.JOB_TITLE,
    "DATE": FieldKind.DATE,
}
TEXT_KINDS = frozenset(kind.value for kind in TEXT_TYPES.values())
IDENTITY_KINDS = frozenset(
    {
        FieldKind.NAME.value,
        FieldKind.EMAIL.value,
        FieldKind.COMPANY.value,
        FieldKind.JOB_TITLE.value,
    }
)
# Identity fields the signer cannot type into: Signflow verified these.
FIXED_KINDS = frozenset({FieldKind.NAME.value, FieldKind.EMAIL.value})
CHOICE_KINDS = frozenset({FieldKind.DROPDOWN.value, FieldKind.LISTBOX.value})
TOGGLE_KINDS = frozenset({FieldKind.CHECKBOX.value, FieldKind.RADIO.value})
FORM_KINDS = TEXT_KINDS | CHOICE_KINDS | TOGGLE_KINDS
# SigningHub's size for a checkbox or radio button added without width and height.
TOGGLE_SIZE = 10.0
MAX_CHOICES = 200
MAX_CHOICE_LENGTH = 255

# SigningHub's date formats (d, m, y tokens; mmm and mmmm are the month's name).
DATE_FORMATS = (
    "m/d",
    "m/d/yy",
    "m/d/yyyy",
    "mm/dd/yy",
    "mm/dd/yyyy",
    "mm/yy",
    "mm/yyyy",
    "d-mmm",
    "d-mmm-yy",
    "d-mmm-yyyy",
    "dd-mmm-yy",
    "dd-mmm-yyyy",
    "yy-mm-dd",
    "yyyy-mm-dd",
    "mmm-yy",
    "mmm-yyyy",
    "mmmm-yy",
    "mmmm-yyyy",
    "mmmm d, yyyy",
    "dd/mm/yy",
    "dd/mm/yyyy",
    "ddmmmyyyy",
    "dd.mm.yyyy",
)
DEFAULT_DATE_FORMAT = "yyyy-mm-dd"
_TOKENS = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dd|d")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
TRUE_WORDS = ("true", "false")


def check_date_format(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in DATE_FORMATS:
        raise BadRequest("format must be one of: " + ", ".join(DATE_FORMATS))
    return fmt


def format_date(day: dt.date, fmt: str) -> str:
    """`day` in a SigningHub date format (English month names)."""

    def token(match: re.Match[str]) -> str:
        part = match.group(0)
        return {
            "yyyy": f"{day.year:04d}",
            "yy": f"{day.year % 100:02d}",
            "mmmm": MONTHS[day.month - 1],
            "mmm": MONTHS[day.month - 1][:3],
            "mm": f"{day.month:02d}",
            "m": str(day.month),
            "dd": f"{day.day:02d}",
            "d": str(day.day),
        }[part]

    return _TOKENS.sub(token, fmt)


def parse_date(value: str, name: str) -> dt.date:
    """An ISO date, YYYY-MM-DD (a time after it, as SigningHub allows, is ignored)."""
    match = _ISO_DATE.fullmatch(value.strip())
    error = BadRequest(f"The value of date field '{name}' must be a real date as YYYY-MM-DD")
    if match is None:
        raise error
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise error from exc


def as_flag(value: str | bool, what: str) -> bool:
    if isinstance(value, bool):
        return value
    word = value.strip().lower()
    if word not in TRUE_WORDS:
        raise BadRequest(f"The value of {what} must be true or false")
    return word == "true"


def choices_of(field: Field) -> list[str]:
    raw = field.options.get("choices")
    return [str(c) for c in raw] if isinstance(raw, list) else []


def check_choices(raw: Sequence[str] | None) -> list[str]:
    """A dropdown's or list box's choices: 1 to 200 distinct, non-empty texts."""
    choices = [c.strip() for c in raw or ()]
    if not choices or len(choices) > MAX_CHOICES:
        raise BadRequest(f"choices must hold 1 to {MAX_CHOICES} options")
    if any(not c or len(c) > MAX_CHOICE_LENGTH for c in choices):
        raise BadRequest(f"Each of the choices must be 1 to {MAX_CHOICE_LENGTH} characters")
    if len(set(choices)) != len(choices):
        raise BadRequest("choices must not repeat an option")
    return choices


def radio_group(field: Field) -> str:
    """A radio button's group: its `radio_group_name`, or its own name when it has none."""
    group = field.options.get("radio_group_name")
    return group if isinstance(group, str) and group else field.name


def date_format(field: Field) -> str:
    fmt = field.options.get("format")
    return fmt if isinstance(fmt, str) and fmt in DATE_FORMATS else DEFAULT_DATE_FORMAT


def signing_date_default(field: Field) -> bool:
    """A date field left empty shows the signing date, unless its owner said otherwise."""
    return field.options.get("default_to_signing_date") is not False


def stored_value(field: Field, value: str | bool) -> str | None:
    """The value to store for `field` from what a client sent (not for radio buttons, whose
    group decides), or a 400 naming what is wrong. An empty text clears the field."""
    kind, name = field.kind, field.name
    if kind == FieldKind.CHECKBOX.value:
        return "true" if as_flag(value, f"checkbox '{name}'") else "false"
    if isinstance(value, bool):
        raise BadRequest(f"The value of {kind} field '{name}' must be text, not true or false")
    if kind in FIXED_KINDS:
        raise BadRequest(
            f"The {kind} field '{name}' is filled from the signer's identity and cannot be typed"
        )
    if value == "":
        return None
    if kind == FieldKind.DATE.value:
        return parse_date(value, name).isoformat()
    if kind in CHOICE_KINDS:
        choices = choices_of(field)
        if value not in choices:
            raise BadRequest(
                f"'{value}' is not one of the choices of {kind} field '{name}': "
                + ", ".join(choices)
            )
        return value
    limit = field.options.get("max_length")
    if isinstance(limit, int) and len(value) > limit:
        raise BadRequest(f"The value of field '{name}' must be at most {limit} characters")
    return value


def shown_date(field: Field, stored: str | None, signed_on: dt.date | None) -> str | None:
    """A date field's value as shown in the PDF: its date, or the signing date when it was
    left empty and says so; None when there is nothing to show."""
    if stored:
        try:
            day = dt.date.fromisoformat(stored)
        except ValueError:
            return stored
        return format_date(day, date_format(field))
    if signed_on is not None and signing_date_default(field):
        return format_date(signed_on, date_format(field))
    return None


def identity_value(kind: str, identity: SignerIdentity) -> str | None:
    """What the signer's identity gives an identity field of this kind (None: nothing)."""
    value = {
        FieldKind.NAME.value: identity.name,
        FieldKind.EMAIL.value: identity.email,
        FieldKind.COMPANY.value: identity.company,
        FieldKind.JOB_TITLE.value: identity.job_title,
    }[kind]
    return value or None
