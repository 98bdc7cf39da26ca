"""The error family. Every expected failure is a SignflowError carrying its HTTP status.

    SignflowError (500)
    ├── BadRequest (400)
    │   └── InvalidPdf (400)          a PDF refused at intake
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── KeepsChanges              the request commits, then answers the error
    ├── NotFound (404)
    ├── Conflict (409)
    ├── Gone (410)                    content removed for good (retention)
    ├── RequestTimeout (408)
    ├── PayloadTooLarge (413)
    ├── TooManyRequests (429)         carries Retry-After
    ├── OAuthError (400/401)          rendered in OAuth shape by /authenticate
    └── ServiceUnavailable (503)

Each face renders these in its own shape (SigningHub: {"Message"}, OKdokument:
{"message", "value"}). A 500 never carries a trace.
"""

from __future__ import annotations

from collections.abc import Mapping

INTERNAL_ERROR_TEXT = "An internal server error occurred while processing the request"


class SignflowError(Exception):
    status_code: int = 500
    default_message: str = INTERNAL_ERROR_TEXT

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        value: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code  # machine-readable code, e.g. "otp_required"
        self.value = value  # the offending id or parameter (OKdokument's "value")
        self.headers = dict(headers or {})
        super().__init__(self.message)


class KeepsChanges(SignflowError):
    """An error whose request still commits what it wrote before raising it.

    A failed identity check must count although the request fails: the request
    route commits, then answers this error (see faces.routing.TransactionalRoute).
    """


class BadRequest(SignflowError):
    status_code = 400
    default_message = "The request is not valid"


class InvalidPdf(BadRequest):
    default_message = "The file is not a valid PDF document"


class Unauthorized(SignflowError):
    status_code = 401
    default_message = "Request authorization denied"


class Forbidden(SignflowError):
    status_code = 403
    default_message = "You are not allowed to perform the requested operation"


class NotFound(SignflowError):
    status_code = 404
    default_message = "Document not found"


class Conflict(SignflowError):
    status_code = 409
    default_message = "The request conflicts with the current state"


class Gone(SignflowError):
    status_code = 410
    default_message = "The requested content was removed"


class RequestTimeout(SignflowError):
    status_code = 408
    default_message = "The request body arrived too slowly"


class PayloadTooLarge(SignflowError):
    status_code = 413
    default_message = "The request body is too large"


class TooManyRequests(SignflowError):
    status_code = 429
    default_message = "Too many attempts; try again later"

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(
            message, code="too_many_requests", headers={"Retry-After": str(max(1, retry_after))}
        )
        self.retry_after = retry_after


class ServiceUnavailable(SignflowError):
    status_code = 503
    default_message = "The service is temporarily unavailable"


class OAuthError(SignflowError):
    """An error of the token endpoint, rendered as {"error", "error_description"}."""

    status_code = 400

    def __init__(self, error: str, description: str, *, status_code: int = 400) -> None:
        super().__init__(description, code=error)
        self.status_code = status_code
