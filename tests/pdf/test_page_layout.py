"""Text wrapped to its box: no line wider than the box, no character lost or reordered."""

from __future__ import annotations

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from signflow.pdf.page_layout import Font, wrap

BODY = Font("Helvetica", 8, 10)
MONO = Font("Courier", 6.5, 8)

TEXTS = [
    "short",
    "Maximiliana Theodora von Hohenzollern-Sigmaringen-Wittelsbach de la Cruz",
    "maximiliana.theodora.von.hohenzollern-sigmaringen@a-very-long-subdomain.example.com",
    '{"signature_sha256": "' + "0123456789abcdef" * 4 + '", "order": 2}',
    "Zoë Ångström, Société Générale, Ærø   with\nnewlines\tand  runs of   spaces",
    "W" * 200,
]


@pytest.mark.parametrize("font", [BODY, MONO])
@pytest.mark.parametrize("width", [20.0, 60.0, 140.0, 500.0])
@pytest.mark.parametrize("text", TEXTS)
def test_lines_fit_and_keep_every_word_in_order(text: str, font: Font, width: float) -> None:
    lines = wrap(text, font, width)
    for line in lines:
        assert line.font == font
        fits = stringWidth(line.text, font.name, font.size) <= width
        # Only a single character wider than the box may overflow it.
        assert fits or len(line.text) == 1, (line.text, width)
    assert "".join(line.text for line in lines).replace(" ", "") == "".join(text.split())
    if all(stringWidth(word, font.name, font.size) <= width for word in text.split()):
        assert " ".join(line.text for line in lines).split() == text.split()


def test_words_are_kept_whole_where_they_fit() -> None:
    text = "one two three four five six seven eight nine ten"
    lines = wrap(text, BODY, 60)
    assert len(lines) > 1
    assert " ".join(line.text for line in lines) == text


def test_a_long_word_is_broken_only_where_the_line_is_full() -> None:
    word = "x" * 100
    lines = wrap(f"a {word}", BODY, 60)
    assert lines[0].text == "a"
    assert "".join(line.text for line in lines[1:]) == word
    for line in lines[1:-1]:
        assert stringWidth(line.text + "x", BODY.name, BODY.size) > 60


def test_nothing_is_shown_as_a_dash() -> None:
    assert [line.text for line in wrap(None, BODY, 100)] == ["-"]
    assert [line.text for line in wrap("", BODY, 100)] == ["-"]
