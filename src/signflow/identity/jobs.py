"""Delivering one-time codes: the `email.one_time_code` and `sms.one_time_code` jobs.

Each unseals the code kept for delivery, sends it, then erases it from the row.
A code that expired before it could be sent is dropped.
"""

from __future__ import annotations

from email.headerregistry import Address

from signflow.context import AppContext
from signflow.db import transaction, utcnow
from signflow.identity.codes import (
    DELIVERY_PURPOSE,
    EMAIL_CODE_JOB,
    SMS_CODE_JOB,
    VALID_MINUTES,
    member_of_purpose,
)
from signflow.identity.sms import create_sms_channel
from signflow.models import Job, OneTimeCode, Package, Recipient, RecipientMember
from signflow.notify import messages
from signflow.notify.audience import Audience, recipient_audience
from signflow.notify.jobs import mailer
from signflow.outbox.handlers import Done, Failed, Outcome, job_handler
from signflow.sealing import unseal
from signflow.webhooks.delivery import webhook_client


async def _pending(context: AppContext, job: Job) -> tuple[OneTimeCode, str, str, Audience] | None:
    """The code, the name of the person it goes to, the code itself, and the language and
    branding of its message."""
    async with transaction(context.sessions) as session:
        code = await session.get(OneTimeCode, int(str(job.payload["code_id"])))
        if code is None or code.pending_delivery is None:
            return None
        if code.expires_at <= utcnow() or code.used_at is not None:
            code.pending_delivery = None
            return None
        recipient = await session.get_one(Recipient, code.recipient_id)
        package = await session.get_one(Package, recipient.package_id)
        audience = await recipient_audience(session, recipient, package)
        name = recipient.name
        member_id = member_of_purpose(code.purpose)
        if member_id is not None:  # a group member's own code
            member = await session.get(RecipientMember, member_id)
            name = member.name if member is not None else name
        value = unseal(
            code.pending_delivery, context.settings.effective_secret_key, DELIVERY_PURPOSE
        ).decode()
        return code, name, value, audience


async def _delivered(context: AppContext, code_id: int) -> None:
    async with transaction(context.sessions) as session:
        code = await session.get_one(OneTimeCode, code_id)
        code.pending_delivery, code.delivered_at = None, utcnow()


@job_handler(EMAIL_CODE_JOB)
async def email_one_time_code(context: AppContext, job: Job) -> Outcome:
    found = await _pending(context, job)
    if found is None:
        return Done()
    code, name, value, audience = found
    message = messages.one_time_code(
        mail_from=context.settings.mail_from,
        to=Address(display_name=name, addr_spec=code.destination),
        recipient_name=name,
        code=value,
        valid_minutes=VALID_MINUTES,
        language=audience.language,
        branding=audience.branding,
    )
    await mailer(context).send(message)
    await _delivered(context, code.id)
    return Done()


@job_handler(SMS_CODE_JOB)
async def sms_one_time_code(context: AppContext, job: Job) -> Outcome:
    found = await _pending(context, job)
    if found is None:
        return Done()
    code, _name, value, audience = found
    channel = create_sms_channel(context.settings, webhook_client(context))
    if code.channel != f"sms:{channel.name}":
        return Failed(f"the code was issued for {code.channel}, configured is sms:{channel.name}")
    text = messages.one_time_code_sms(
        code=value,
        valid_minutes=VALID_MINUTES,
        language=audience.language,
        brand=audience.branding.display_name or context.settings.installation_name,
    )
    await channel.send(code.destination, text)
    await _delivered(context, code.id)
    return Done()
