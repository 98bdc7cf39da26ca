"""Texts of the signer pages: the `pages` gettext domain of `signflow.i18n`.

Templates and routes name a text by its key (`t('todo.sign', left=2, total=3)`); the
English catalog gives its English text, each language's catalog its translation
(`{name}` placeholders are filled with `str.format`). Adding a language is adding
`locale/<code>/LC_MESSAGES/pages.po` (`scripts/i18n init <code>`); nothing in the code
names a language except the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from signflow.i18n import (
    DEFAULT_LANGUAGE,
    PAGES_DOMAIN,
    from_accept_language,
    gettext_for,
    languages,
    supported,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "Translator",
    "from_accept_language",
    "has_text",
    "language_names",
    "languages",
    "supported",
]


@dataclass(frozen=True)
class Translator:
    language: str

    def __call__(self, key: str, **values: object) -> str:
        text = gettext_for(self.language, PAGES_DOMAIN).gettext(key) if key else key
        return text.format(**values) if values else text


def language_names() -> dict[str, str]:
    """Each language's name in itself, for the language switch."""
    return {code: Translator(code)("lang.name") for code in languages()}


def has_text(key: str) -> bool:
    """Whether the English catalog has a text for `key` (a known message key)."""
    # "" would find the catalog's header.
    return bool(key) and gettext_for(DEFAULT_LANGUAGE, PAGES_DOMAIN).gettext(key) != key
