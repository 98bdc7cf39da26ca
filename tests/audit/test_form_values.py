"""The evidence report's form values, from a history (no database): who entered what,
when, and in which revision it was written."""

from __future__ import annotations

import datetime as dt

from signflow.audit.form_values import (
    AS_SHARED,
    FROM_SIGNING,
    NOT_WRITTEN,
    REPLACED,
    EnteredValue,
    entered_values,
)
from signflow.models import HistoryEntry

START = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
OWNER, ANA = "owner@acme.test", "ana@acme.test"


def entry(minute: int, action: str, who: str, **details: object) -> HistoryEntry:
    return HistoryEntry(
        action=action,
        user_email=who,
        created_at=START + dt.timedelta(minutes=minute),
        details=details,
    )


def test_every_value_with_who_when_and_where_it_was_written() -> None:
    history = [
        entry(0, "FIELD_ADDED", OWNER, document_id=5, field_name="Rent", value="1200"),
        entry(1, "FIELD_ADDED", OWNER, document_id=5, field_name="AnaSigns", value=None),
        entry(2, "PACKAGE_SHARED", OWNER),
        entry(
            3,
            "FORM_FILLED",
            ANA,
            document_id=5,
            fields=[
                {"field_name": "Phone", "field_type": "text", "value": "600"},
                {"field_name": "Start", "field_type": "date", "value": "2026-04-01"},
            ],
        ),
        entry(
            4,
            "FORM_FILLED",
            ANA,
            document_id=5,
            fields=[
                {"field_name": "Phone", "field_type": "text", "value": "700"},
                {
                    "field_name": "Yearly",
                    "field_type": "radio",
                    "value": True,
                    "radio_group_name": "Pay",
                },
                {"field_name": "Note", "field_type": "text", "value": "not signed"},
            ],
        ),
        entry(
            5,
            "FORM_FILLED",
            ANA,
            document_id=6,
            fields=[
                {"field_name": "City", "field_type": "text", "value": "Lyon"},
            ],
        ),
        entry(
            6,
            "DOCUMENT_SIGNED",
            ANA,
            document_id=5,
            version=2,
            form_values={
                "Rent": "1200",
                "Phone": "700",
                "Start": "01/04/2026",
                "Pay": "Yearly",
                "Name1": "Ana Ruiz",
            },
        ),
    ]
    names = {5: "lease.pdf", 6: "annex.pdf"}
    at = [START + dt.timedelta(minutes=m) for m in range(7)]
    values = entered_values(history, names)
    # Note was entered but never under a signature: not in the document.
    note = next(v for v in values if v.field == "Note")
    assert note.revision == NOT_WRITTEN
    assert values == [
        EnteredValue("lease.pdf", "Rent", "1200", OWNER, at[0], AS_SHARED),
        EnteredValue("lease.pdf", "Phone", "600", ANA, at[3], REPLACED),
        EnteredValue(
            "lease.pdf", "Start", "2026-04-01 (shown as 01/04/2026)", ANA, at[3], "version 2"
        ),
        EnteredValue("lease.pdf", "Phone", "700", ANA, at[4], "version 2"),
        EnteredValue("lease.pdf", "Pay", "Yearly", ANA, at[4], "version 2"),
        note,
        EnteredValue("annex.pdf", "City", "Lyon", ANA, at[5], NOT_WRITTEN),
        EnteredValue("lease.pdf", "Name1", "Ana Ruiz" + FROM_SIGNING, ANA, at[6], "version 2"),
    ]
