"""An enterprise's branding: display name, logo and accent colour, on pages and in mails."""

from signflow.branding.colors import DEFAULT_ACCENT, check_accent, contrast_ratio
from signflow.branding.logo import MAX_LOGO_BYTES, MAX_LOGO_PIXELS, check_logo
from signflow.branding.view import (
    Branding,
    branding_of,
    effective_language,
    set_branding,
    set_default_language,
)

__all__ = [
    "DEFAULT_ACCENT",
    "MAX_LOGO_BYTES",
    "MAX_LOGO_PIXELS",
    "Branding",
    "branding_of",
    "check_accent",
    "check_logo",
    "contrast_ratio",
    "effective_language",
    "set_branding",
    "set_default_language",
]
