from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from standardwebhooks import Webhook

from signflow.webhooks.sender import Outcome, parse_retry_after, send_once
from signflow.webhooks.signing import generate_secret
from tests.webhooks.receiver import Receiver, Reply

BODY = json.dumps({"package": "42", "name": "Lease 2026", "status": "CREATE"}).encode()


async def test_2xx_is_success_and_the_receiver_can_verify_it(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    secret = generate_secret()
    receiver.replies["/hook"] = Reply(202, body=b"thanks")
    now = int(time.time())
    result = await send_once(loopback_client, receiver.url(), "msg_1", BODY, [secret], now)
    assert result.outcome is Outcome.SUCCESS
    assert result.status_code == 202
    assert result.error is None
    assert result.response_excerpt == "thanks"
    assert result.latency_ms >= 0
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.body == BODY
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["webhook-timestamp"] == str(now)
    assert request.headers["user-agent"] == "Signflow-Webhooks/1"
    assert request.headers["content-type"] == "application/json"
    assert Webhook(secret).verify(request.body, request.headers) == json.loads(BODY)


async def test_410_means_gone(receiver: Receiver, loopback_client: aiohttp.ClientSession) -> None:
    receiver.replies["/hook"] = Reply(410, body=b"endpoint removed")
    result = await send_once(
        loopback_client, receiver.url(), "m", BODY, [generate_secret()], int(time.time())
    )
    assert result.outcome is Outcome.GONE
    assert result.status_code == 410
    assert result.response_excerpt == "endpoint removed"


async def test_429_retry_after_seconds_is_reported(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    receiver.replies["/hook"] = Reply(429, {"Retry-After": "120"}, b"slow down")
    result = await send_once(
        loopback_client, receiver.url(), "m", BODY, [generate_secret()], int(time.time())
    )
    assert result.outcome is Outcome.RETRY
    assert result.status_code == 429
    assert result.retry_after == 120.0
    assert result.error is not None and "429" in result.error


async def test_503_retry_after_http_date_is_reported(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    now = int(time.time())
    later = datetime.fromtimestamp(now, UTC) + timedelta(minutes=10)
    receiver.replies["/hook"] = Reply(503, {"Retry-After": format_datetime(later, usegmt=True)})
    result = await send_once(loopback_client, receiver.url(), "m", BODY, [generate_secret()], now)
    assert result.outcome is Outcome.RETRY
    assert result.retry_after == 600.0


async def test_retry_after_is_ignored_on_other_statuses(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    receiver.replies["/hook"] = Reply(500, {"Retry-After": "30"}, b"boom")
    result = await send_once(
        loopback_client, receiver.url(), "m", BODY, [generate_secret()], int(time.time())
    )
    assert result.outcome is Outcome.RETRY
    assert result.retry_after is None
    assert result.error == "500 Internal Server Error"


async def test_redirect_is_a_failure_and_not_followed(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    target = receiver.url("/moved")
    receiver.replies["/hook"] = Reply(302, {"Location": target})
    result = await send_once(
        loopback_client, receiver.url(), "m", BODY, [generate_secret()], int(time.time())
    )
    assert result.outcome is Outcome.RETRY
    assert result.status_code == 302
    assert result.error is not None and "redirect" in result.error and target in result.error
    assert [r.path for r in receiver.requests] == ["/hook"]


async def test_slow_receiver_times_out(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    receiver.replies["/hook"] = Reply(200, delay=5.0)
    started = time.monotonic()
    result = await send_once(
        loopback_client, receiver.url(), "m", BODY, [generate_secret()], int(time.time()), 0.5
    )
    assert time.monotonic() - started < 2.0
    assert result.outcome is Outcome.RETRY
    assert result.status_code is None
    assert result.error == "no answer within 0.5 s"
    assert 400 <= result.latency_ms < 2000


async def test_connection_refused_is_retried(loopback_client: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await send_once(
        loopback_client, f"http://127.0.0.1:{port}/", "m", BODY, [generate_secret()], 1
    )
    assert result.outcome is Outcome.RETRY
    assert result.status_code is None
    assert result.error is not None and result.error.startswith("connection:")


async def test_forbidden_destination_fails_without_retry(
    receiver: Receiver, strict_client: aiohttp.ClientSession
) -> None:
    result = await send_once(
        strict_client, receiver.url(), "m", BODY, [generate_secret()], int(time.time())
    )
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and "loopback" in result.error
    assert receiver.requests == []


async def test_response_excerpt_is_cut_at_1_kb(
    receiver: Receiver, loopback_client: aiohttp.ClientSession
) -> None:
    receiver.replies["/hook"] = Reply(200, body=b"a" * 100_000)
    result = await send_once(
        loopback_client, receiver.url(), "m", BODY, [generate_secret()], int(time.time())
    )
    assert result.outcome is Outcome.SUCCESS
    assert result.response_excerpt == "a" * 1024


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", 0.0),
        (" 90 ", 90.0),
        ("Thu, 01 Jan 1970 00:02:00 GMT", 60.0),
        ("Thu, 01 Jan 1970 00:00:30 GMT", 0.0),
        ("-5", None),
        ("soon", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, 60) == expected
