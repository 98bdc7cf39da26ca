"""A refusal of what a form asked, said on the form's own page in the reader's language."""

from __future__ import annotations

from signflow.errors import SignflowError
from signflow.web.i18n import has_text


def said(exc: SignflowError) -> tuple[str, dict[str, str]]:
    """The catalog key and its values: the app's own key, or the core's message quoted."""
    if has_text(exc.message):
        return exc.message, {}
    return "error.refused", {"message": exc.message}
