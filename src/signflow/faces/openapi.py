"""The OpenAPI document, made to describe what the API really answers.

FastAPI's generated document says every operation can answer 422 with its validation
shape, and that an empty 200 is JSON. Signflow answers neither: a validation error is a
400 in the dialect's own error shape, and an empty success has no body and no
Content-Type (SigningHub clients parse any body labelled JSON). `install_openapi` rewrites
the generated document once, so that tests (and clients) can hold the server to it:

- each dialect's error shape (`{"Message", "Error"?}` for SigningHub and our own routes,
  `{"message", "value"}` for OKdokument, OAuth's `{"error", "error_description"}` for
  /authenticate) on the error statuses the operation can give;
- 429 answers with their `Retry-After` header;
- empty successes without content;
- the OKdokument face's `x-api-key` as a security scheme rather than a free header.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Response
from fastapi.routing import iter_route_contexts

from signflow.middleware import OKDOKUMENT_PREFIX

SIGNINGHUB_ERROR = "SigningHubError"
OKDOKUMENT_ERROR = "OKdokumentError"
OAUTH_ERROR = "OAuthErrorBody"
API_KEY_SCHEME = "ApiKey"

ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    SIGNINGHUB_ERROR: {
        "title": SIGNINGHUB_ERROR,
        "description": "A SigningHub error: the vendor's text, and a machine-readable code "
        "where one exists (e.g. `otp_required`).",
        "type": "object",
        "properties": {"Message": {"type": "string"}, "Error": {"type": "string"}},
        "required": ["Message"],
        "additionalProperties": False,
    },
    OKDOKUMENT_ERROR: {
        "title": OKDOKUMENT_ERROR,
        "description": "An OKdokument error: a message key or sentence, and the offending id "
        "or parameter.",
        "type": "object",
        "properties": {"message": {"type": "string"}, "value": {"type": "string"}},
        "required": ["message", "value"],
        "additionalProperties": False,
    },
}

DESCRIPTIONS = {
    400: "The request is not valid (body, parameters or state)",
    401: "No token or API key, or one that is unknown, expired or revoked",
    403: "Not allowed: another user's or enterprise's object, a disabled account, a locked "
    "workflow",
    404: "Not found, or not visible to the caller",
    408: "The request body arrived too slowly",
    409: "Conflicts with the current state",
    413: "The request body is too large",
    429: "Too many requests: retry after `Retry-After` seconds",
    503: "The database does not answer (restarting, unreachable): retry after `Retry-After` s",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
EMPTY_SUCCESS = "Success, with an empty body"
MUTATING = {"post", "put", "patch", "delete"}


def error_schema_for(path: str) -> str:
    if path.startswith(OKDOKUMENT_PREFIX):
        return OKDOKUMENT_ERROR
    if path == "/authenticate":
        return OAUTH_ERROR
    return SIGNINGHUB_ERROR


def _answers_empty(endpoint: Any) -> bool:
    """Endpoints declared `-> Response` without a response model build their own answer:
    those that document a media type are downloads, the others answer `empty_ok()`."""
    annotation = inspect.signature(endpoint).return_annotation
    return annotation in (Response, "Response")


def _route_index(app: FastAPI) -> dict[tuple[str, str], Any]:
    index = {}
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():
            if route.path:
                index[(route.path, method.lower())] = route
    return index


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    if path == "/healthz":
        return []
    if path == "/readyz":
        return [503]
    secured = bool(operation.get("security"))
    statuses = [400, 404, 503]
    if secured:
        statuses += [401, 403, 429]
    if secured and method in MUTATING:
        statuses.append(409)
    if "requestBody" in operation:
        statuses += [408, 413]
    return sorted(set(statuses))


def describe(schema: dict[str, Any], app: FastAPI) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components.setdefault("securitySchemes", {})[API_KEY_SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "An enterprise API key (OKdokument face)",
    }
    routes = _route_index(app)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith(OKDOKUMENT_PREFIX):
                parameters = [
                    p
                    for p in operation.get("parameters", [])
                    if not (p["in"] == "header" and p["name"].lower() == "x-api-key")
                ]
                if parameters:
                    operation["parameters"] = parameters
                else:
                    operation.pop("parameters", None)
                operation["security"] = [{API_KEY_SCHEME: []}]
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("422", None)
            route = routes.get((path, method))
            for status, answer in responses.items():
                content = answer.get("content")
                if (
                    status.startswith("2")
                    and content == {"application/json": {"schema": {}}}
                    and route is not None
                    and _answers_empty(route.endpoint)
                ):
                    answer.pop("content")
                    answer["description"] = EMPTY_SUCCESS
            error = {"$ref": f"#/components/schemas/{error_schema_for(path)}"}
            declared = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
            for status_code in sorted(declared | set(_error_statuses(path, method, operation))):
                answer = responses.setdefault(
                    str(status_code),
                    {"description": DESCRIPTIONS[status_code]},
                )
                answer.setdefault("content", {"application/json": {"schema": error}})
            for retried in ("429", "503"):
                if retried in responses and path != "/readyz":
                    responses[retried].setdefault("headers", RETRY_AFTER)


def install_openapi(app: FastAPI) -> None:
    """Serve the described document at /openapi.json (and /docs)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe(generate(), app)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
