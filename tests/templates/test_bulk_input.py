"""A bulk send's rows: CSV and JSON read into the same columns, checked against the
template; a bad row is that row's error, bad columns refuse the whole body."""

from __future__ import annotations

import pytest

from signflow.errors import BadRequest
from signflow.models import TemplateVersion
from signflow.templates.bulk_input import check_rows, parse_body, parse_csv, parse_json_rows


def template() -> TemplateVersion:
    return TemplateVersion(
        template_id=1,
        number=1,
        content={
            "recipients": [{"placeholder": "Tenant"}, {"placeholder": None, "email": "x@y.z"}],
            "fields": [
                {"name": "Rent", "kind": "text"},
                {"name": "Term", "kind": "dropdown", "options": {"choices": ["1y", "2y"]}},
                {"name": "Start", "kind": "date"},
                {"name": "TenantSigns", "kind": "digital_signature"},
            ],
        },
    )


def test_a_csv_with_a_byte_order_mark_quotes_and_blank_lines():
    header, rows = parse_csv(
        '\ufeffTenant email,Tenant NAME,Rent\n\n"a@x.test","Ann, B",1\nb@x.test,Bo\n'.encode()
    )
    assert header == ["Tenant email", "Tenant NAME", "Rent"]
    assert [r.number for r in rows] == [1, 2]
    assert rows[0].cells == {"Tenant email": "a@x.test", "Tenant NAME": "Ann, B", "Rent": "1"}
    assert rows[1].error == "Row 2 has 2 cells; the header has 3"
    checked = check_rows(template(), header, rows)
    assert checked[0].data == {
        "package_name": None,
        "placeholders": [
            {
                "placeholder": "Tenant",
                "user_email": "a@x.test",
                "user_name": "Ann, B",
                "mobile_number": None,
            }
        ],
        "fields": {"Rent": "1"},
    }
    assert checked[1].error == "Row 2 has 2 cells; the header has 3"


def test_json_rows_take_numbers_and_flags_and_each_value_is_checked_by_its_field():
    header, rows = parse_json_rows(
        b'{"rows": [{"Tenant email": "A@X.test", "Term": "2y", "Start": "2027-01-31"},'
        b' {"Tenant email": "b@x.test", "Term": "5y"},'
        b' {"Tenant email": "c@x.test", "Start": "31/01/2027"},'
        b' {"Tenant email": "d@x.test", "Rent": 12.5}]}'
    )
    assert header == ["Tenant email", "Term", "Start", "Rent"]
    first, second, third, fourth = check_rows(template(), header, rows)
    assert first.data["fields"] == {"Term": "2y", "Start": "2027-01-31"}
    assert first.data["placeholders"][0]["user_email"] == "a@x.test"  # type: ignore[index]
    assert second.error is not None and second.error.startswith(
        "Row 2: '5y' is not one of the choices of dropdown field 'Term'"
    )
    assert third.error is not None and third.error.startswith("Row 3: ")
    assert fourth.data["fields"] == {"Rent": "12.5"}


def test_the_body_kind_follows_the_content_type_or_the_first_character():
    assert parse_body(b"Tenant email\na@x.test\n", "text/csv; charset=utf-8")[0] == ["Tenant email"]
    assert parse_body(b' {"rows": []}', None) == ([], [])
    assert parse_body(b"Tenant email\n", "application/octet-stream")[0] == ["Tenant email"]
    with pytest.raises(BadRequest, match="must be text, a number or true/false"):
        parse_body(b'{"rows": [{"Rent": [1]}]}', "application/json")
    with pytest.raises(BadRequest, match="must be an object"):
        parse_body(b'{"rows": [1]}', "application/json")


def test_columns_are_checked_before_any_row():
    with pytest.raises(BadRequest, match="'Tenant email' is missing"):
        check_rows(template(), ["Rent"], [])
    with pytest.raises(BadRequest, match="cannot be prefilled"):
        check_rows(template(), ["Tenant email", "TenantSigns"], [])
    with pytest.raises(BadRequest, match="A column has no name"):
        check_rows(template(), ["Tenant email", ""], [])
