"""ORM tables, one module per aggregate. Importing this package registers them all."""

from signflow.models.app_session import AppSession
from signflow.models.application import ApiKey, Application
from signflow.models.blob import Blob
from signflow.models.bulk import BulkAction, BulkRow, BulkRowStatus, BulkRun, BulkRunStatus
from signflow.models.contact import Contact
from signflow.models.document import Attachment, Document, DocumentVersion, VersionKind
from signflow.models.enterprise import Enterprise
from signflow.models.field import Field, FieldKind
from signflow.models.group import RecipientGroup, RecipientGroupMember, RecipientMember
from signflow.models.history import HistoryCheckpoint, HistoryCheckpointHead, HistoryEntry
from signflow.models.identity import OneTimeCode, RecipientIdentity
from signflow.models.invitation import Invitation, InvitationStatus, PasswordReset
from signflow.models.job import Job, JobStatus
from signflow.models.package import Package, WorkflowMode, WorkflowStatus, WorkflowType
from signflow.models.package_deletion import PackageDeletion
from signflow.models.package_filing import PackageFiling
from signflow.models.personal_settings import (
    ProfilePhoto,
    SecurityQuestion,
    SignatureSettings,
    SigningCapacity,
)
from signflow.models.pki import (
    CredentialKind,
    EnterpriseCa,
    EvidenceReport,
    KeyStore,
    SigningCredential,
)
from signflow.models.recipient import ProcessStatus, Recipient, RecipientRole
from signflow.models.rendered_page import RenderedPage
from signflow.models.signature_adoption import SignatureAdoption
from signflow.models.signature_request import (
    RequestState,
    SendInfoAttempt,
    SendInfoDelivery,
    SignatureRequest,
)
from signflow.models.sso import EnterpriseSso
from signflow.models.template import Template, TemplateDocument, TemplateVersion
from signflow.models.token import AuthFailure, SpentRefreshToken, TokenGrant
from signflow.models.user import EnterpriseRole, User
from signflow.models.webhook import WebhookAttempt, WebhookEndpoint, WebhookMessage
from signflow.models.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "ApiKey",
    "AppSession",
    "Application",
    "Attachment",
    "AuthFailure",
    "Blob",
    "BulkAction",
    "BulkRow",
    "BulkRowStatus",
    "BulkRun",
    "BulkRunStatus",
    "Contact",
    "CredentialKind",
    "Document",
    "DocumentVersion",
    "Enterprise",
    "EnterpriseCa",
    "EnterpriseRole",
    "EnterpriseSso",
    "EvidenceReport",
    "Field",
    "FieldKind",
    "HistoryCheckpoint",
    "HistoryCheckpointHead",
    "HistoryEntry",
    "Invitation",
    "InvitationStatus",
    "Job",
    "JobStatus",
    "KeyStore",
    "OneTimeCode",
    "Package",
    "PackageDeletion",
    "PackageFiling",
    "PasswordReset",
    "ProcessStatus",
    "ProfilePhoto",
    "Recipient",
    "RecipientGroup",
    "RecipientGroupMember",
    "RecipientIdentity",
    "RecipientMember",
    "RecipientRole",
    "RenderedPage",
    "RequestState",
    "SecurityQuestion",
    "SendInfoAttempt",
    "SendInfoDelivery",
    "SignatureAdoption",
    "SignatureRequest",
    "SignatureSettings",
    "SigningCapacity",
    "SigningCredential",
    "SpentRefreshToken",
    "Template",
    "TemplateDocument",
    "TemplateVersion",
    "TokenGrant",
    "User",
    "VersionKind",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookMessage",
    "WorkerHeartbeat",
    "WorkflowMode",
    "WorkflowStatus",
    "WorkflowType",
]
