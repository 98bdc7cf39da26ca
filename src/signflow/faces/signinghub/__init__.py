"""The SigningHub v3/v4 face: /authenticate, and every versioned path under /v3 and /v4."""

from __future__ import annotations

from fastapi import APIRouter

from signflow.faces.signinghub import (
    account,
    auth,
    branding,
    bulk,
    contacts,
    delegation,
    documents,
    enterprise,
    enterprise_packages,
    fields,
    folders,
    groups,
    invitations,
    packages,
    personal,
    placeholders,
    processing,
    qr_codes,
    self_service,
    signature_settings,
    signing_certificates,
    sso,
    templates,
    verification,
    workflow,
)

API_VERSIONS = ("v3", "v4")


def build_routers(*ours: APIRouter) -> list[tuple[APIRouter, str]]:
    """The vendor's routes, and `ours` (our own API), under both version prefixes, as
    (router, prefix) pairs for `app.include_router`. Included directly, not through a
    nested versioned router: every level of nesting is walked again on each request."""
    routed = (
        account,
        auth,
        branding,
        contacts,
        delegation,
        enterprise,
        enterprise_packages,
        invitations,
        self_service,
        groups,  # before packages and workflow: their free segments would take workflow/groups
        folders,
        packages,
        documents,
        qr_codes,  # before fields: its path would match fields/{kind}
        verification,
        personal,
        signature_settings,
        signing_certificates,
    )
    versioned = [
        *ours,
        *(module.router for module in (*routed, workflow, fields, processing)),
        templates.router,
        bulk.router,
        placeholders.router,
        # Last: its free path segments would shadow more specific /packages/... routes.
        packages.listing_router,
    ]
    routers = [(auth.token_router, ""), (sso.router, "")]
    for version in API_VERSIONS:
        routers.extend((router, f"/{version}") for router in versioned)
    return routers
