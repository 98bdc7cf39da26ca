"""Outbound webhooks: SSRF-guarded client, Standard Webhooks signing, attempts, retries."""

from signflow.webhooks.retry import MAX_ATTEMPTS, RETRY_DELAYS_SECONDS, next_attempt_delay
from signflow.webhooks.sender import AttemptResult, Outcome, send_once
from signflow.webhooks.signing import build_headers, generate_secret, sign
from signflow.webhooks.ssrf import (
    ForbiddenDestination,
    forbidden_reason,
    guarded_session,
    is_forbidden_address,
    parse_allowed_networks,
    validate_webhook_url,
)

__all__ = [
    "MAX_ATTEMPTS",
    "RETRY_DELAYS_SECONDS",
    "AttemptResult",
    "ForbiddenDestination",
    "Outcome",
    "build_headers",
    "forbidden_reason",
    "generate_secret",
    "guarded_session",
    "is_forbidden_address",
    "next_attempt_delay",
    "parse_allowed_networks",
    "send_once",
    "sign",
    "validate_webhook_url",
]
