"""The recipients of a draft on the prepare page `/app/new/{id}`: people typed or found
in the contacts, groups, placeholders; their role, signing order and identity check,
changed in place; moved up or down; removed.

Each form is one core call, the one behind the API route named beside it; the page holds
no rule of its own (what may change, and when, is the core's to say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.contacts.book import list_contacts
from signflow.contacts.recipients import person_of
from signflow.errors import BadRequest
from signflow.faces.routing import get_session
from signflow.faces.signinghub.deps import request_actor
from signflow.faces.signinghub.workflow_schemas import (
    AuthenticationSetting,
    EmailOtpSetting,
    PasswordSetting,
    SmsOtpSetting,
)
from signflow.identity.methods import (
    PASSWORD_HASH_KEY,
    opening_methods,
    protect_authentication,
)
from signflow.models import Contact, Recipient, RecipientRole
from signflow.packages.access import Need
from signflow.templates.groups import GroupView, list_groups, read_group
from signflow.web.app.document_pages import app_page
from signflow.web.app.form_values import BAD_VALUE, FormValues, read_form
from signflow.web.app.package_access import readable_package
from signflow.web.app.pages import finish
from signflow.web.app.routing import app_router
from signflow.web.app.session import app_principal
from signflow.workflow.common import owned_draft
from signflow.workflow.groups import (
    GroupRecipientChange,
    NewGroupRecipient,
    add_groups,
    update_group_recipient,
)
from signflow.workflow.placeholders import (
    NewPlaceholder,
    PlaceholderChange,
    add_placeholders,
    update_placeholder,
)
from signflow.workflow.recipients import (
    NewRecipient,
    RecipientChange,
    RecipientSetting,
    add_recipients,
    delete_recipient,
    get_recipient,
    reorder_recipient,
    update_recipient,
    update_recipient_settings,
)

router = app_router()
PrincipalDep = Annotated[Principal, Depends(app_principal)]

PREPARE = "/app/new/{package_id}"
RECIPIENTS = PREPARE + "/recipients"
ROLES = (
    RecipientRole.SIGNER,
    RecipientRole.REVIEWER,
    RecipientRole.EDITOR,
    RecipientRole.CARBON_COPY,
)
# The identity checks a recipient may be asked for before the package opens
# (`PUT packages/{id}/workflow/{order}/authentication`).
CHECKS = ("none", "email_otp", "sms_otp", "password")
# The first contacts by name before a search narrows them; a search shows more.
CONTACTS_FIRST = 6
CONTACTS_FOUND = 20
GROUPS_SHOWN = 100
MAX_ID = 2**62


def _back(request: Request, package_id: int) -> Response:
    target = PREPARE.format(package_id=package_id) + "#recipients"
    return finish(request, RedirectResponse(target, status_code=303))


@dataclass(frozen=True)
class RecipientChoices:
    """What the recipients section offers besides the recipients themselves."""

    contacts: list[Contact]
    contact_search: str
    groups: list[GroupView]
    roles: list[str]
    checks: tuple[str, ...]
    # Each recipient's identity check now, by position.
    check_of: dict[int, str]


def check_of(recipient: Recipient) -> str:
    methods = opening_methods(recipient)
    if methods.password:
        return "password"
    if methods.otp_channel is not None:
        return f"{methods.otp_channel}_otp"
    return "none"


async def _contacts(session: AsyncSession, principal: Principal, search: str) -> list[Contact]:
    """`GET settings/contacts` with `x-search-text`: any of the caller's contacts, personal
    or the enterprise's, by name or address."""
    shown = CONTACTS_FOUND if search else CONTACTS_FIRST
    found, _ = await list_contacts(
        session, principal, 1, shown, search=search or None, enterprise=None
    )
    return found


def _search_text(request: Request) -> str:
    return " ".join(request.query_params.get("contact_q", "").split())[:200]


async def recipient_choices(
    session: AsyncSession, principal: Principal, request: Request, recipients: list[Recipient]
) -> RecipientChoices:
    search = _search_text(request)
    groups, _ = await list_groups(session, principal, 1, GROUPS_SHOWN, search=None, enterprise=None)
    return RecipientChoices(
        contacts=await _contacts(session, principal, search),
        contact_search=search,
        groups=groups,
        roles=[role.value for role in ROLES],
        checks=CHECKS,
        check_of={r.position: check_of(r) for r in recipients},
    )


@router.get(RECIPIENTS + "/contacts")
async def contact_results(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """The contacts found, for the page's live search (htmx swaps them in)."""
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    search = _search_text(request)
    return app_page(
        request,
        principal,
        "app/prepare_contacts.html",
        contacts=await _contacts(session, principal, search),
        contact_search=search,
    )


def _role(form: FormValues) -> RecipientRole:
    try:
        role = RecipientRole(form.text("role", 40) or RecipientRole.SIGNER.value)
    except ValueError as exc:
        raise BadRequest(BAD_VALUE, value="role") from exc
    if role not in ROLES:
        raise BadRequest(BAD_VALUE, value="role")
    return role


@router.post(RECIPIENTS)
async def add_recipient(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """`POST packages/{id}/workflow/users` with one user: typed, or one of the contacts."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    role = _role(form)
    person = await person_of(
        session,
        principal,
        email=form.text("email", 254) or None,
        name=form.text("name", 255) or None,
        mobile_number=None,
        contact_id=form.optional_integer("contact_id", maximum=MAX_ID),
    )
    item = NewRecipient(
        email=person.email,
        name=person.name,
        role=role,
        signing_order=form.optional_integer("signing_order"),
        mobile_number=person.mobile_number,
    )
    await add_recipients(session, principal, request_actor(request, principal), package_id, [item])
    return _back(request, package_id)


@router.post(RECIPIENTS + "/group")
async def add_group(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """`POST packages/{id}/workflow/groups` with one group, the caller's or the
    enterprise's (another enterprise's id: 404, as `GET settings/groups/{id}` answers)."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    role = _role(form)
    group_id = form.integer("group_id", minimum=1, maximum=MAX_ID)
    group = await read_group(session, principal, group_id, enterprise=False)
    item = NewGroupRecipient(
        group_name=group.group.name, role=role, signing_order=form.optional_integer("signing_order")
    )
    await add_groups(session, principal, request_actor(request, principal), package_id, [item])
    return _back(request, package_id)


@router.post(RECIPIENTS + "/placeholder")
async def add_placeholder(package_id: int, request: Request, principal: PrincipalDep) -> Response:
    """`POST packages/{id}/workflow/placeholder` with one placeholder."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    item = NewPlaceholder(
        title=form.text("placeholder", 200),
        role=_role(form),
        signing_order=form.optional_integer("signing_order"),
    )
    await add_placeholders(
        session, principal, request_actor(request, principal), package_id, [item]
    )
    return _back(request, package_id)


@router.post(RECIPIENTS + "/{order}")
async def change_recipient(
    package_id: int, order: int, request: Request, principal: PrincipalDep
) -> Response:
    """The recipient's own form: `PUT packages/{id}/workflow/{order}/user` (a person),
    `.../placeholder` (a placeholder, filled when an address is given) or `.../group` (a
    group), then `.../authentication` with the identity check."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    actor = request_actor(request, principal)
    # The prepare page changes drafts only (a sent package's recipient is replaced from
    # the viewer, by the core's reassignment).
    await owned_draft(session, principal, package_id)
    recipient = await get_recipient(session, principal, package_id, order)
    role = _role(form)
    step = form.optional_integer("signing_order")
    authentication = _authentication(form, recipient.authentication)
    if recipient.placeholder is not None:
        email = form.text("email", 254) or None
        change = PlaceholderChange(
            title=form.text("placeholder", 200) or None,
            role=role,
            signing_order=step,
            email=email,
            name=(form.text("name", 255) or None) if email else None,
        )
        await update_placeholder(session, principal, actor, package_id, order, change)
    elif recipient.group_name is not None:
        group_change = GroupRecipientChange(role=role, signing_order=step)
        await update_group_recipient(session, principal, actor, package_id, order, group_change)
    else:
        person = RecipientChange(
            email=form.text("email", 254) or None,
            name=form.text("name", 255) or None,
            role=role,
            signing_order=step,
            mobile_number=form.text("mobile_number", 40),
        )
        await update_recipient(session, principal, actor, package_id, order, person)
    if authentication != recipient.authentication:
        await update_recipient_settings(
            session,
            principal,
            actor,
            package_id,
            order,
            RecipientSetting.AUTHENTICATION,
            {"authentication": authentication},
            apply_to_all=False,
        )
    return _back(request, package_id)


def _authentication(form: FormValues, previous: dict[str, object]) -> dict[str, object]:
    """The `authentication` object the API's PUT stores for the check chosen (the password
    kept only as its hash; kept as before when the password is left empty)."""
    check = form.text("check", 20) or "none"
    if check not in CHECKS:
        raise BadRequest(BAD_VALUE, value="check")
    password = form.message("password", 200)
    setting = AuthenticationSetting(
        enabled=check != "none",
        password=PasswordSetting(enabled=check == "password", user_password=password or None),
        sms_otp=SmsOtpSetting(
            enabled=check == "sms_otp", mobile_number=form.text("mobile_number", 40) or None
        ),
        email_otp=EmailOtpSetting(enabled=check == "email_otp"),
    )
    if check == "password" and not password and not previous_password(previous):
        raise BadRequest(BAD_VALUE, value="password")
    return protect_authentication(setting.model_dump(mode="json"), previous)


def previous_password(previous: dict[str, object]) -> bool:
    password = previous.get("password")
    return isinstance(password, dict) and bool(password.get(PASSWORD_HASH_KEY))


@router.post(RECIPIENTS + "/{order}/move")
async def move_recipient(
    package_id: int, order: int, request: Request, principal: PrincipalDep
) -> Response:
    """`PUT packages/{id}/workflow/{order}/reorder`."""
    form = await read_form(request)
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    to = form.integer("to", minimum=1, maximum=1000)
    await reorder_recipient(
        session, principal, request_actor(request, principal), package_id, order, to
    )
    return _back(request, package_id)


@router.post(RECIPIENTS + "/{order}/delete")
async def remove_recipient(
    package_id: int, order: int, request: Request, principal: PrincipalDep
) -> Response:
    """`DELETE packages/{id}/workflow/{order}`."""
    session = get_session(request)
    await readable_package(session, principal, package_id, Need.OWN)
    await delete_recipient(session, principal, request_actor(request, principal), package_id, order)
    return _back(request, package_id)
