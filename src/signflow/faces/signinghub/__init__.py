"""The SigningHub v3/v4 face: /authenticate, and every versioned path under /v3 and /v4."""

from __future__ import annotations

from fastapi import APIRouter

from signflow.faces.signinghub import (
    account,
    auth,
    documents,
    enterprise,
    fields,
    packages,
    processing,
    verification,
    workflow,
)

API_VERSIONS = ("v3", "v4")


def build_routers(*ours: APIRouter) -> list[APIRouter]:
    """The vendor's routes, and `ours` (our own API), under both version prefixes."""
    versioned = APIRouter()
    for router in ours:
        versioned.include_router(router)
    routed = (account, auth, enterprise, packages, documents, verification)
    for module in (*routed, workflow, fields, processing):
        versioned.include_router(module.router)
    # Last: its free path segments would shadow more specific /packages/... routes.
    versioned.include_router(packages.listing_router)
    routers = [auth.token_router]
    for version in API_VERSIONS:
        prefixed = APIRouter(prefix=f"/{version}")
        prefixed.include_router(versioned)
        routers.append(prefixed)
    return routers
