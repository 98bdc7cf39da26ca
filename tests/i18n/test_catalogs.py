"""The catalogs: complete in every language, in step with the templates, placeholders kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from signflow.i18n import (
    DEFAULT_LANGUAGE,
    MAIL_DOMAIN,
    PAGES_DOMAIN,
    catalogs,
    gettext_for,
    languages,
    maintenance,
)
from signflow.notify.messages import _environment, your_turn_to_sign
from signflow.web.i18n import Translator, has_text

REQUIRED = {"en", "es", "de", "fr", "nl", "pt"}
TRANSLATED = sorted(REQUIRED - {DEFAULT_LANGUAGE})
STATUSES = ["UN_PROCESSED", "IN_PROGRESS", "SIGNED", "REVIEWED", "EDITED", "DECLINED"]
WORKFLOWS = ["DRAFT", "SHARED", "COMPLETED", "DECLINED", "EXPIRED"]


def test_the_six_languages_are_there() -> None:
    assert set(languages()) >= REQUIRED
    assert languages()[0] == DEFAULT_LANGUAGE


@pytest.mark.parametrize("domain", [PAGES_DOMAIN, MAIL_DOMAIN])
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_covers_every_msgid_of_the_template(language: str, domain: str) -> None:
    template = maintenance.read_catalog(maintenance.pot_path(domain))
    assert len([m for m in template if m.id]) > 40
    assert maintenance.missing(language, domain, template) == []
    assert list(maintenance.wrong_placeholders(language, domain)) == []


def test_the_templates_are_what_extraction_gives() -> None:
    """The committed .pot files are current: `scripts/i18n extract` would change nothing."""
    for domain, fresh in (
        (MAIL_DOMAIN, maintenance.mail_template()),
        (PAGES_DOMAIN, maintenance.pages_template()),
    ):
        committed = maintenance.read_catalog(maintenance.pot_path(domain))
        assert {m.id for m in fresh if m.id} == {m.id for m in committed if m.id}, domain


def test_every_page_key_has_an_english_text() -> None:
    english = maintenance.read_catalog(
        maintenance.po_path(DEFAULT_LANGUAGE, PAGES_DOMAIN), DEFAULT_LANGUAGE
    )
    texts = {str(m.id): m.string for m in english if m.id}
    assert all(texts.values()), [k for k, v in texts.items() if not v]
    assert maintenance.keys_used_by_pages() - set(texts) == set()


@pytest.mark.parametrize("language", TRANSLATED)
def test_status_words_are_translated_never_raw(language: str) -> None:
    t = Translator(language)
    english = Translator(DEFAULT_LANGUAGE)
    for status in STATUSES:
        word = t(f"status.{status}")
        assert word != status and word != english(f"status.{status}"), (language, status)
    for status in WORKFLOWS:
        assert t(f"workflow.{status}") not in (status, english(f"workflow.{status}"))
    environment = _environment(language)
    assert environment.globals["status_word"]("DECLINED") == t("status.DECLINED")


def test_a_template_with_texts_no_catalog_has_is_sent_in_english(tmp_path: Path) -> None:
    """A mail another engineer adds in English renders in English in every language, with
    or without `{% trans %}` blocks, until its texts are extracted and translated."""
    environment = _environment("de")
    marked = environment.from_string(
        "{% trans name=person %}Your group {{ name }} has a new member.{% endtrans %} "
        "{% trans %}Hello,{% endtrans %}"
    )
    assert marked.render(person="HR") == "Your group HR has a new member. Hallo,"
    plain = environment.from_string("Plain English {{ x }}")
    assert plain.render(x="text") == "Plain English text"
    assert gettext_for("de", MAIL_DOMAIN).gettext("Never extracted") == "Never extracted"


def test_an_unknown_or_odd_language_code_falls_back() -> None:
    for code in ("xx", "../de", "", "pt-BR"):
        message = your_turn_to_sign(
            mail_from="a@b.example",
            to="c@d.example",
            recipient_name="Ana",
            package_name="P",
            sender_name="Bo",
            signing_link="https://s.example/x",
            language=code,
        )
        expected = "Bo pede-lhe que assine «P»" if code == "pt-BR" else 'Bo asks you to sign "P"'
        assert message["Subject"] == expected, code
    assert Translator("pt-BR")("status.SIGNED") == "Assinado"


def test_catalog_files_parse_with_their_plural_forms() -> None:
    for language in TRANSLATED:
        path = maintenance.po_path(language, MAIL_DOMAIN)
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
        for message in catalog:
            if message.pluralizable:
                assert len(message.string) == catalog.num_plurals
                assert all(message.string), (language, message.id)


def test_texts_of_the_former_json_files_move_into_the_catalogs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A branch written before the catalogs brings `web/messages/<code>.json`: its new
    keys move into `pages.po`, and what the catalogs already say is kept."""
    locale = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, locale)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", locale)
    messages = tmp_path / "messages"
    messages.mkdir()
    (messages / "en.json").write_text(json.dumps({"lang.name": "X", "group.new": "New group"}))
    (messages / "es.json").write_text(json.dumps({"group.new": "Grupo nuevo"}))
    assert maintenance.import_json(messages) == {"en": 1, "es": 1}
    english = maintenance.read_catalog(locale / "en/LC_MESSAGES/pages.po", "en")
    assert english.get("group.new").string == "New group"
    assert english.get("lang.name").string == "English"
    spanish = maintenance.read_catalog(locale / "es/LC_MESSAGES/pages.po", "es")
    assert spanish.get("group.new").string == "Grupo nuevo"


def test_an_empty_key_is_no_text() -> None:
    """gettext("") answers a catalog's header: never shown as a message."""
    assert Translator("de")("") == ""
    assert not has_text("")
    assert has_text("error.link") and not has_text("Document not found")


def test_spellings_of_one_language_share_one_chain() -> None:
    """`de`, `de-AT` and `DE` are one catalog, whose fallback is set once (a second
    would make English its own fallback, and a missing text would never end)."""
    for code in ("de", "de-AT", "DE", "de_CH"):
        assert gettext_for(code, PAGES_DOMAIN).gettext("status.SIGNED") == "Unterschrieben"
        assert gettext_for(code, PAGES_DOMAIN).gettext("no.such.key") == "no.such.key"
        assert gettext_for(code, MAIL_DOMAIN).gettext("Never extracted") == "Never extracted"
