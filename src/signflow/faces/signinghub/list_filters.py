"""The headers that filter SigningHub's paged list calls (templates, library documents,
contacts, groups): `x-search-text` and `x-enterprise`, plain text or base64."""

from __future__ import annotations

from signflow.errors import BadRequest
from signflow.faces.signinghub.packages import decode_header

TRUE_WORDS = {"true", "1", "yes", "enterprise"}
FALSE_WORDS = {"false", "0", "no", "personal"}


def search_text(value: str | None) -> str | None:
    return decode_header(value, "x-search-text")


def enterprise_flag(value: str | None) -> bool | None:
    """The `x-enterprise` header: the enterprise's (shared) items only, personal only, or
    (absent) both."""
    decoded = decode_header(value, "x-enterprise")
    if decoded is None:
        return None
    word = decoded.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadRequest("The x-enterprise header must be true or false")


def list_filters(
    x_search_text: str | None, x_enterprise: str | None
) -> tuple[str | None, bool | None]:
    """Both headers, decoded in that order (a bad search text is the error named first)."""
    return search_text(x_search_text), enterprise_flag(x_enterprise)
