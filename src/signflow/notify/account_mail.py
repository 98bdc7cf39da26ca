"""The mails about accounts: the activation mail a person gets when an admin registers
their address, the forgot-password link, and an enterprise's invitation.

Decided when the mail is sent, not when the account was registered: if the address
has an account (another enterprise's, or one that proved it since), the person gets
a notice instead of a link, since the pending account can never be activated. The
admin who registered it sees the same pending account either way.
"""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.activation import (
    ACTIVATION_LINK_TTL,
    activation_link,
    issue_activation_token,
)
from signflow.accounts.email_ownership import owning_account
from signflow.accounts.invitations import INVITATION_MAIL_JOB
from signflow.accounts.password_reset import RESET_MAIL_JOB, issue_reset_token, reset_link
from signflow.accounts.users import ACTIVATION_MAIL_JOB
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Enterprise, Invitation, InvitationStatus, Job, User
from signflow.notify import messages
from signflow.notify.audience import enterprise_audience, user_audience
from signflow.notify.jobs import mailer
from signflow.outbox.handlers import Done, Outcome, job_handler


@job_handler(ACTIVATION_MAIL_JOB)
async def email_account_activation(context: AppContext, job: Job) -> Outcome:
    # The token's digest commits before the mail leaves: a failed send is retried with
    # a new link, and the one that finally arrives is the one that works.
    async with transaction(context.sessions) as session:
        message = await _message(session, context, int(str(job.payload["user_id"])))
    if message is not None:
        await mailer(context).send(message)
    return Done()


async def _message(session: AsyncSession, context: AppContext, user_id: int) -> EmailMessage | None:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or user.email_verified_at is not None or not user.is_active:
        return None  # deleted, activated or disabled since: nothing to say
    enterprise = await session.get_one(Enterprise, user.enterprise_id)
    to = Address(display_name=user.name, addr_spec=user.email)
    settings = context.settings
    audience = await user_audience(session, user)
    if await owning_account(session, user.email) is not None:
        return messages.address_has_an_account(
            mail_from=settings.mail_from,
            to=to,
            person_name=user.name,
            enterprise_name=enterprise.name,
            language=audience.language,
            branding=audience.branding,
        )
    token = issue_activation_token(user)
    return messages.account_activation(
        mail_from=settings.mail_from,
        to=to,
        person_name=user.name,
        enterprise_name=enterprise.name,
        activation_link=activation_link(settings, token),
        valid_days=ACTIVATION_LINK_TTL.days,
        language=audience.language,
        branding=audience.branding,
    )


@job_handler(RESET_MAIL_JOB)
async def email_password_reset(context: AppContext, job: Job) -> Outcome:
    # As for activation: the link's digest commits before the mail leaves, so the link
    # that finally arrives is the one that works.
    async with transaction(context.sessions) as session:
        message = await _reset_message(session, context, int(str(job.payload["user_id"])))
    if message is not None:
        await mailer(context).send(message)
    return Done()


async def _reset_message(
    session: AsyncSession, context: AppContext, user_id: int
) -> EmailMessage | None:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or not user.is_active or user.email_verified_at is None:
        return None  # deleted, disabled or never proven since: nothing to say
    enterprise = await session.get_one(Enterprise, user.enterprise_id)
    settings = context.settings
    ttl = dt.timedelta(seconds=settings.password_reset_ttl_seconds)
    token = await issue_reset_token(session, user, ttl)
    audience = await user_audience(session, user)
    return messages.password_reset(
        mail_from=settings.mail_from,
        to=Address(display_name=user.name, addr_spec=user.email),
        person_name=user.name,
        enterprise_name=enterprise.name,
        reset_link=reset_link(settings, token),
        valid_minutes=settings.password_reset_ttl_seconds // 60,
        language=audience.language,
        branding=audience.branding,
    )


@job_handler(INVITATION_MAIL_JOB)
async def email_enterprise_invitation(context: AppContext, job: Job) -> Outcome:
    async with transaction(context.sessions) as session:
        message = await _invitation_message(
            session, context, int(str(job.payload["invitation_id"]))
        )
    if message is not None:
        await mailer(context).send(message)
    return Done()


async def _invitation_message(
    session: AsyncSession, context: AppContext, invitation_id: int
) -> EmailMessage | None:
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.status != InvitationStatus.PENDING.value:
        return None  # withdrawn, accepted or declined since
    enterprise = await session.get_one(Enterprise, invitation.enterprise_id)
    inviter = (
        await session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    )
    settings = context.settings
    # Decided now, not when the admin invited: the admin's answer never depends on it.
    has_account = await owning_account(session, invitation.email) is not None
    # The invitee is not the enterprise's yet: its default language and its branding.
    audience = await enterprise_audience(session, enterprise.id)
    return messages.enterprise_invitation(
        mail_from=settings.mail_from,
        to=Address(display_name=invitation.name, addr_spec=invitation.email),
        person_name=invitation.name,
        enterprise_name=enterprise.name,
        inviter_name=inviter.name if inviter else enterprise.name,
        has_account=has_account,
        can_register=settings.self_registration,
        language=audience.language,
        branding=audience.branding,
    )
