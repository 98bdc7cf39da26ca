from __future__ import annotations

from signflow.errors import SignflowError


def signinghub_error_body(error: SignflowError) -> dict[str, str]:
    body = {"Message": error.message}
    if error.code:
        body["Error"] = error.code
    return body


def oauth_error_body(error: SignflowError) -> dict[str, str]:
    return {"error": error.code or "invalid_request", "error_description": error.message}
