"""Workflow: details and settings, share and recall, recipients, history, terminate."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.contacts.recipients import person_of
from signflow.db import read_transaction
from signflow.direct_reads import read_only_connection
from signflow.faces.routing import (
    ContextDep,
    ReadOnly,
    SessionDep,
    SettingsDep,
    TransactionalRoute,
    empty_ok,
    get_context,
    without_transaction,
)
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.package_schemas import SignerRef
from signflow.faces.signinghub.workflow_details import details_json
from signflow.faces.signinghub.workflow_schemas import (
    AuthenticationBody,
    DocumentCertify,
    LogAction,
    LogBody,
    LogDetail,
    LogDetailsBody,
    PackageDetails,
    PasswordBody,
    PermissionsBody,
    PostProcess,
    PostProcessRecipient,
    RemindersBody,
    SharedPackageBody,
    UnblockBody,
    UserAdd,
    UserReorder,
    UserUpdate,
    WorkflowDetails,
    WorkflowDocument,
    WorkflowSettings,
    WorkflowUpdate,
    WorkflowUser,
)
from signflow.identity.checks import Credentials
from signflow.identity.methods import protect_authentication
from signflow.identity.opening import ACCESS_GRANTED, open_with_password, send_opening_code
from signflow.identity.unblock import UnblockAction, unblock_recipient
from signflow.models import Document, HistoryEntry, Package, Recipient, RecipientMember
from signflow.packages.access import recipient_email
from signflow.packages.documents import CertifyPermission
from signflow.packages.listing import OWNER_VIEW, view_status
from signflow.workflow.actions import complete_workflow
from signflow.workflow.groups import members_by_recipient
from signflow.workflow.history import history_entry, history_page, list_history
from signflow.workflow.history_certificate import (
    certificate_key,
    entry_certificate,
    history_certificate,
)
from signflow.workflow.post_process import (
    PostProcessing,
    post_processing,
    set_post_processing,
)
from signflow.workflow.post_process import PostProcessRecipient as PostProcessPerson
from signflow.workflow.read_model import read_workflow
from signflow.workflow.recipients import (
    NewRecipient,
    RecipientChange,
    RecipientSetting,
    add_recipients,
    delete_recipient,
    get_recipient,
    list_recipients,
    reorder_recipient,
    update_recipient,
    update_recipient_settings,
)
from signflow.workflow.settings import (
    WorkflowChange,
    WorkflowView,
    get_workflow,
    update_workflow,
    workflow_summary,
)
from signflow.workflow.share import recall_package, share_package

JSON_MEDIA_TYPE = "application/json"

router = APIRouter(route_class=TransactionalRoute, tags=["workflow"])


def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def user_body(recipient: Recipient, members: list[RecipientMember] | None = None) -> WorkflowUser:
    """`members`: a group recipient's members (SigningHub's `group_members`, their
    addresses); `user_email` is the member who acted for the group, once one did."""
    return WorkflowUser(
        order=recipient.position,
        user_email=recipient.email,
        user_name=recipient.name,
        role=recipient.role,
        email_notification=recipient.email_notification,
        signing_order=recipient.signing_order,
        process_status=recipient.process_status,
        processed_on=iso(recipient.processed_on),
        reason=recipient.reason,
        mobile_number=recipient.mobile_number,
        placeholder=recipient.placeholder,
        group_name=recipient.group_name,
        group_members=[m.email for m in members or []]
        if recipient.group_name is not None
        else None,
        language=recipient.language,
    )


async def user_bodies(session: AsyncSession, recipients: list[Recipient]) -> list[WorkflowUser]:
    members = await members_by_recipient(session, recipients)
    return [user_body(r, members.get(r.id)) for r in recipients]


@router.get("/packages/{package_id}/workflow", response_model=WorkflowDetails)
@without_transaction
async def workflow_details(package_id: int, principal: PrincipalDep, request: Request) -> Response:
    """The hottest read of the API: one statement (`workflow/read_model.py`) run without
    a session, straight on a pooled connection's driver (`direct_reads.read_only_connection`), and
    its JSON written once (`workflow_details.py`); the OpenAPI document still declares
    the model. The context is taken from the request, not as a dependency: each
    dependency costs FastAPI's solving on every request."""
    context = get_context(request)
    archive_after_days = context.settings.archive_after_days
    async with read_only_connection(context.engine) as connection:
        read = await read_workflow(connection, principal, package_id, archive_after_days)
    if read is not None:
        return Response(details_json(read), media_type=JSON_MEDIA_TYPE)
    # Not readable by the caller in that statement: get_workflow gives the refusal its
    # exact answer, or, should the package have become readable since, the details.
    async with read_transaction(context.sessions) as session:
        view = await get_workflow(session, principal, package_id)
        details = await details_body(session, principal, view, archive_after_days)
    return Response(details.model_dump_json(by_alias=True), media_type=JSON_MEDIA_TYPE)


@router.get(
    "/packages/{package_id}/details", dependencies=[ReadOnly], response_model=PackageDetails
)
async def package_details(
    package_id: int, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> PackageDetails:
    """The guide's reply shape for package details was not found: the package as the
    list shows it to the caller, with the workflow details (docs/api.md)."""
    view = await get_workflow(session, principal, package_id)
    details = await details_body(session, principal, view, settings.archive_after_days)
    package = view.package
    email = recipient_email(principal, package.enterprise_id)
    mine = [r for r in view.recipients if email is not None and r.email == email]
    own = package.owner_id == principal.user.id
    return PackageDetails.model_validate(
        {
            **details.model_dump(),
            "package_status": view_status(package, own, mine),
            "tags": package.tags,
        }
    )


async def details_body(
    session: AsyncSession, principal: Principal, view: WorkflowView, archive_after_days: int
) -> WorkflowDetails:
    package = view.package
    summary = await workflow_summary(session, principal, view, archive_after_days)
    nexts = [r for r in view.recipients if r.id in summary.next_ids]
    return WorkflowDetails(
        package_id=package.id,
        package_name=package.name,
        package_owner=view.owner.email,
        owner_name=view.owner.name,
        package_status=OWNER_VIEW.get(package.status, package.status),
        folder=summary.folder,
        unread=summary.unread,
        next_signer=nexts[0].name if nexts else None,
        next_signer_email=[SignerRef(user_email=r.email, user_name=r.name) for r in nexts],
        uploaded_on=package.created_at.isoformat(),
        modified_on=package.modified_at.isoformat(),
        workflow=WorkflowSettings(
            workflow_type=package.workflow_type,
            workflow_mode=package.workflow_mode,
            continue_on_decline=package.continue_on_decline,
            workflow_status=package.status,
            read_only=view.read_only,
            message=package.message,
            expires_on=iso(package.expires_at),
            post_process=post_process_body(package),
        ),
        documents=[
            workflow_document(d, summary.field_counts.get(d.id, 0), view.read_only)
            for d in view.documents
        ],
        users=await user_bodies(session, view.recipients),
    )


def post_process_body(package: Package) -> PostProcess:
    settings = post_processing(package)
    return PostProcess(
        enabled=settings.enabled,
        recipients=[PostProcessRecipient(name=r.name, email=r.email) for r in settings.recipients],
        workflow_recipients=settings.workflow_recipients,
        message=settings.message,
    )


def workflow_document(document: Document, field_count: int, locked: bool) -> WorkflowDocument:
    width, height = document.pages[0] if document.pages else (0.0, 0.0)
    return WorkflowDocument(
        document_id=document.id,
        document_name=document.name,
        document_order=document.position,
        page_count=document.page_count,
        document_source=document.source,
        document_width=width,
        document_height=height,
        document_pages=document.page_count,
        created_on=document.created_at.isoformat(),
        modified_on=document.modified_at.isoformat(),
        form_fields=field_count > 0,
        certify=DocumentCertify(
            enabled=document.certify_enabled,
            allowed_permissions=[p.value for p in CertifyPermission],
            default_permission=document.certify_permission,
        ),
        lock_form_fields=document.lock_form_fields,
        locked=locked,
    )


@router.put("/packages/{package_id}/workflow")
async def update_details(
    package_id: int,
    body: WorkflowUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    change = WorkflowChange(
        workflow_type=body.workflow_type,
        workflow_mode=body.workflow_mode,
        continue_on_decline=body.continue_on_decline,
        message=body.message,
        expires_on=body.expires_on,
        clear_expiry="expires_on" in body.model_fields_set and body.expires_on is None,
    )
    await update_workflow(session, principal, actor, package_id, change)
    return empty_ok()


@router.put("/packages/{package_id}/workflow/post_process")
async def update_post_process(
    package_id: int,
    body: PostProcess,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    wanted = PostProcessing(
        enabled=body.enabled,
        recipients=tuple(PostProcessPerson(r.name, r.email) for r in body.recipients),
        message=body.message,
        workflow_recipients=body.workflow_recipients,
        google_drive=body.google_drive,
        dropbox=body.dropbox,
    )
    await set_post_processing(session, principal, actor, package_id, wanted)
    return empty_ok()


@router.post("/packages/{package_id}/workflow", response_model=list[SharedPackageBody])
async def share(
    package_id: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> list[SharedPackageBody]:
    shared = await share_package(session, principal, actor, package_id)
    return [SharedPackageBody(package_id=s.package_id, documents=s.document_ids) for s in shared]


@router.delete("/packages/{package_id}/workflow")
async def recall(
    package_id: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    await recall_package(session, principal, actor, package_id)
    return empty_ok()


@router.post("/packages/{package_id}/complete")
async def complete(
    package_id: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    await complete_workflow(session, principal, actor, package_id)
    return empty_ok()


@router.post("/packages/{package_id}/workflow/users")
async def add_users(
    package_id: int,
    body: list[UserAdd],
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    items = []
    for item in body:
        person = await person_of(
            session,
            principal,
            email=item.user_email,
            name=item.user_name,
            mobile_number=item.mobile_number,
            contact_id=item.contact_id,
        )
        items.append(
            NewRecipient(
                email=person.email,
                name=person.name,
                role=item.role,
                email_notification=item.email_notification,
                signing_order=item.signing_order,
                mobile_number=person.mobile_number,
                language=item.language,
            )
        )
    await add_recipients(session, principal, actor, package_id, items)
    return empty_ok()


@router.get(
    "/packages/{package_id}/workflow/users",
    dependencies=[ReadOnly],
    response_model=list[WorkflowUser],
)
async def users(
    package_id: int, principal: PrincipalDep, session: SessionDep, response: Response
) -> list[WorkflowUser]:
    recipients = await list_recipients(session, principal, package_id)
    response.headers["x-total-records"] = str(len(recipients))
    return await user_bodies(session, recipients)


@router.put("/packages/{package_id}/workflow/{order}/user")
async def update_user(
    package_id: int,
    order: int,
    body: UserUpdate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    change = RecipientChange(
        email=body.user_email,
        name=body.user_name,
        role=body.role,
        email_notification=body.email_notification,
        signing_order=body.signing_order,
        mobile_number=body.mobile_number,
        language=body.language,
    )
    await update_recipient(session, principal, actor, package_id, order, change)
    return empty_ok()


@router.put("/packages/{package_id}/workflow/{order}/reorder")
async def reorder_user(
    package_id: int,
    order: int,
    body: UserReorder,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await reorder_recipient(session, principal, actor, package_id, order, body.order)
    return empty_ok()


@router.delete("/packages/{package_id}/workflow/{order}")
async def delete_user(
    package_id: int, order: int, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> Response:
    await delete_recipient(session, principal, actor, package_id, order)
    return empty_ok()


@router.get(
    "/packages/{package_id}/workflow/{order}/permissions",
    dependencies=[ReadOnly],
    response_model=PermissionsBody,
)
async def get_permissions(
    package_id: int, order: int, principal: PrincipalDep, session: SessionDep
) -> PermissionsBody:
    recipient = await get_recipient(session, principal, package_id, order)
    return PermissionsBody.model_validate({"permissions": recipient.permissions})


@router.put("/packages/{package_id}/workflow/{order}/permissions")
async def put_permissions(
    package_id: int,
    order: int,
    body: PermissionsBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await update_recipient_settings(
        session,
        principal,
        actor,
        package_id,
        order,
        RecipientSetting.PERMISSIONS,
        {"permissions": body.permissions.model_dump()},
        apply_to_all=body.apply_to_all,
    )
    return empty_ok()


@router.get(
    "/packages/{package_id}/workflow/{order}/authentication",
    dependencies=[ReadOnly],
    response_model=AuthenticationBody,
)
async def get_authentication(
    package_id: int, order: int, principal: PrincipalDep, session: SessionDep
) -> AuthenticationBody:
    return authentication_reply(await get_recipient(session, principal, package_id, order))


def authentication_reply(recipient: Recipient) -> AuthenticationBody:
    body = AuthenticationBody.model_validate(
        {"authentication": recipient.authentication, "access_duration": recipient.access_duration}
    )
    # The password is write-only.
    body.authentication.password.user_password = None
    return body


def authentication_values(
    body: AuthenticationBody, previous: dict[str, object]
) -> dict[str, dict[str, object]]:
    """What a PUT stores: the password only as its argon2id hash."""
    return {
        "authentication": protect_authentication(
            body.authentication.model_dump(mode="json"), previous
        ),
        "access_duration": body.access_duration.model_dump(mode="json"),
    }


@router.put("/packages/{package_id}/workflow/{order}/authentication")
async def put_authentication(
    package_id: int,
    order: int,
    body: AuthenticationBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    previous = (await get_recipient(session, principal, package_id, order)).authentication
    await update_recipient_settings(
        session,
        principal,
        actor,
        package_id,
        order,
        RecipientSetting.AUTHENTICATION,
        authentication_values(body, previous),
        apply_to_all=body.apply_to_all,
    )
    return empty_ok()


@router.post("/packages/{package_id}/workflow/{order}/authentication/otp")
async def send_otp(
    package_id: int,
    order: int,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    await send_opening_code(session, context.settings, principal, actor, package_id, order)
    return empty_ok()


@router.post("/packages/{package_id}/workflow/{order}/authentication/password")
async def open_with_password_(
    package_id: int,
    order: int,
    body: PasswordBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
    x_otp: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    credentials = Credentials(context.settings, password=body.password, otp=x_otp)
    await open_with_password(session, principal, actor, package_id, order, credentials)
    return JSONResponse({"Message": ACCESS_GRANTED})


@router.post("/packages/{package_id}/workflow/{order}/unblock", response_model=WorkflowUser)
async def unblock(
    package_id: int,
    order: int,
    body: UnblockBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> WorkflowUser:
    """Ours: the owner (or a scoped admin) answers a recipient blocked by failed checks."""
    recipient = await unblock_recipient(
        session, principal, actor, package_id, order, UnblockAction(body.action), body.message
    )
    return user_body(recipient)


@router.get(
    "/packages/{package_id}/workflow/{order}/reminders",
    dependencies=[ReadOnly],
    response_model=RemindersBody,
)
async def get_reminders(
    package_id: int, order: int, principal: PrincipalDep, session: SessionDep
) -> RemindersBody:
    recipient = await get_recipient(session, principal, package_id, order)
    return RemindersBody.model_validate(recipient.reminders)


@router.put("/packages/{package_id}/workflow/{order}/reminders")
async def put_reminders(
    package_id: int,
    order: int,
    body: RemindersBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> Response:
    await update_recipient_settings(
        session,
        principal,
        actor,
        package_id,
        order,
        RecipientSetting.REMINDERS,
        {"reminders": body.model_dump(mode="json", exclude={"apply_to_all"})},
        apply_to_all=body.apply_to_all,
    )
    return empty_ok()


@router.get("/packages/{package_id}/log", dependencies=[ReadOnly], response_model=LogBody)
async def log(
    package_id: int, principal: PrincipalDep, session: SessionDep, response: Response
) -> LogBody:
    package, entries = await list_history(session, principal, package_id)
    response.headers["x-total-records"] = str(len(entries))
    return log_body(package, entries)


def log_body(package: Package, entries: list[HistoryEntry]) -> LogBody:
    return LogBody(
        package_id=package.id,
        package_name=package.name,
        actions=[
            LogAction(
                log_id=entry.id,
                date_time=entry.created_at.isoformat(),
                action_type=entry.action,
                user_email=entry.user_email,
                user_name=entry.user_name,
                ip_address=entry.ip_address,
            )
            for entry in entries
        ],
    )


def detail_value(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


@router.get(
    "/packages/{package_id}/log/{log_id}/details",
    dependencies=[ReadOnly],
    response_model=LogDetailsBody,
)
async def log_details(
    package_id: int,
    log_id: int,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> LogDetailsBody:
    entry = await history_entry(session, principal, package_id, log_id)
    details = [
        LogDetail(key=key, value=detail_value(value))
        for key, value in sorted(entry.details.items())
    ]
    der = await entry_certificate(context.blobs, entry)
    if der is not None:  # the guide's activity log gives the certificate's own URL
        url = f"{request.url.path}/{certificate_key(der)}"
        details.append(LogDetail(key="certificate", value=url))
    return LogDetailsBody(
        log_id=entry.id,
        action_type=entry.action,
        date_time=entry.created_at.isoformat(),
        user_email=entry.user_email,
        user_name=entry.user_name,
        ip_address=entry.ip_address,
        user_agent=entry.user_agent,
        details=details,
    )


@router.get(
    "/packages/{package_id}/log/{log_id}/details/{key}",
    dependencies=[ReadOnly],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def log_certificate(
    package_id: int,
    log_id: int,
    key: str,
    principal: PrincipalDep,
    session: SessionDep,
    context: ContextDep,
) -> Response:
    """The certificate behind a signature in the history, as the DER file."""
    der = await history_certificate(session, context.blobs, principal, package_id, log_id, key)
    return Response(
        der,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="certificate-{log_id}.cer"'},
    )


# After log/{log_id}/details: its literal last segment must win over a page size.
@router.get(
    "/packages/{package_id}/log/{page_no}/{records_per_page}",
    dependencies=[ReadOnly],
    response_model=LogBody,
)
async def log_page(
    package_id: int,
    page_no: int,
    records_per_page: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
) -> LogBody:
    """v4's paginated history, with the total in x-total-records."""
    package, entries, total = await history_page(
        session, principal, package_id, page_no, records_per_page
    )
    response.headers["x-total-records"] = str(total)
    return log_body(package, entries)
