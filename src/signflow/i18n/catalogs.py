"""The gettext catalogs: which languages exist, and their translations compiled in memory."""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
PAGES_DOMAIN = "pages"
MAIL_DOMAIN = "mail"


def po_path(language: str, domain: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


@cache
def languages() -> tuple[str, ...]:
    """Every language with page texts, English first: a language is a `pages.po`."""
    found = sorted(
        p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{PAGES_DOMAIN}.po")
    )
    return (DEFAULT_LANGUAGE, *(code for code in found if code != DEFAULT_LANGUAGE))


def supported(code: str | None) -> str | None:
    """The language a code names (`es`, `es-CO`, `ES`, `pt_BR`), when we have its texts."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in languages() else None


def from_accept_language(header: str | None) -> str | None:
    """The best language of an Accept-Language header that we have texts for."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        code = supported(tag)
        if code and quality > 0:
            choices.append((-quality, index, code))
    return min(choices)[2] if choices else None


@cache
def _compiled(language: str, domain: str) -> gettext.NullTranslations | None:
    path = po_path(language, domain)
    if not path.is_file():
        return None
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=domain)
    buffer = BytesIO()
    # Fuzzy entries are guesses of `update`: never shown until a translator confirms them.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(language: str, domain: str) -> gettext.NullTranslations:
    """The translations of `domain` in `language` (any spelling `supported` accepts),
    falling back to English, then to the message id itself (an English sentence in
    `mail`, a key in `pages`)."""
    return _chain(supported(language) or DEFAULT_LANGUAGE, domain)


@cache
def _chain(code: str, domain: str) -> gettext.NullTranslations:
    # Cached per supported code: each compiled catalog gets its fallback once.
    english = _compiled(DEFAULT_LANGUAGE, domain)
    chain = english if english is not None else gettext.NullTranslations()
    own = _compiled(code, domain)
    if own is None or own is english:
        return chain
    own.add_fallback(chain)
    return own
