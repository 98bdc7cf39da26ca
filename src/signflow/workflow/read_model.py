"""The workflow's details as one statement: the read model of `GET packages/{pid}/workflow`.

`workflow/settings.py` reads the same details through the ORM (the package, its owner,
its documents, its recipients and their group members, each document's fields, the
caller's folder: five statements, each loaded into the identity map). The hottest read
of the API does not need objects it will never change, so here they come back in ONE
SQLAlchemy Core statement, built once at import, as a single plain row: the package and
its owner as columns, the documents and the recipients (with their group members) as
JSON arrays built by the database (`json_agg` on PostgreSQL, `json_group_array` on
SQLite), each document's "has fields" and the caller's folder as sub-selects.

Who may read is decided in the same statement, by the same rules as
`packages/access.py` (`get_package` with `Need.READ`): the package is live, and the
caller owns it, or one of its recipient entries is the caller's (`visible_to`), with
the address only counted in the caller's own enterprise when an administrator acts
through a scope (`recipient_email`). A package the caller may not read gives no row at
all; the caller then asks `get_package`, which gives the refusal its exact answer (404
or 403, and the group member's own text).

The statement runs without a session, straight on the driver (`direct_reads.read_only_connection`:
on PostgreSQL asyncpg's prepared statement, on SQLite one hop to aiosqlite's thread),
the SQL text compiled from the Core statement once per database.

The two ways of reading must not drift: `tests/faces/signinghub/test_workflow_details.py`
compares the answers of both, byte for byte, for rich packages on both databases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    FromClause,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from signflow.accounts.principal import Principal
from signflow.db import utcnow
from signflow.direct_reads import ReadOnlyConnection
from signflow.models import (
    Document,
    Field,
    Package,
    PackageFiling,
    Recipient,
    RecipientMember,
    User,
    WorkflowStatus,
)
from signflow.packages.access import proven_email, recipient_email, visible_to
from signflow.packages.listing import Folder
from signflow.workflow.common import next_to_act
from signflow.workflow.post_process import PostProcessing, stored_post_processing

_packages = Package.__table__
_users = User.__table__
_documents = Document.__table__.alias("d")
_recipients = Recipient.__table__
_members = RecipientMember.__table__
_fields = Field.__table__
_filings = PackageFiling.__table__


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    id: int
    name: str
    position: int
    source: str | None
    page_count: int
    # The first page's size in points; (0, 0) for a document without pages.
    width: float
    height: float
    created_at: dt.datetime
    modified_at: dt.datetime
    certify_enabled: bool
    certify_permission: str
    lock_form_fields: bool
    has_fields: bool


@dataclass(frozen=True, slots=True)
class RecipientSummary:
    id: int
    position: int
    email: str
    name: str
    role: str
    email_notification: bool
    signing_order: int
    process_status: str
    processed_on: dt.datetime | None
    reason: str | None
    mobile_number: str | None
    placeholder: str | None
    group_name: str | None
    language: str | None
    # A group recipient's members' addresses in their order (withdrawn ones too); None
    # for any other recipient.
    group_members: list[str] | None
    # Only ever tested for None (whose turn it is: `workflow.common.next_to_act`), so
    # they stay as the database wrote them.
    turn_started_at: object
    finished_at: object
    read: bool


@dataclass(frozen=True, slots=True)
class WorkflowRead:
    """What `workflow.settings.get_workflow` and `workflow_summary` say about a package,
    for a caller allowed to read it."""

    package_id: int
    name: str
    owner_email: str
    owner_name: str
    status: str
    workflow_type: str
    workflow_mode: str
    continue_on_decline: bool
    message: str | None
    expires_at: dt.datetime | None
    created_at: dt.datetime
    modified_at: dt.datetime
    post_process: PostProcessing
    read_only: bool
    folder: str
    unread: bool
    next_ids: set[int]
    documents: list[DocumentSummary]
    recipients: list[RecipientSummary]


def _utc_text(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """A timestamp inside a JSON document, as UTC without offset (PostgreSQL would write
    it in the session's time zone; SQLite stores it so)."""
    return func.timezone("UTC", column) if dialect == "postgresql" else column


def _json_array(
    dialect: str,
    element: ColumnElement[Any],
    order: ColumnElement[Any],
    source: Select[Any],
    outer: FromClause,
    *,
    of_json: bool = True,
) -> ColumnElement[Any]:
    """The JSON array of `element` (a JSON value unless `of_json` is False) over the rows
    of `source` (correlated to `outer`), in `order`."""
    if dialect == "postgresql":
        return source.with_only_columns(
            func.json_agg(aggregate_order_by(element, order))
        ).scalar_subquery()
    # SQLite 3.40 has no ORDER BY inside an aggregate: it aggregates an ordered sub-select
    # (which SQLite does not flatten into an aggregate query), its rows in their order.
    ordered = source.add_columns(element.label("element")).order_by(order).correlate(outer)
    rows = ordered.subquery()
    # A JSON value loses its JSON-ness (its subtype) on the way out of a sub-select.
    item = func.json(rows.c.element) if of_json else rows.c.element
    return func.json(select(func.json_group_array(item)).scalar_subquery())


def _json_object(dialect: str, **values: ColumnElement[Any]) -> ColumnElement[Any]:
    build = func.json_build_object if dialect == "postgresql" else func.json_object
    pairs: list[Any] = []
    for key, value in values.items():
        pairs += [literal_column(f"'{key}'"), value]
    return build(*pairs)


def _statement(dialect: str) -> Select[Any]:
    package_id = _packages.c.id
    d = _documents
    pages = d.c.pages
    first_page = (
        pages.op("->")(0)
        if dialect == "postgresql"
        else func.json(func.json_extract(pages, "$[0]"))
    )
    has_fields = exists().where(_fields.c.document_id == d.c.id)
    documents = _json_array(
        dialect,
        _json_object(
            dialect,
            id=d.c.id,
            name=d.c.name,
            position=d.c.position,
            source=d.c.source,
            page_count=func.json_array_length(pages),
            first_page=first_page,
            created_at=_utc_text(d.c.created_at, dialect),
            modified_at=_utc_text(d.c.modified_at, dialect),
            certify_enabled=d.c.certify_enabled,
            certify_permission=d.c.certify_permission,
            lock_form_fields=d.c.lock_form_fields,
            has_fields=has_fields,
        ),
        d.c.position,
        select().select_from(d).where(d.c.package_id == package_id),
        _packages,
    )
    r = _recipients.alias("r")
    m = _members.alias("m")
    members = _json_array(
        dialect,
        m.c.email,
        m.c.position,
        select().select_from(m).where(m.c.recipient_id == r.c.id),
        r,
        of_json=False,
    )
    recipients = _json_array(
        dialect,
        _json_object(
            dialect,
            id=r.c.id,
            position=r.c.position,
            email=r.c.email,
            name=r.c.name,
            role=r.c.role,
            email_notification=r.c.email_notification,
            signing_order=r.c.signing_order,
            process_status=r.c.process_status,
            processed_on=_utc_text(r.c.processed_on, dialect),
            reason=r.c.reason,
            mobile_number=r.c.mobile_number,
            placeholder=r.c.placeholder,
            group_name=r.c.group_name,
            language=r.c.language,
            group_members=members,
            turn_started_at=r.c.turn_started_at,
            finished_at=r.c.finished_at,
            read=r.c.read_at.is_not(None),
        ),
        r.c.position,
        select().select_from(r).where(r.c.package_id == package_id),
        _packages,
    )
    folder = (
        select(_filings.c.folder)
        .where(
            _filings.c.user_id == bindparam("user_id"),
            _filings.c.package_id == package_id,
        )
        .scalar_subquery()
    )
    # get_package's rule for Need.READ: the owner, or a recipient whose entry is visible
    # to the caller's proven address, counted in another enterprise's package only when
    # the caller is not an administrator acting through a scope (recipient_email).
    caller_email = bindparam("email", type_=Recipient.email.type)
    by_recipient = and_(
        or_(
            bindparam("unscoped", type_=Boolean),
            _packages.c.enterprise_id == bindparam("enterprise_id"),
        ),
        exists().where(Recipient.package_id == package_id, visible_to(caller_email)),
    )
    return (
        select(
            package_id,
            _packages.c.name,
            _packages.c.enterprise_id,
            _packages.c.owner_id,
            _packages.c.status,
            _packages.c.workflow_type,
            _packages.c.workflow_mode,
            _packages.c.continue_on_decline,
            _packages.c.message,
            _packages.c.expires_at,
            _packages.c.created_at,
            _packages.c.modified_at,
            _packages.c.completed_at,
            _packages.c.post_process,
            _users.c.email.label("owner_email"),
            _users.c.name.label("owner_name"),
            folder.label("folder"),
            type_coerce(documents, JSON).label("documents"),
            type_coerce(recipients, JSON).label("recipients"),
        )
        .join_from(_packages, _users, _users.c.id == _packages.c.owner_id)
        .where(
            package_id == bindparam("package_id"),
            _packages.c.deleted_at.is_(None),
            or_(_packages.c.owner_id == bindparam("user_id"), by_recipient),
        )
    )


# Built once per dialect at import, and compiled to SQL text once per database
# (`direct_reads.driver_form`) the first time it runs.
_STATEMENTS = {dialect: _statement(dialect) for dialect in ("postgresql", "sqlite")}


def statement_for(dialect: str) -> Select[Any]:
    return _STATEMENTS[dialect]


def read_parameters(principal: Principal, package_id: int) -> dict[str, object]:
    return {
        "package_id": package_id,
        "user_id": principal.user.id,
        "email": proven_email(principal),
        "unscoped": not principal.is_scoped,
        "enterprise_id": principal.enterprise_id,
    }


async def read_workflow(
    connection: ReadOnlyConnection,
    principal: Principal,
    package_id: int,
    archive_after_days: int,
) -> WorkflowRead | None:
    """The workflow's details, or None when the caller may not read the package (or it
    does not exist): `packages.access.get_package` then says why. Read without a
    session, on a connection of `direct_reads.read_only_connection`: the statement goes straight
    to the driver."""
    row = await connection.first(
        statement_for(connection.dialect_name), read_parameters(principal, package_id)
    )
    if row is None:
        return None
    return _workflow(row, principal, archive_after_days)


def _workflow(row: Any, principal: Principal, archive_after_days: int) -> WorkflowRead:
    is_owner = row.owner_id == principal.user.id
    recipients = [_recipient(item) for item in row.recipients or ()]
    email = recipient_email(principal, row.enterprise_id)
    mine = [r for r in recipients if email is not None and r.email == email]
    archived = (
        row.status == WorkflowStatus.COMPLETED.value
        and row.completed_at is not None
        and row.completed_at < utcnow() - dt.timedelta(days=archive_after_days)
    )
    return WorkflowRead(
        package_id=row.id,
        name=row.name,
        owner_email=row.owner_email,
        owner_name=row.owner_name,
        status=row.status,
        workflow_type=row.workflow_type,
        workflow_mode=row.workflow_mode,
        continue_on_decline=row.continue_on_decline,
        message=row.message,
        expires_at=row.expires_at,
        created_at=row.created_at,
        modified_at=row.modified_at,
        post_process=stored_post_processing(row.post_process),
        read_only=not is_owner or row.status != WorkflowStatus.DRAFT.value,
        folder=row.folder or (Folder.ARCHIVE if archived else Folder.INBOX).value,
        unread=not is_owner and any(not r.read for r in mine),
        next_ids=next_to_act(row.status, recipients),
        documents=[_document(item) for item in row.documents or ()],
        recipients=recipients,
    )


def _document(item: dict[str, Any]) -> DocumentSummary:
    width, height = item["first_page"] or (0.0, 0.0)
    return DocumentSummary(
        id=item["id"],
        name=item["name"],
        position=item["position"],
        source=item["source"],
        page_count=item["page_count"] or 0,
        width=float(width),
        height=float(height),
        created_at=_utc(item["created_at"]),
        modified_at=_utc(item["modified_at"]),
        certify_enabled=bool(item["certify_enabled"]),
        certify_permission=item["certify_permission"],
        lock_form_fields=bool(item["lock_form_fields"]),
        has_fields=bool(item["has_fields"]),
    )


def _recipient(item: dict[str, Any]) -> RecipientSummary:
    processed_on = item["processed_on"]
    return RecipientSummary(
        id=item["id"],
        position=item["position"],
        email=item["email"],
        name=item["name"],
        role=item["role"],
        email_notification=bool(item["email_notification"]),
        signing_order=item["signing_order"],
        process_status=item["process_status"],
        processed_on=None if processed_on is None else _utc(processed_on),
        reason=item["reason"],
        mobile_number=item["mobile_number"],
        placeholder=item["placeholder"],
        group_name=item["group_name"],
        language=item["language"],
        group_members=(item["group_members"] or []) if item["group_name"] is not None else None,
        turn_started_at=item["turn_started_at"],
        finished_at=item["finished_at"],
        read=bool(item["read"]),
    )


def _utc(text: str) -> dt.datetime:
    """A timestamp of the JSON documents above: UTC, written without its offset."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
