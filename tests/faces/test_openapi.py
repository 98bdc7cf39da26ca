"""/openapi.json describes what the API really answers (the fuzz test holds the server to it:
tests/hardening/test_openapi_fuzz.py)."""

from __future__ import annotations

import httpx


async def test_the_document_declares_each_dialects_errors_and_no_422(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) > 150
    for path, _, operation in operations:
        responses = operation["responses"]
        assert "422" not in responses
        expected = (
            "OKdokumentError"
            if path.startswith("/JSON")
            else "OAuthErrorBody"
            if path == "/authenticate"
            else "SigningHubError"
        )
        if path not in {"/healthz", "/readyz"}:
            assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
                expected
            )
        if "429" in responses:
            assert responses["429"]["headers"]["Retry-After"]["required"] is True
    ok = document["paths"]["/JSON/list/flat"]["get"]
    assert ok["security"] == [{"ApiKey": []}]
    assert all(p["name"] != "x-api-key" for p in ok.get("parameters", []))
    delete = document["paths"]["/v3/webhooks/{endpoint_id}"]["delete"]["responses"]["200"]
    assert "content" not in delete  # an empty 200, no Content-Type
