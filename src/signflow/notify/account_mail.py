"""The mail a person gets when an admin registers their address.

Decided when the mail is sent, not when the account was registered: if the address
has an account (another enterprise's, or one that proved it since), the person gets
a notice instead of a link, since the pending account can never be activated. The
admin who registered it sees the same pending account either way.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.activation import (
    ACTIVATION_LINK_TTL,
    activation_link,
    issue_activation_token,
)
from signflow.accounts.email_ownership import owning_account
from signflow.accounts.users import ACTIVATION_MAIL_JOB
from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import Enterprise, Job, User
from signflow.notify import messages
from signflow.notify.audience import user_audience
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
