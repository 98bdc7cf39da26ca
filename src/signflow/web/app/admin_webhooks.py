"""The enterprise admin's webhook endpoints: the list, creating one (its signing secret
shown once, on the answer to the form), changing, turning off and on, deleting,
rotating the secret, a test event; and each endpoint's delivery log, one delivery's
payload and answers, and redelivery. Every action is the call of
`webhooks/endpoints.py` that the API's /webhooks routes make.

The forms are plain posts answered by a redirect; htmx (where script runs) posts the
log's forms and its refresh in place, taking the log out of the page it is answered."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.errors import BadRequest, SignflowError
from signflow.faces.routing import get_session, get_settings
from signflow.models import WebhookEndpoint
from signflow.web.app.csrf import read_form
from signflow.web.app.form_values import BAD_VALUE, FormValues
from signflow.web.app.pages import finish, render
from signflow.web.app.refusals import said
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.webhooks.endpoints import (
    EVENTS,
    EndpointChanges,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    get_message,
    list_endpoints,
    list_messages,
    redeliver,
    rotate_secret,
    send_test_event,
    update_endpoint,
)

HOOKS_PAGE = "/app/admin/webhooks"
LOG_PAGE_SIZE = 20
MAX_URL_CHARS = 2048
MAX_DESCRIPTION_CHARS = 500
MAX_PAGE = 100_000
NOTICES = {
    "saved": "app.hooks.saved",
    "enabled": "app.hooks.enabled_now",
    "disabled": "app.hooks.disabled_now",
    "deleted": "app.hooks.deleted",
    "test": "app.hooks.test_queued",
    "redelivered": "app.hooks.redelivered",
}

router = app_router()
Admin = Annotated[Principal, Depends(app_principal)]


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


def _back(request: Request, path: str, done: str) -> Response:
    return finish(request, RedirectResponse(f"{path}?done={done}", status_code=303))


def _refusal(exc: SignflowError) -> bool:
    """A refusal of what the form asked (shown on the form's page), not of who asked."""
    return 400 <= exc.status_code < 500 and exc.status_code not in (403, 404)


class EndpointForm:
    """The create and edit form: the URL, a description, and the events ticked (none
    ticked: every event, as the API's `events: null`)."""

    def __init__(self, form: dict[str, str]) -> None:
        values = FormValues(form)
        self.url = form.get("url", "").strip()
        if len(self.url) > MAX_URL_CHARS:
            raise BadRequest(BAD_VALUE, value="url")
        self.description = values.text("description", MAX_DESCRIPTION_CHARS) or None
        self.events = [event for event in EVENTS if form.get(f"event.{event}")] or None


async def _list_page(
    request: Request,
    me: Principal,
    status_code: int = 200,
    error: SignflowError | None = None,
    draft: dict[str, object] | None = None,
) -> Response:
    endpoints = await list_endpoints(get_session(request), me)
    return render(
        request,
        "app/admin_webhooks.html",
        status_code=status_code,
        endpoints=endpoints,
        events=EVENTS,
        draft=draft,
        notice=_notice(request),
        error=said(error) if error is not None else None,
    )


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(BAD_VALUE, value="page")
    return int(raw)


async def _endpoint_page(
    request: Request,
    me: Principal,
    endpoint: WebhookEndpoint,
    *,
    status_code: int = 200,
    error: SignflowError | None = None,
    secret: str | None = None,
) -> Response:
    page = _page_number(request) if request.method == "GET" else 1
    found, total = await list_messages(
        get_session(request), me, endpoint.id, LOG_PAGE_SIZE, (page - 1) * LOG_PAGE_SIZE
    )
    return render(
        request,
        "app/admin_webhook.html",
        status_code=status_code,
        endpoint=endpoint,
        events=EVENTS,
        deliveries=found,
        page=page,
        pages=max(1, -(-total // LOG_PAGE_SIZE)),
        total=total,
        notice=_notice(request),
        error=said(error) if error is not None else None,
        secret=secret,
    )


@router.get(HOOKS_PAGE)
async def hooks_page(request: Request, me: Admin) -> Response:
    return await _list_page(request, me)


@router.post(HOOKS_PAGE)
async def create(request: Request, me: Admin) -> Response:
    posted = await read_form(request)
    try:
        form = EndpointForm(posted)
        endpoint, secret = await create_endpoint(
            get_session(request),
            get_settings(request),
            me,
            url=form.url,
            description=form.description,
            events=form.events,
        )
    except SignflowError as exc:
        if not _refusal(exc):
            raise
        draft: dict[str, object] = {
            "url": posted.get("url", "")[:MAX_URL_CHARS],
            "description": posted.get("description", "")[:MAX_DESCRIPTION_CHARS],
            "events": [event for event in EVENTS if posted.get(f"event.{event}")],
        }
        return await _list_page(request, me, exc.status_code, exc, draft)
    return await _endpoint_page(request, me, endpoint, secret=secret)


@router.get(HOOKS_PAGE + "/{endpoint_id}")
async def endpoint_page(request: Request, endpoint_id: int, me: Admin) -> Response:
    endpoint = await get_endpoint(get_session(request), me, endpoint_id)
    return await _endpoint_page(request, me, endpoint)


@router.post(HOOKS_PAGE + "/{endpoint_id}")
async def change(request: Request, endpoint_id: int, me: Admin) -> Response:
    session = get_session(request)
    endpoint = await get_endpoint(session, me, endpoint_id)
    try:
        form = EndpointForm(await read_form(request))
        changes = EndpointChanges(
            url=form.url,
            description=form.description or "",
            events=form.events,
            clear_events=form.events is None,
        )
        await update_endpoint(session, get_settings(request), me, endpoint_id, changes)
    except SignflowError as exc:
        if not _refusal(exc):
            raise
        return await _endpoint_page(request, me, endpoint, status_code=exc.status_code, error=exc)
    return _back(request, f"{HOOKS_PAGE}/{endpoint_id}", "saved")


@router.post(HOOKS_PAGE + "/{endpoint_id}/enabled")
async def turn_on_or_off(request: Request, endpoint_id: int, me: Admin) -> Response:
    enabled = {"1": True, "0": False}.get((await read_form(request)).get("enabled", ""))
    if enabled is None:
        raise BadRequest(BAD_VALUE, value="enabled")
    changes = EndpointChanges(enabled=enabled)
    await update_endpoint(get_session(request), get_settings(request), me, endpoint_id, changes)
    return _back(request, f"{HOOKS_PAGE}/{endpoint_id}", "enabled" if enabled else "disabled")


@router.post(HOOKS_PAGE + "/{endpoint_id}/delete")
async def delete(request: Request, endpoint_id: int, me: Admin) -> Response:
    await delete_endpoint(get_session(request), me, endpoint_id)
    return _back(request, HOOKS_PAGE, "deleted")


@router.post(HOOKS_PAGE + "/{endpoint_id}/secret")
async def rotate(request: Request, endpoint_id: int, me: Admin) -> Response:
    endpoint, secret = await rotate_secret(
        get_session(request), get_settings(request), me, endpoint_id
    )
    return await _endpoint_page(request, me, endpoint, secret=secret)


@router.post(HOOKS_PAGE + "/{endpoint_id}/test")
async def test_event(request: Request, endpoint_id: int, me: Admin) -> Response:
    await send_test_event(get_session(request), me, endpoint_id)
    return _back(request, f"{HOOKS_PAGE}/{endpoint_id}", "test")


@router.get(HOOKS_PAGE + "/{endpoint_id}/deliveries/{delivery_id}")
async def delivery_page(
    request: Request, endpoint_id: int, delivery_id: int, me: Admin
) -> Response:
    session = get_session(request)
    message, attempts = await get_message(session, me, endpoint_id, delivery_id)
    endpoint = await get_endpoint(session, me, endpoint_id)
    return render(
        request,
        "app/admin_webhook_delivery.html",
        endpoint=endpoint,
        delivery=message,
        payload=message.body.decode("utf-8", errors="replace"),
        attempts=attempts,
    )


@router.post(HOOKS_PAGE + "/{endpoint_id}/deliveries/{delivery_id}/redeliver")
async def redeliver_one(
    request: Request, endpoint_id: int, delivery_id: int, me: Admin
) -> Response:
    await redeliver(get_session(request), me, endpoint_id, delivery_id)
    return _back(request, f"{HOOKS_PAGE}/{endpoint_id}", "redelivered")
