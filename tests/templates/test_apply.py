"""Which placeholders an apply may fill: the template's own, once each."""

from __future__ import annotations

import pytest

from signflow.errors import BadRequest
from signflow.models import TemplateVersion
from signflow.templates.apply import PlaceholderFill, check_fills


def version(*titles: str | None) -> TemplateVersion:
    recipients = [
        {"placeholder": title, "email": "" if title else "fixed@acme.test"} for title in titles
    ]
    return TemplateVersion(template_id=1, number=1, content={"recipients": recipients})


def test_each_fill_names_a_placeholder_of_the_template():
    fills = check_fills(
        version("Tenant", None, "Landlord"),
        [PlaceholderFill(" Landlord ", " Dee@Acme.TEST ", "Dee")],
    )
    assert fills == {"Landlord": PlaceholderFill("Landlord", "dee@acme.test", "Dee")}


def test_an_unknown_placeholder_is_named_with_the_known_ones():
    with pytest.raises(BadRequest) as refused:
        check_fills(version("Tenant", None), [PlaceholderFill("Witness", "w@acme.test")])
    assert refused.value.message == (
        "Unknown placeholder 'Witness': the template's placeholders are Tenant"
    )
    assert refused.value.code == "unknown_placeholder"
    with pytest.raises(BadRequest, match="placeholders are none"):
        check_fills(version(None), [PlaceholderFill("Tenant", "t@acme.test")])


def test_a_placeholder_is_filled_once_with_a_valid_address():
    with pytest.raises(BadRequest, match="filled twice"):
        check_fills(
            version("Tenant"),
            [PlaceholderFill("Tenant", "a@acme.test"), PlaceholderFill("Tenant", "b@acme.test")],
        )
    with pytest.raises(BadRequest, match="not a valid email"):
        check_fills(version("Tenant"), [PlaceholderFill("Tenant", "nobody")])
