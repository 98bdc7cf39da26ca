"""Which levels of assurance Signflow accepts, and the words it refuses the others with."""

from __future__ import annotations

import pytest

from signflow.errors import BadRequest
from signflow.signing.assurance import NOT_PROVIDED, PROVIDED, accepted_levels, require_providable


def test_provided_levels_are_accepted_in_any_case() -> None:
    assert accepted_levels(None) is None
    assert accepted_levels("advanced_electronic_seal") == ["ADVANCED_ELECTRONIC_SEAL"]
    assert accepted_levels(list(PROVIDED)) == list(PROVIDED)


@pytest.mark.parametrize("level", NOT_PROVIDED)
def test_qualified_levels_are_refused_naming_what_is_provided(level: str) -> None:
    with pytest.raises(BadRequest) as refused:
        accepted_levels(["ELECTRONIC_SIGNATURE", level])
    assert level in refused.value.message
    assert "ADVANCED_ELECTRONIC_SIGNATURE" in refused.value.message


def test_a_stored_level_is_checked_again_at_signing() -> None:
    require_providable(None)
    require_providable(["ELECTRONIC_SEAL"])
    with pytest.raises(BadRequest):
        require_providable("QUALIFIED_ELECTRONIC_SEAL")
    with pytest.raises(BadRequest):
        require_providable({"not": "a list"})
