from __future__ import annotations

import pytest
from reportlab.lib.pagesizes import A4

from signflow.errors import BadRequest
from signflow.pdf.text_search import find_text, find_text_async
from tests.pdf import builders


def _document() -> bytes:
    return builders.make_pdf(
        [A4, A4, A4],
        ["Please Sign Here: ________", "nothing to see", "sign here and SIGN HERE"],
        text_at=(100, 500),
    )


def test_finds_every_occurrence_case_insensitively() -> None:
    hits = find_text(_document(), "sign here")
    assert [hit.page_index for hit in hits] == [0, 2, 2]
    assert hits[1].x < hits[2].x


def test_hit_is_a_box_in_points_from_the_bottom_left() -> None:
    first = find_text(_document(), "please")[0]
    assert first.x == pytest.approx(100, abs=1.5)
    assert first.y == pytest.approx(500, abs=4)  # the baseline; descenders go a little below
    assert 30 < first.width < 45  # "Please" in 12 pt Helvetica is about 37 pt wide
    assert 6 < first.height < 14


def test_no_match_gives_an_empty_list() -> None:
    assert find_text(_document(), "signature") == []


async def test_async_variant() -> None:
    assert len(await find_text_async(_document(), "SIGN")) == 3


@pytest.mark.parametrize("query", ["", "   ", "x" * 201])
def test_empty_or_overlong_query_is_a_bad_request(query: str) -> None:
    with pytest.raises(BadRequest):
        find_text(_document(), query)
