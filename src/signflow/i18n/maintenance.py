"""Extracting, updating and checking the catalogs (`scripts/i18n` runs these).

- `extract`: writes `locale/mail.pot` from the mail templates' `{% trans %}` blocks
  (Babel's Jinja2 extractor), and `locale/pages.pot` from the English `pages.po` (the
  pages' keys and their English texts, shown to translators as comments). It also
  returns the keys the page templates and modules ask for (`t('...')`) that the English
  catalog lacks.
- `update`: merges each `.pot` into every language's `.po`: new messages arrive empty,
  removed ones go. Never fuzzy guesses: a translator fills each one.
- `missing`: per language and domain, the template's message ids a catalog does not
  translate (empty or fuzzy). The tests require none.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from signflow.i18n.catalogs import (
    DEFAULT_LANGUAGE,
    LOCALE_DIR,
    MAIL_DOMAIN,
    PAGES_DOMAIN,
    po_path,
)

PACKAGE_DIR = LOCALE_DIR.parent.parent
MAIL_TEMPLATES = PACKAGE_DIR / "notify" / "templates"
WEB_DIR = PACKAGE_DIR / "web"
# A fixed date keeps the header out of every diff.
STAMP = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# The mail environment's i18n settings, the same for extraction and rendering.
JINJA_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "trimmed": "true",
    "newstyle_gettext": "true",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
}
# `t('key')` or `t("key", name=...)`; not `t('status.' ~ status)`, a built key.
_KEY_CALL = re.compile(r"""\bt\(\s*['"]([a-zA-Z_][\w.]*)['"]\s*[,)]""")


def pot_path(domain: str) -> Path:
    return LOCALE_DIR / f"{domain}.pot"


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language)


def write_catalog(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.creation_date = STAMP
    catalog.revision_date = STAMP
    with path.open("wb") as target:
        write_po(target, catalog, width=0, ignore_obsolete=True, include_previous=False)


def new_catalog(language: str | None, domain: str) -> Catalog:
    return Catalog(
        locale=language,
        domain=domain,
        project="Signflow",
        version="",
        copyright_holder="Signflow",
        msgid_bugs_address="",
        creation_date=STAMP,
        revision_date=STAMP,
        fuzzy=False,
    )


def mail_template() -> Catalog:
    catalog = new_catalog(None, MAIL_DOMAIN)
    method_map = [("**.html", "jinja2"), ("**.txt", "jinja2")]
    options_map = {pattern: JINJA_OPTIONS for pattern, _ in method_map}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(MAIL_TEMPLATES), method_map, options_map
    ):
        catalog.add(
            message,
            locations=[(filename, lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def pages_template() -> Catalog:
    english = read_catalog(po_path(DEFAULT_LANGUAGE, PAGES_DOMAIN), DEFAULT_LANGUAGE)
    catalog = new_catalog(None, PAGES_DOMAIN)
    for message in english:
        if message.id:
            catalog.add(message.id, auto_comments=[f"English: {message.string}"])
    return catalog


def keys_used_by_pages() -> set[str]:
    """The literal keys the page templates and modules pass to `t(...)`."""
    found: set[str] = set()
    for path in [*WEB_DIR.rglob("*.html"), *WEB_DIR.rglob("*.py")]:
        found.update(_KEY_CALL.findall(path.read_text(encoding="utf-8")))
    return found


def extract() -> list[str]:
    """Write both templates; answer the page keys used but missing in English."""
    write_catalog(pot_path(MAIL_DOMAIN), mail_template())
    pages = pages_template()
    write_catalog(pot_path(PAGES_DOMAIN), pages)
    known = {str(m.id) for m in pages if m.id}
    return sorted(keys_used_by_pages() - known)


def translated_languages() -> list[str]:
    """The languages translated from English (the source of both domains: the English
    `pages.po` is written by hand, the mails' English is in their templates)."""
    found = LOCALE_DIR.glob(f"*/LC_MESSAGES/{PAGES_DOMAIN}.po")
    return sorted(p.parent.parent.name for p in found if p.parent.parent.name != DEFAULT_LANGUAGE)


def update() -> list[Path]:
    written = []
    for domain in (PAGES_DOMAIN, MAIL_DOMAIN):
        template = read_catalog(pot_path(domain))
        for language in translated_languages():
            path = po_path(language, domain)
            catalog = (
                read_catalog(path, language) if path.is_file() else new_catalog(language, domain)
            )
            catalog.update(template, no_fuzzy_matching=True)
            write_catalog(path, catalog)
            written.append(path)
    return written


def init(language: str) -> list[Path]:
    """Start a language: empty catalogs of both domains."""
    written = []
    for domain in (PAGES_DOMAIN, MAIL_DOMAIN):
        path = po_path(language, domain)
        if path.exists():
            continue
        catalog = new_catalog(language, domain)
        catalog.update(read_catalog(pot_path(domain)), no_fuzzy_matching=True)
        write_catalog(path, catalog)
        written.append(path)
    return written


def missing(language: str, domain: str, template: Catalog | None = None) -> list[str]:
    """The template's message ids that `language` does not translate."""
    template = template or read_catalog(pot_path(domain))
    path = po_path(language, domain)
    catalog = read_catalog(path, language) if path.is_file() else new_catalog(language, domain)
    gaps = []
    for message in template:
        if not message.id:
            continue
        own = catalog.get(message.id, message.context)
        forms = (
            own.string
            if own is not None and isinstance(own.string, tuple)
            else (own and own.string,)
        )
        if own is None or own.fuzzy or not all(forms):
            gaps.append(str(message.id))
    return gaps


def import_json(directory: Path) -> dict[str, int]:
    """Move page texts from the former JSON files (`web/messages/<code>.json`, key ->
    text) into each language's `pages.po`, keeping texts the catalog already has; answers
    how many each language gained. A branch written before the catalogs may bring some."""
    gained: dict[str, int] = {}
    for source in sorted(directory.glob("*.json")):
        language = source.stem
        texts = json.loads(source.read_text(encoding="utf-8"))
        path = po_path(language, PAGES_DOMAIN)
        catalog = (
            read_catalog(path, language) if path.is_file() else new_catalog(language, PAGES_DOMAIN)
        )
        count = 0
        for key, text in texts.items():
            own = catalog.get(key)
            if own is None or not own.string:
                catalog.add(key, text)
                count += 1
        write_catalog(path, catalog)
        gained[language] = count
    return gained


def placeholders(text: str, domain: str) -> set[str]:
    pattern = r"%\((\w+)\)s" if domain == MAIL_DOMAIN else r"\{(\w+)\}"
    return set(re.findall(pattern, text))


def wrong_placeholders(language: str, domain: str) -> Iterator[str]:
    """Translations whose placeholders differ from the source text's (a crash or a gap)."""
    path = po_path(language, domain)
    english = (
        read_catalog(po_path(DEFAULT_LANGUAGE, PAGES_DOMAIN), DEFAULT_LANGUAGE)
        if domain == PAGES_DOMAIN
        else None
    )
    for message in read_catalog(path, language):
        if not message.id or not message.string:
            continue
        source = str(message.id)
        if english is not None:
            own = english.get(message.id)
            source = str(own.string) if own is not None else source
        if placeholders(source, domain) != placeholders(str(message.string), domain):
            yield str(message.id)
