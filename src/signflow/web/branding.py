"""The enterprise's branding on the signer pages (its two files: `web/brand_files.py`).

A page learns its enterprise when its route loads the recipient, package or account
(`remember`); `render` then shows that enterprise's name, logo and accent. The CSP
allows no inline style, so the accent comes as a stylesheet whose URL names the
colour (`/web/brand/accent/0b57d0.css`: the same bytes for everyone, cacheable for
ever); the logo's URL names its SHA-256 (`/web/brand/logo/<sha256>`): unguessable
without the image, immutable, and it names no enterprise.
"""

from __future__ import annotations

from fastapi import Request

from signflow.branding import Branding, branding_of, effective_language
from signflow.branding.colors import DEFAULT_ACCENT
from signflow.models import Enterprise, Recipient

LOGO_PATH = "/web/brand/logo/{sha256}"
ACCENT_PATH = "/web/brand/accent/{color}.css"


def remember(request: Request, enterprise: Enterprise | None) -> None:
    """The enterprise whose branding this request's page shows."""
    request.state.branding = branding_of(enterprise)


def page_branding(request: Request) -> Branding:
    branding = getattr(request.state, "branding", None)
    return branding if isinstance(branding, Branding) else Branding()


def recipient_language(recipient: Recipient, enterprise: Enterprise) -> str | None:
    """The language the recipient's first page opens in, when they or their enterprise
    have one (else the browser decides)."""
    if recipient.language is None and enterprise.default_language is None:
        return None
    return effective_language(recipient.language, enterprise)


def accent_stylesheet_url(branding: Branding) -> str | None:
    if branding.accent == DEFAULT_ACCENT:
        return None
    return ACCENT_PATH.format(color=branding.accent.removeprefix("#"))


def logo_url(branding: Branding) -> str | None:
    return LOGO_PATH.format(sha256=branding.logo_sha256) if branding.logo_sha256 else None
