"""One signed delivery attempt to one endpoint, classified for the retry logic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum

import aiohttp

from signflow.webhooks.signing import build_headers, sign
from signflow.webhooks.ssrf import ForbiddenDestination

DEFAULT_TIMEOUT_SECONDS = 15.0
EXCERPT_BYTES = 1024


class Outcome(StrEnum):
    SUCCESS = "success"  # a 2xx answer
    RETRY = "retry"  # any other failure: try again on the schedule
    GONE = "gone"  # 410: the receiver asks us to disable the endpoint
    FAILED = "failed"  # will not work by retrying: refused destination, unusable URL


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    status_code: int | None
    latency_ms: int
    error: str | None = None
    retry_after: float | None = None
    response_excerpt: str = ""


async def send_once(
    client: aiohttp.ClientSession,
    url: str,
    msg_id: str,
    body: bytes,
    secrets: Sequence[str],
    now: int,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,  # noqa: ASYNC109 (a total deadline, enforced here)
) -> AttemptResult:
    """POST `body` to `url` once, signed with every secret in `secrets` at time `now`."""
    headers = build_headers(msg_id, now, sign(secrets, msg_id, now, body))
    started = time.perf_counter()

    def elapsed_ms() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        async with (
            asyncio.timeout(timeout),
            client.post(url, data=body, headers=headers, allow_redirects=False) as response,
        ):
            excerpt = await _read_excerpt(response)
    except ForbiddenDestination as exc:
        return AttemptResult(Outcome.FAILED, None, elapsed_ms(), error=str(exc))
    except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError, ValueError) as exc:
        return AttemptResult(Outcome.FAILED, None, elapsed_ms(), error=f"unusable URL: {exc}")
    except TimeoutError:
        return AttemptResult(
            Outcome.RETRY, None, elapsed_ms(), error=f"no answer within {timeout:g} s"
        )
    except (aiohttp.ClientError, OSError) as exc:
        detail = str(exc) or type(exc).__name__
        return AttemptResult(Outcome.RETRY, None, elapsed_ms(), error=f"connection: {detail}")
    return _classify(response, excerpt, elapsed_ms(), now)


async def _read_excerpt(response: aiohttp.ClientResponse) -> str:
    collected = bytearray()
    while len(collected) < EXCERPT_BYTES:
        chunk = await response.content.read(EXCERPT_BYTES - len(collected))
        if not chunk:
            break
        collected += chunk
    return bytes(collected).decode("utf-8", errors="replace")


def _classify(
    response: aiohttp.ClientResponse, excerpt: str, latency_ms: int, now: int
) -> AttemptResult:
    status = response.status
    if 200 <= status < 300:
        return AttemptResult(Outcome.SUCCESS, status, latency_ms, response_excerpt=excerpt)
    if status == 410:
        return AttemptResult(
            Outcome.GONE, status, latency_ms, error="410 Gone", response_excerpt=excerpt
        )
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        error = f"{status} redirect (to {location!r}) not followed"
    else:
        error = f"{status} {response.reason or ''}".strip()
    retry_after = (
        parse_retry_after(response.headers.get("retry-after"), now)
        if status in (429, 503)
        else None
    )
    return AttemptResult(
        Outcome.RETRY,
        status,
        latency_ms,
        error=error,
        retry_after=retry_after,
        response_excerpt=excerpt,
    )


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
