"""A field's options as the prepare page's forms send them, in the shape the API's
`FieldOptions` gives the core (`faces.signinghub.fields.options_of`): which options a
kind takes, and each one's bounds as the API's schema has them. What the values mean
(choices, date formats, radio groups, levels of assurance) the core checks."""

from __future__ import annotations

from dataclasses import dataclass

from signflow.errors import BadRequest
from signflow.models import FieldKind
from signflow.signing.assurance import PROVIDED, accepted_levels
from signflow.web.app.form_values import BAD_VALUE, FormValues
from signflow.workflow.field_values import (
    CHOICE_KINDS,
    DATE_FORMATS,
    DEFAULT_DATE_FORMAT,
    FIXED_KINDS,
    SIGNATURE_KINDS,
    TEXT_KINDS,
)

# The API's schema bounds (`workflow_schemas.FieldOptions`); the API sets no upper bound
# on `max_length`, the form keeps it to a number a text field can mean.
MAX_PLACEHOLDER = 255
MAX_LENGTH_LIMIT = 100_000
MAX_CHOICES_TEXT = 200 * 256
TYPED_KINDS = TEXT_KINDS - FIXED_KINDS - {FieldKind.DATE.value}
# The kinds whose value the sender may set beforehand (`value` of `POST fields/{kind}`).
PREFILLED_KINDS = TYPED_KINDS | CHOICE_KINDS
# Initials carry no level of assurance in the API's listing.
LEVELLED_KINDS = SIGNATURE_KINDS - {FieldKind.INITIALS.value}


@dataclass(frozen=True)
class OptionsShown:
    """What the inspector offers for a kind (the template's switches)."""

    typed: bool
    date: bool
    choices: bool
    radio: bool
    levels: bool
    prefilled: bool
    date_formats: tuple[str, ...] = DATE_FORMATS
    default_date_format: str = DEFAULT_DATE_FORMAT
    level_names: tuple[str, ...] = PROVIDED


def shown_for(kind: str) -> OptionsShown:
    return OptionsShown(
        typed=kind in TYPED_KINDS,
        date=kind == FieldKind.DATE.value,
        choices=kind in CHOICE_KINDS,
        radio=kind == FieldKind.RADIO.value,
        levels=kind in LEVELLED_KINDS,
        prefilled=kind in PREFILLED_KINDS,
    )


def choices_of(form: FormValues) -> list[str]:
    """The choices, one a line (blank lines left out)."""
    raw = form.values.get("choices", "")
    if len(raw) > MAX_CHOICES_TEXT:
        raise BadRequest(BAD_VALUE, value="choices")
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _radio_group(form: FormValues) -> str:
    return form.text("radio_group_name", MAX_PLACEHOLDER)


def added_options(kind: FieldKind, form: FormValues) -> dict[str, object]:
    """A new field's options from the palette's form: a dropdown's or list box's
    choices, a radio button's group (several buttons of one group name are one group)."""
    if kind.value in CHOICE_KINDS:
        return {"choices": choices_of(form)}
    if kind is FieldKind.RADIO and _radio_group(form):
        return {"radio_group_name": _radio_group(form)}
    return {}


def changed_options(kind: str, form: FormValues) -> dict[str, object]:
    """The options the inspector's form sets for a field of `kind`."""
    shown = shown_for(kind)
    options: dict[str, object] = {}
    if shown.typed:
        options["placeholder"] = form.text("placeholder", MAX_PLACEHOLDER)
        options["multiline"] = form.flag("multiline")
        options["max_length"] = (
            form.integer("max_length", minimum=1, maximum=MAX_LENGTH_LIMIT)
            if form.values.get("max_length", "").strip()
            else None
        )
    if shown.date:
        fmt = form.text("format", 40)
        if fmt:
            options["format"] = fmt
        options["default_to_signing_date"] = form.flag("default_to_signing_date")
    if shown.choices:
        options["choices"] = choices_of(form)
    if shown.radio and _radio_group(form):
        options["radio_group_name"] = _radio_group(form)
    if shown.levels:
        chosen = [level for level in PROVIDED if form.flag(f"level_{level}")]
        options["level_of_assurance"] = accepted_levels(chosen) if chosen else None
    return options


def prefilled_value(kind: str, form: FormValues) -> str | None:
    """The value set beforehand ("" clears it), for the kinds that take one."""
    if kind not in PREFILLED_KINDS or "value" not in form.values:
        return None
    return form.message("value", 5000)
