"""The workflow settings of a draft on the prepare page `/app/new/{id}`: how the
recipients take their turns, whether a decline stops the workflow, when the package
expires, and when the recipients are reminded.

One form, the core calls behind `PUT packages/{id}/workflow` (type, decline, expiry) and
`PUT packages/{id}/workflow/{order}/reminders` with `apply_to_all` (the reminders, which
the core keeps per recipient). The page holds no rule of its own: an expiry in the past
is the core's refusal.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from signflow.accounts.principal import Principal
from signflow.db import utcnow
from signflow.errors import BadRequest
from signflow.faces.routing import get_session
from signflow.faces.signinghub.deps import request_actor
from signflow.faces.signinghub.workflow_schemas import RemindersBody, RepeatSetting
from signflow.models import WorkflowType
from signflow.packages.access import Need
from signflow.web.app.form_values import BAD_VALUE, FormValues, read_form
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import finish
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.workflow.recipients import RecipientSetting, update_recipient_settings
from signflow.workflow.settings import WorkflowChange, get_workflow, update_workflow

router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

SETTINGS = "/app/new/{package_id}/settings"
TYPES = (WorkflowType.SERIAL, WorkflowType.PARALLEL, WorkflowType.CUSTOM, WorkflowType.INDIVIDUAL)
MAX_DAYS = 3650
MAX_REMINDERS = 100


def _type(form: FormValues) -> WorkflowType:
    try:
        chosen = WorkflowType(form.text("workflow_type", 20))
    except ValueError as exc:
        raise BadRequest(BAD_VALUE, value="workflow_type") from exc
    if chosen not in TYPES:
        raise BadRequest(BAD_VALUE, value="workflow_type")
    return chosen


def _days(form: FormValues, name: str, maximum: int = MAX_DAYS) -> int | None:
    return form.optional_integer(name, maximum=maximum)


def _expiry(form: FormValues) -> tuple[dt.datetime | None, bool]:
    """(the moment the package expires, whether to remove the deadline): a date (the end
    of that day, UTC) or a number of days from now; neither removes it."""
    days = _days(form, "expires_in_days")
    raw = form.text("expires_on", 20)
    if days is not None:
        return utcnow() + dt.timedelta(days=days), False
    if not raw:
        return None, True
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(BAD_VALUE, value="expires_on") from exc
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC), False


def _reminders(form: FormValues) -> RemindersBody:
    """The reminders as `PUT .../reminders` takes them: the first after N days, then
    every M days, at most K times; no first reminder turns them off."""
    first = _days(form, "remind_after")
    every = _days(form, "remind_every")
    total = _days(form, "total_reminders", maximum=MAX_REMINDERS)
    repeat = RepeatSetting(
        enabled=every is not None,
        keep_reminding_after=every,
        total_reminders=(total or 1) if every is not None else None,
    )
    return RemindersBody(
        apply_to_all=True, enabled=first is not None, remind_after=first, repeat=repeat
    )


@router.post(SETTINGS)
async def save_settings(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    actor = request_actor(request, principal)
    expires_on, clear_expiry = _expiry(form)
    reminders = _reminders(form)
    change = WorkflowChange(
        workflow_type=_type(form),
        continue_on_decline=form.flag("continue_on_decline"),
        expires_on=expires_on,
        clear_expiry=clear_expiry,
    )
    recipients = (await get_workflow(session, principal, package_id)).recipients
    if reminders.enabled and not recipients:
        raise BadRequest("settings.reminders_need_recipients")
    await update_workflow(session, principal, actor, package_id, change)
    if recipients:
        await update_recipient_settings(
            session,
            principal,
            actor,
            package_id,
            recipients[0].position,
            RecipientSetting.REMINDERS,
            {"reminders": reminders.model_dump(mode="json", exclude={"apply_to_all"})},
            apply_to_all=True,
        )
    target = f"/app/new/{package_id}#settings"
    return finish(request, RedirectResponse(target, status_code=303))
