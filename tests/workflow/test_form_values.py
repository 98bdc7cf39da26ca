"""The form rules without a database: what a value may be, what the PDF gets, and when a
recipient may finish (workflow/field_values.py, form_values.py, completeness.py)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from signflow.errors import BadRequest
from signflow.models import Field, FieldKind
from signflow.signing.form_spec import FormFieldSpec, FormKind, Widget
from signflow.workflow.completeness import missing_fields, requirements
from signflow.workflow.field_values import (
    DATE_FORMATS,
    format_date,
    parse_date,
    stored_value,
)
from signflow.workflow.form_values import (
    form_field_specs,
    recipient_form_values,
    shared_form_values,
)
from signflow.workflow.signer_identity import SignerIdentity

ANA, BEN = 1, 2
_ids = itertools.count(1)
IDENTITY = SignerIdentity(name="Ana Ruiz", email="ana@example.com", company="Acme Ltd")
SIGNED_ON = dt.date(2026, 3, 9)


def field(
    kind: FieldKind,
    name: str,
    *,
    recipient: int | None = ANA,
    value: str | None = None,
    required: bool = True,
    page: int = 1,
    signed: bool = False,
    filled_by: int | None = None,
    **options: object,
) -> Field:
    return Field(
        id=next(_ids),
        document_id=7,
        recipient_id=recipient,
        kind=kind.value,
        name=name,
        page_no=page,
        x=72.0,
        y=500.0,
        width=120.0,
        height=20.0,
        required=required,
        value=value,
        options=dict(options),
        signed_at=dt.datetime(2026, 3, 9, tzinfo=dt.UTC) if signed else None,
        filled_by_id=filled_by,
    )


@pytest.mark.parametrize(
    ("fmt", "shown"),
    [
        ("dd/mm/yyyy", "09/03/2026"),
        ("m/d/yy", "3/9/26"),
        ("mmmm d, yyyy", "March 9, 2026"),
        ("d-mmm-yyyy", "9-Mar-2026"),
        ("ddmmmyyyy", "09Mar2026"),
        ("yyyy-mm-dd", "2026-03-09"),
    ],
)
def test_a_date_shows_in_its_format(fmt: str, shown: str) -> None:
    assert fmt in DATE_FORMATS
    assert format_date(SIGNED_ON, fmt) == shown


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "30/01/2026", "tomorrow", ""])
def test_an_impossible_or_malformed_date_is_refused(value: str) -> None:
    with pytest.raises(BadRequest, match="must be a real date as YYYY-MM-DD"):
        parse_date(value, "Start")


def test_values_of_the_wrong_type_are_refused_with_a_reason() -> None:
    box = field(FieldKind.CHECKBOX, "Agree")
    menu = field(FieldKind.DROPDOWN, "Plan", choices=["Basic", "Plus"])
    name = field(FieldKind.NAME, "Name1")
    short = field(FieldKind.TEXT, "Zip", max_length=5)
    cases = [
        (box, "yes", "checkbox 'Agree' must be true or false"),
        (menu, "Gold", "'Gold' is not one of the choices of dropdown field 'Plan'"),
        (menu, True, "must be text"),
        (name, "Someone Else", "filled from the signer's identity"),
        (short, "123456", "at most 5 characters"),
    ]
    for target, value, reason in cases:
        with pytest.raises(BadRequest, match=reason):
            stored_value(target, value)
    assert stored_value(box, True) == "true"
    assert stored_value(box, "FALSE") == "false"
    assert stored_value(menu, "Plus") == "Plus"
    assert stored_value(field(FieldKind.DATE, "Start"), "2026-03-01 00:00:00 +00") == "2026-03-01"


def test_the_share_step_gets_every_form_field_and_one_radio_group() -> None:
    fields = [
        field(FieldKind.DIGITAL_SIGNATURE, "AnaSigns"),
        field(FieldKind.INITIALS, "AnaInitials"),
        field(FieldKind.TEXT, "Phone", multiline=True, page=2),
        field(FieldKind.RADIO, "Monthly", radio_group_name="Pay"),
        field(FieldKind.DATE, "Start"),
        field(FieldKind.RADIO, "Yearly", radio_group_name="Pay", page=2),
        field(FieldKind.DROPDOWN, "Plan", choices=["Basic", "Plus"]),
        field(FieldKind.LISTBOX, "Floor", choices=["1", "2"]),
        field(FieldKind.CHECKBOX, "Agree"),
        field(FieldKind.NAME, "Name1"),
    ]
    specs = form_field_specs(fields)
    assert [s.name for s in specs] == ["Phone", "Pay", "Start", "Plan", "Floor", "Agree", "Name1"]
    by_name = {s.name: s for s in specs}
    assert by_name["Phone"] == FormFieldSpec(
        "Phone", FormKind.TEXT, (Widget(1, (72.0, 500.0, 120.0, 20.0)),), multiline=True
    )
    assert by_name["Pay"].kind is FormKind.RADIO
    assert [(w.page, w.value) for w in by_name["Pay"].widgets] == [(0, "Monthly"), (1, "Yearly")]
    assert by_name["Plan"].options == ("Basic", "Plus")
    assert by_name["Floor"].kind is FormKind.LISTBOX
    assert by_name["Start"].kind is FormKind.DATE
    assert by_name["Agree"].kind is FormKind.CHECKBOX
    assert by_name["Name1"].kind is FormKind.TEXT


def test_the_owners_values_are_written_when_shared() -> None:
    fields = [
        field(FieldKind.TEXT, "Rent", recipient=None, value="1200"),
        field(FieldKind.DATE, "Start", value="2026-04-01", format="dd/mm/yyyy"),
        field(FieldKind.DATE, "Signed"),  # takes the signing date later, not now
        field(FieldKind.NAME, "Name1"),  # nobody has signed yet
        field(FieldKind.CHECKBOX, "Pets", value="false"),
        field(FieldKind.RADIO, "Monthly", radio_group_name="Pay", value="true"),
        field(FieldKind.RADIO, "Yearly", radio_group_name="Pay", value="false"),
        field(FieldKind.TEXT, "Empty"),
    ]
    assert shared_form_values(fields) == {
        "Rent": "1200",
        "Start": "01/04/2026",
        "Pets": "false",
        "Pay": "Monthly",
    }


def test_a_recipients_values_at_their_signature() -> None:
    fields = [
        field(FieldKind.DIGITAL_SIGNATURE, "AnaSigns"),
        field(FieldKind.NAME, "Name1"),
        field(FieldKind.EMAIL, "Email1"),
        field(FieldKind.COMPANY, "Company1"),
        field(FieldKind.JOB_TITLE, "Title1", value="Tenant"),
        field(FieldKind.JOB_TITLE, "Title2"),  # nothing typed, and no job title known
        field(FieldKind.DATE, "Signed", format="mmmm d, yyyy"),
        field(FieldKind.DATE, "Left", default_to_signing_date=False),
        field(FieldKind.DATE, "Start", value="2026-02-28", format="dd/mm/yy"),
        field(FieldKind.CHECKBOX, "Agree", value="true"),
        field(FieldKind.CHECKBOX, "Pets", value="false"),
        field(FieldKind.CHECKBOX, "Untouched"),
        field(FieldKind.RADIO, "Monthly", radio_group_name="Pay", value="false"),
        field(FieldKind.RADIO, "Yearly", radio_group_name="Pay", value="true"),
        field(FieldKind.DROPDOWN, "Plan", value="Plus", choices=["Basic", "Plus"]),
        field(FieldKind.TEXT, "Phone", value="+34 600 000 000"),
        field(FieldKind.TEXT, "Note", recipient=None, value="by Ana", filled_by=ANA),
        field(FieldKind.TEXT, "Other", recipient=None, value="by Ben", filled_by=BEN),
        field(FieldKind.TEXT, "BensCity", recipient=BEN, value="Lyon"),
    ]
    assert recipient_form_values(fields, ANA, IDENTITY, SIGNED_ON) == {
        "Name1": "Ana Ruiz",
        "Email1": "ana@example.com",
        "Company1": "Acme Ltd",
        "Title1": "Tenant",
        "Signed": "March 9, 2026",
        "Start": "28/02/26",
        "Agree": "true",
        "Pets": "false",
        "Pay": "Yearly",
        "Plan": "Plus",
        "Phone": "+34 600 000 000",
        "Note": "by Ana",
    }
    assert recipient_form_values(fields, BEN, IDENTITY, SIGNED_ON) == {
        "Other": "by Ben",
        "BensCity": "Lyon",
    }


def test_a_typed_name_never_replaces_the_verified_one() -> None:
    # Even if a name field held a value (an older row), the identity is what is written.
    fields = [field(FieldKind.NAME, "Name1", value="Someone Else")]
    assert recipient_form_values(fields, ANA, IDENTITY, SIGNED_ON) == {"Name1": "Ana Ruiz"}


def test_the_rule_lists_what_keeps_a_recipient_from_finishing() -> None:
    fields = [
        field(FieldKind.DIGITAL_SIGNATURE, "AnaSigns"),
        field(FieldKind.INITIALS, "AnaInitials", required=False),
        field(FieldKind.TEXT, "Phone"),
        field(FieldKind.TEXT, "Optional", required=False),
        field(FieldKind.CHECKBOX, "Agree", value="false"),
        field(FieldKind.RADIO, "Monthly", radio_group_name="Pay"),
        field(FieldKind.RADIO, "Yearly", radio_group_name="Pay", required=False),
        field(FieldKind.DROPDOWN, "Plan", choices=["Basic"]),
        field(FieldKind.DATE, "Start", default_to_signing_date=False),
        field(FieldKind.DATE, "Signed"),  # the signing date fills it
        field(FieldKind.NAME, "Name1"),
        field(FieldKind.COMPANY, "Company1"),
        field(FieldKind.JOB_TITLE, "Title1"),
        field(FieldKind.TEXT, "BensCity", recipient=BEN),
    ]
    missing = [m.name for m in missing_fields(fields, ANA, IDENTITY)]
    assert missing == [
        "AnaSigns",
        "AnaInitials",
        "Phone",
        "Agree",
        "Pay",
        "Plan",
        "Start",
        "Title1",
    ]
    # A reviewer has nothing to do here; an editor fills but does not sign.
    assert requirements(fields, ANA, IDENTITY, "REVIEWER") == []
    editor = [m.name for m in missing_fields(fields, ANA, IDENTITY, "EDITOR")]
    assert editor == missing[2:]
    # Someone without a company must type it.
    nobody = SignerIdentity(name="Ana", email="ana@example.com")
    assert "Company1" in [m.name for m in missing_fields(fields, ANA, nobody)]

    done = [
        field(FieldKind.DIGITAL_SIGNATURE, "AnaSigns", signed=True),
        field(FieldKind.INITIALS, "AnaInitials", signed=True),
        field(FieldKind.TEXT, "Phone", value="600"),
        field(FieldKind.CHECKBOX, "Agree", value="true"),
        field(FieldKind.RADIO, "Monthly", radio_group_name="Pay", value="false"),
        field(FieldKind.RADIO, "Yearly", radio_group_name="Pay", value="true"),
        field(FieldKind.DROPDOWN, "Plan", value="Basic", choices=["Basic"]),
        field(FieldKind.DATE, "Start", value="2026-01-01", default_to_signing_date=False),
        field(FieldKind.JOB_TITLE, "Title1", value="Tenant"),
    ]
    assert missing_fields(done, ANA, IDENTITY) == []
    todo = requirements(done, ANA, IDENTITY)
    assert len(todo) == 8 and all(item.done for item in todo)
