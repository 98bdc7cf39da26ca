from __future__ import annotations

from signflow.errors import SignflowError


def okdokument_error_body(error: SignflowError) -> dict[str, str]:
    return {"message": error.message, "value": error.value or ""}
