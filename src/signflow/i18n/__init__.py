"""Languages of what people read: the signer pages and the e-mails.

Texts live in gettext catalogs under `locale/` (the Babel / gettext standard), one
`.po` file per language and domain:

- `pages`: the signer pages. Message ids are stable keys (`status.DECLINED`,
  `error.link`: the pages' message codes, also posted to embedding parents); the
  English catalog holds the English texts and is the fallback of every language.
- `mail`: the e-mails. Message ids are the English sentences of the templates
  (`{% trans %}` blocks), so a text no catalog has yet is sent in English.

`.po` files are compiled in memory the first time a language is used (Babel's
`read_po` and `write_mo`): no build step, nothing generated to commit or forget.
`scripts/i18n` extracts, updates and checks the catalogs.
"""

from signflow.i18n.catalogs import (
    DEFAULT_LANGUAGE,
    LOCALE_DIR,
    MAIL_DOMAIN,
    PAGES_DOMAIN,
    from_accept_language,
    gettext_for,
    languages,
    supported,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALE_DIR",
    "MAIL_DOMAIN",
    "PAGES_DOMAIN",
    "from_accept_language",
    "gettext_for",
    "languages",
    "supported",
]
