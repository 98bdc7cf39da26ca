"""Templates (SigningHub's library documents): apply one to a package's document, list
them and their documents; and ours: save a package as a template, read, rename, share,
delete, version, and make a package from one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from signflow.accounts.users import require_admin
from signflow.errors import BadRequest
from signflow.faces.routing import ContextDep, ReadOnly, SessionDep, TransactionalRoute, empty_ok
from signflow.faces.signinghub.deps import ActorDep, PrincipalDep
from signflow.faces.signinghub.list_filters import list_filters, search_text
from signflow.faces.signinghub.package_schemas import DocumentCreated
from signflow.faces.signinghub.template_schemas import (
    AppliedCertify,
    AppliedTemplate,
    AppliedTemplateRef,
    ApplyTemplateBody,
    LibraryDocument,
    PackageFromTemplate,
    PackageFromTemplateCreated,
    PlaceholderFillBody,
    PlaceholderOrder,
    TemplateDetails,
    TemplateDocumentItem,
    TemplateListItem,
    TemplateSave,
    TemplateUpdate,
    TemplateUser,
    TemplateVersionSave,
)
from signflow.models import Template
from signflow.templates.apply import (
    PlaceholderFill,
    TemplateRef,
    apply_to_document,
    create_from_template,
)
from signflow.templates.library import (
    TemplateView,
    delete_template,
    library_documents,
    list_templates,
    owner_emails,
    read_template,
    save_new_version,
    save_template,
    update_template,
)
from signflow.templates.library_documents import add_library_document
from signflow.workflow.common import package_documents

router = APIRouter(route_class=TransactionalRoute, tags=["templates"])


def fills_of(items: list[PlaceholderFillBody]) -> list[PlaceholderFill]:
    return [
        PlaceholderFill(i.placeholder, i.user_email, i.user_name, i.mobile_number) for i in items
    ]


def titles_of(items: list[PlaceholderOrder]) -> dict[int, str]:
    titles: dict[int, str] = {}
    for item in items:
        if item.order in titles:
            raise BadRequest(f"Order {item.order} is named as a placeholder twice")
        titles[item.order] = item.placeholder
    return titles


@router.post(
    "/packages/{package_id}/documents/{document_id}/template", response_model=AppliedTemplate
)
async def apply_template(
    package_id: int,
    document_id: int,
    body: ApplyTemplateBody,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> AppliedTemplate:
    applied = await apply_to_document(
        session,
        principal,
        actor,
        package_id,
        document_id,
        TemplateRef(template_id=body.template_id, name=body.template_name),
        apply_to_all=body.apply_to_all,
        fills=fills_of(body.placeholders),
    )
    document = applied.document
    width, height = document.pages[0] if document.pages else (0.0, 0.0)
    return AppliedTemplate(
        document_id=document.id,
        document_name=document.name,
        document_order=document.position,
        document_source=document.source,
        document_width=width,
        document_height=height,
        document_pages=document.page_count,
        uploaded_on=document.created_at.isoformat(),
        modified_on=document.modified_at.isoformat(),
        form_fields=True,
        lock_form_fields=document.lock_form_fields,
        certify=AppliedCertify(
            enabled=document.certify_enabled, permission=document.certify_permission
        ),
        template=AppliedTemplateRef(
            template_id=applied.template.id,
            template_name=applied.template.name,
            template_version=applied.version,
        ),
    )


def list_item(
    template: Template, principal_id: int, is_admin: bool, owner: str
) -> TemplateListItem:
    return TemplateListItem(
        template_id=template.id,
        template_name=template.name,
        template_public=template.shared,
        read_only=template.owner_id != principal_id and not is_admin,
        template_version=template.current_version,
        owner=owner,
        created_on=template.created_at.isoformat(),
        modified_on=template.modified_at.isoformat(),
    )


async def _template_page(
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    records_per_page: int,
    page_no: int,
    search: str | None,
    enterprise: bool | None,
) -> list[TemplateListItem]:
    templates, total = await list_templates(
        session, principal, page_no, records_per_page, search=search, enterprise=enterprise
    )
    owners = await owner_emails(session, templates)
    response.headers["x-total-records"] = str(total)
    return [
        list_item(t, principal.user.id, principal.user.is_admin, owners.get(t.owner_id, ""))
        for t in templates
    ]


@router.get(
    "/settings/templates/{records_per_page}/{page_no}",
    dependencies=[ReadOnly],
    response_model=list[TemplateListItem],
)
async def templates_page(
    records_per_page: int,
    page_no: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    x_search_text: Annotated[str | None, Header()] = None,
    x_enterprise: Annotated[str | None, Header()] = None,
) -> list[TemplateListItem]:
    """The caller's templates and those shared in their enterprise (`x-enterprise`: only
    shared ones when true, only personal ones when false)."""
    search, enterprise = list_filters(x_search_text, x_enterprise)
    return await _template_page(
        principal, session, response, records_per_page, page_no, search, enterprise
    )


@router.get(
    "/enterprise/templates/{records_per_page}/{page_no}",
    dependencies=[ReadOnly],
    response_model=list[TemplateListItem],
)
async def enterprise_templates_page(
    records_per_page: int,
    page_no: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    x_search_text: Annotated[str | None, Header()] = None,
) -> list[TemplateListItem]:
    """The enterprise's shared templates: an enterprise admin's call."""
    require_admin(principal)
    search = search_text(x_search_text)
    return await _template_page(
        principal, session, response, records_per_page, page_no, search, True
    )


@router.post(
    "/packages/{package_id}/documents/library/{library_id}",
    status_code=201,
    response_model=DocumentCreated,
)
async def add_from_library(
    package_id: int,
    library_id: int,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> DocumentCreated:
    """A library document (of a template the caller may apply) joins a draft package."""
    document = await add_library_document(
        session, principal, actor, context.blobs, package_id, library_id
    )
    return DocumentCreated(documentid=document.id)


@router.get(
    "/settings/library/{records_per_page}/{page_no}",
    dependencies=[ReadOnly],
    response_model=list[LibraryDocument],
)
async def library_page(
    records_per_page: int,
    page_no: int,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    x_search_text: Annotated[str | None, Header()] = None,
    x_enterprise: Annotated[str | None, Header()] = None,
) -> list[LibraryDocument]:
    """The documents of the templates the caller may apply."""
    search, enterprise = list_filters(x_search_text, x_enterprise)
    rows, total = await library_documents(
        session, principal, page_no, records_per_page, search=search, enterprise=enterprise
    )
    response.headers["x-total-records"] = str(total)
    return [
        LibraryDocument(
            library_id=document.id,
            document_name=document.name,
            page_count=len(document.pages),
            file_size=document.size,
            template_id=template.id,
            template_name=template.name,
            uploaded_on=template.modified_at.isoformat(),
        )
        for document, template in rows
    ]


async def details_of(session: SessionDep, view: TemplateView) -> TemplateDetails:
    template, content = view.template, view.version.content
    owners = await owner_emails(session, [template])
    workflow = content.get("workflow")
    workflow = workflow if isinstance(workflow, dict) else {}
    users = content.get("recipients")
    fields = content.get("fields")
    return TemplateDetails(
        template_id=template.id,
        template_name=template.name,
        template_public=template.shared,
        template_version=view.version.number,
        owner=owners.get(template.owner_id, ""),
        workflow_type=str(workflow.get("workflow_type", "SERIAL")),
        workflow_mode=str(workflow.get("workflow_mode", "ME_AND_OTHERS")),
        message=workflow.get("message"),
        documents=[
            TemplateDocumentItem(
                document_order=d.position,
                document_name=d.name,
                page_count=len(d.pages),
                file_size=d.size,
            )
            for d in view.documents
        ],
        users=[
            TemplateUser(
                order=order,
                placeholder=user.get("placeholder"),
                user_email=user.get("email") or None,
                user_name=str(user.get("name", "")),
                role=str(user.get("role", "SIGNER")),
                signing_order=int(user.get("signing_order") or order),
            )
            for order, user in enumerate(users if isinstance(users, list) else [], start=1)
        ],
        field_count=len(fields) if isinstance(fields, list) else 0,
        created_on=template.created_at.isoformat(),
        modified_on=template.modified_at.isoformat(),
    )


@router.post("/settings/templates", response_model=TemplateDetails)
async def save(
    body: TemplateSave, principal: PrincipalDep, actor: ActorDep, session: SessionDep
) -> TemplateDetails:
    """Save one of the caller's packages as a new template (version 1)."""
    view = await save_template(
        session,
        principal,
        actor,
        body.package_id,
        name=body.template_name,
        shared=body.enterprise,
        placeholders=titles_of(body.placeholders),
    )
    return await details_of(session, view)


@router.get(
    "/settings/templates/{template_id}", dependencies=[ReadOnly], response_model=TemplateDetails
)
async def read(template_id: int, principal: PrincipalDep, session: SessionDep) -> TemplateDetails:
    return await details_of(session, await read_template(session, principal, template_id))


@router.put("/settings/templates/{template_id}", response_model=TemplateDetails)
async def update(
    template_id: int, body: TemplateUpdate, principal: PrincipalDep, session: SessionDep
) -> TemplateDetails:
    """Rename, or share with the enterprise / make personal (an enterprise admin's call)."""
    view = await update_template(
        session, principal, template_id, name=body.template_name, shared=body.enterprise
    )
    return await details_of(session, view)


@router.delete("/settings/templates/{template_id}")
async def delete(template_id: int, principal: PrincipalDep, session: SessionDep) -> Response:
    await delete_template(session, principal, template_id)
    return empty_ok()


@router.post("/settings/templates/{template_id}/versions", response_model=TemplateDetails)
async def new_version(
    template_id: int,
    body: TemplateVersionSave,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
) -> TemplateDetails:
    """Save one of the caller's packages as the template's next version."""
    view = await save_new_version(
        session, principal, actor, template_id, body.package_id, titles_of(body.placeholders)
    )
    return await details_of(session, view)


@router.post(
    "/settings/templates/{template_id}/packages", response_model=PackageFromTemplateCreated
)
async def package_from_template(
    template_id: int,
    body: PackageFromTemplate,
    principal: PrincipalDep,
    actor: ActorDep,
    session: SessionDep,
    context: ContextDep,
) -> PackageFromTemplateCreated:
    """A new draft package with the template's documents, recipients, fields and settings,
    its placeholders filled with the people given."""
    package = await create_from_template(
        session,
        principal,
        actor,
        context.blobs,
        template_id,
        package_name=body.package_name,
        fills=fills_of(body.placeholders),
    )
    documents = await package_documents(session, package.id)
    return PackageFromTemplateCreated(
        package_id=package.id,
        package_name=package.name,
        template_id=template_id,
        template_version=package.template_version or 1,
        documents=[d.id for d in documents],
    )
