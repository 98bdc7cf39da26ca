"""Request bodies through the application: each route's size limit, JSON depth and size
limits, and callers without valid credentials refused before their body is read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from signflow.context import AppContext
from signflow.faces.bodies import MAX_JSON_DEPTH, MAX_JSON_VALUES
from tests.factories import Tenant, bearer, create_package

MB = 1024 * 1024
JSON_TOO_LARGE = "The request body is larger than the limit of 1 MB"
TOO_DEEP = f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels"
TOO_MANY_VALUES = f"The request body holds more than {MAX_JSON_VALUES} JSON values"


def padded_package(size: int) -> bytes:
    """A valid new-package body of `size` bytes: the padding is a member no model reads."""
    head = b'{"package_name": "Padded", "padding": "'
    return head + b"a" * (size - len(head) - 2) + b'"}'


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


class CountingBody:
    """A streamed request body that records how much of it the server asked for."""

    def __init__(self, chunks: int, chunk: bytes) -> None:
        self.chunks, self.chunk, self.pulled = chunks, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield self.chunk


@pytest.fixture
async def admin(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    return await bearer(client, tenant, tenant.admin_email)


async def test_a_json_body_over_the_json_limit_is_413_declared_or_streamed(
    client: httpx.AsyncClient, admin: dict[str, str]
):
    body = padded_package(2 * MB)
    declared = await client.post("/v3/packages", content=body, headers=admin)
    streamed = await client.post(
        "/v3/packages", content=CountingBody(2 * 16, body[: MB // 16]), headers=admin
    )
    assert declared.status_code == 413, declared.text
    assert declared.json() == {"Message": JSON_TOO_LARGE}
    assert streamed.status_code == 413, streamed.text
    assert streamed.json() == {"Message": JSON_TOO_LARGE}
    # Just under the limit is an ordinary body.
    fits = await client.post("/v3/packages", content=padded_package(MB - 100), headers=admin)
    assert fits.status_code == 200, fits.text


async def test_the_json_limit_answers_in_the_okdokument_shape(
    client: httpx.AsyncClient, tenant: Tenant
):
    body = b'{"signatureRequestId": "x", "pad": "' + b"a" * (2 * MB) + b'"}'
    response = await client.patch(
        "/JSON/signatureRequest", content=body, headers={"x-api-key": tenant.api_key}
    )
    assert response.status_code == 413, response.text
    assert response.json() == {"message": JSON_TOO_LARGE, "value": ""}


async def test_a_new_signature_request_may_carry_a_pdf_up_to_the_upload_limit(
    client: httpx.AsyncClient, tenant: Tenant, context: AppContext
):
    # Its route's limit is the upload limit in base64 plus the JSON limit: a 2 MB body is
    # read and judged on its content (here: not a PDF), a body past that limit is 413.
    content = "A" * (2 * MB)
    headers = {"x-api-key": tenant.api_key}
    judged = await client.post(
        "/JSON/signatureRequest", json={"filedata": {"content": content}}, headers=headers
    )
    assert judged.status_code == 400, judged.text
    limit = int(context.settings.max_upload_bytes * 4 / 3) + context.settings.max_json_body_bytes
    too_large = await client.post(
        "/JSON/signatureRequest",
        content=b'{"filedata": {"content": "' + b"A" * limit + b'"}}',
        headers=headers,
    )
    assert too_large.status_code == 413, too_large.text
    assert too_large.json()["message"].startswith("The request body is larger than the limit")


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
async def test_deeply_nested_json_is_400(
    client: httpx.AsyncClient, admin: dict[str, str], tenant: Tenant, depth: int
):
    # In a member no model reads: refused by the parser, not by validation.
    body = '{"package_name": "Deep", "extra": ' + nested(depth) + "}"
    response = await client.post("/v3/packages", content=body, headers=admin)
    assert response.status_code == 400, response.text
    assert response.json() == {"Message": TOO_DEEP}
    okdokument = await client.patch(
        "/JSON/signatureRequest",
        content='{"signatureRequestId": "x", "rules": ' + nested(depth) + "}",
        headers={"x-api-key": tenant.api_key},
    )
    assert okdokument.status_code == 400, okdokument.text
    assert okdokument.json() == {"message": TOO_DEEP, "value": ""}


async def test_nesting_up_to_the_limit_is_accepted(
    client: httpx.AsyncClient, admin: dict[str, str]
):
    body = '{"package_name": "Deep", "extra": ' + nested(MAX_JSON_DEPTH - 1) + "}"
    response = await client.post("/v3/packages", content=body, headers=admin)
    assert response.status_code == 200, response.text


async def test_a_body_with_too_many_values_is_400_without_validating_them(
    client: httpx.AsyncClient, admin: dict[str, str]
):
    package_id = await create_package(client, admin)
    # 400,000 numbers in 800 KB, under the byte limit: validated one by one, they cost
    # seconds of CPU and hundreds of megabytes of errors.
    body = json.dumps([1] * 400_000, separators=(",", ":"))
    response = await client.post(
        f"/v3/packages/{package_id}/workflow/users", content=body, headers=admin
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"Message": TOO_MANY_VALUES}


async def test_invalid_json_is_400(client: httpx.AsyncClient, admin: dict[str, str]):
    for body in (b'{"package_name": ', b"\xff\xfe\x00{", b"{'a': 1}"):
        response = await client.post("/v3/packages", content=body, headers=admin)
        assert response.status_code == 400, (body, response.text)
        assert response.json() == {"Message": "The request body is not valid JSON"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "User authentication required"),
        ({"Authorization": "Bearer sfa_not-a-token"}, "Request authorization denied"),
    ],
)
async def test_a_caller_without_valid_credentials_gets_401_before_the_body_is_read(
    client: httpx.AsyncClient, headers: dict[str, str], message: str
):
    body = CountingBody(16, b" " * (64 * 1024))  # 1 MB of JSON whitespace, streamed
    response = await client.post("/v3/packages", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["Message"] == message
    assert body.pulled == 0


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "An x-api-key header is required"), ({"x-api-key": "sfk_wrong"}, None)],
)
async def test_a_signature_request_without_a_valid_key_gets_401_before_the_body_is_read(
    client: httpx.AsyncClient, headers: dict[str, str], message: str | None
):
    body = CountingBody(64, b" " * (256 * 1024))  # 16 MB, streamed
    response = await client.post("/JSON/signatureRequest", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert set(response.json()) == {"message", "value"}
    if message:
        assert response.json()["message"] == message
    assert body.pulled == 0


async def test_the_token_form_is_refused_while_it_streams(client: httpx.AsyncClient):
    body = CountingBody(64, b"a" * (64 * 1024))  # 4 MB against a 16 KB form
    response = await client.post("/authenticate", content=body)
    assert response.status_code == 413, response.text
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The request body is larger than the limit of 16 KB",
    }
    assert body.pulled < 4
