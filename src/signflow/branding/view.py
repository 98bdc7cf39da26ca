"""What pages and mails show of an enterprise's branding, and setting it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from signflow.branding.colors import DEFAULT_ACCENT, check_accent, darker
from signflow.branding.logo import check_logo
from signflow.errors import BadRequest
from signflow.i18n import DEFAULT_LANGUAGE, languages, supported
from signflow.models import Enterprise


@dataclass(frozen=True)
class Branding:
    display_name: str | None = None
    accent: str = DEFAULT_ACCENT
    logo_sha256: str | None = None
    logo_type: str | None = None
    # The logo's bytes, loaded only for mails (which carry it inline); pages link to it.
    logo: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def on_accent(self) -> str:
        """Text on the accent: white (every accepted accent has 4.5:1 with it)."""
        return "#ffffff"

    @property
    def accent_dark(self) -> str:
        return darker(self.accent)

    @property
    def link(self) -> str:
        return self.accent

    @property
    def is_custom(self) -> bool:
        return bool(self.display_name or self.logo_sha256 or self.accent != DEFAULT_ACCENT)


def branding_of(enterprise: Enterprise | None, logo: bytes | None = None) -> Branding:
    if enterprise is None:
        return Branding()
    return Branding(
        display_name=enterprise.display_name,
        accent=enterprise.accent_color or DEFAULT_ACCENT,
        logo_sha256=enterprise.logo_sha256,
        logo_type=enterprise.logo_type,
        logo=logo if enterprise.logo_sha256 else None,
    )


def set_branding(
    enterprise: Enterprise,
    *,
    display_name: str | None,
    accent_color: str | None,
    logo: bytes | None,
    keep_logo: bool = False,
) -> None:
    """Replace all three (None clears one), or the name and colour only with `keep_logo`
    (the saved logo is neither read nor checked again); checked before anything changes."""
    name = (display_name or "").strip() or None
    accent = check_accent(accent_color) if accent_color is not None else None
    logo_type = check_logo(logo) if logo is not None else None
    enterprise.display_name = name
    enterprise.accent_color = accent
    if keep_logo:
        return
    enterprise.logo = logo
    enterprise.logo_type = logo_type
    enterprise.logo_sha256 = hashlib.sha256(logo).hexdigest() if logo is not None else None


def set_default_language(enterprise: Enterprise, code: str | None) -> None:
    """The language of the enterprise's recipients who have none of their own (None or
    empty: the browser's, else English); BadRequest for a language Signflow lacks."""
    code = (code or "").strip()
    language = supported(code) if code else None
    if code and language is None:
        raise BadRequest(
            f"Language '{code}' is not supported; use one of: {', '.join(languages())}"
        )
    enterprise.default_language = language


def effective_language(own: str | None, enterprise: Enterprise | None) -> str:
    """A person's language: their own, else their enterprise's default, else English."""
    for candidate in (own, enterprise.default_language if enterprise is not None else None):
        code = supported(candidate)
        if code:
            return code
    return DEFAULT_LANGUAGE
