from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from signflow.webhooks.signing import (
    InvalidSecret,
    build_headers,
    generate_secret,
    sign,
)

BODY = json.dumps({"package": "42", "name": "Lease 2026", "status": "CREATE"}).encode()


def test_generated_secrets_are_whsec_base64_of_enough_random_bytes() -> None:
    first, second = generate_secret(), generate_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert 24 <= len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) <= 32


def test_signature_verifies_with_standardwebhooks() -> None:
    secret = generate_secret()
    now = int(time.time())
    headers = build_headers("msg_1", now, sign([secret], "msg_1", now, BODY))
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_headers_follow_the_standard() -> None:
    headers = build_headers("msg_1", 1700000000, "v1,abc")
    assert headers == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": "v1,abc",
        "content-type": "application/json",
        "user-agent": "Signflow-Webhooks/1",
    }


def test_during_rotation_both_old_and_new_secret_verify() -> None:
    old, new, stranger = generate_secret(), generate_secret(), generate_secret()
    now = int(time.time())
    signature = sign([new, old], "msg_2", now, BODY)
    assert len(signature.split(" ")) == 2
    assert all(part.startswith("v1,") for part in signature.split(" "))
    headers = build_headers("msg_2", now, signature)
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(BODY, headers)


@pytest.mark.parametrize(
    ("msg_id", "shift", "body"),
    [("msg_other", 0, BODY), ("msg_3", 1, BODY), ("msg_3", 0, BODY + b" ")],
)
def test_any_change_breaks_the_signature(msg_id: str, shift: int, body: bytes) -> None:
    secret = generate_secret()
    now = int(time.time())
    signature = sign([secret], "msg_3", now, BODY)
    headers = build_headers(msg_id, now + shift, signature)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_bad_secrets_are_refused() -> None:
    with pytest.raises(InvalidSecret):
        sign([], "m", 1, BODY)
    with pytest.raises(InvalidSecret):
        sign(["whsec_not base64!"], "m", 1, BODY)
    with pytest.raises(InvalidSecret):
        sign(["whsec_"], "m", 1, BODY)
