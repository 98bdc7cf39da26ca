"""Imports every module that registers job handlers, so a worker knows all job kinds."""

import signflow.audit.checkpoints
import signflow.audit.evidence
import signflow.identity.jobs
import signflow.notify.account_mail
import signflow.notify.jobs
import signflow.retention.release
import signflow.retention.sweep
import signflow.signature_requests.sendinfo
import signflow.templates.bulk
import signflow.webhooks.delivery
import signflow.webhooks.fanout
import signflow.workflow.archiving
import signflow.workflow.deadlines  # noqa: F401
