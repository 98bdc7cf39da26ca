"""The email jobs the workflow writes: who gets which message, with which links."""

from __future__ import annotations

from email.headerregistry import Address
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import (
    Job,
    Package,
    ProcessStatus,
    Recipient,
    RecipientMember,
    User,
    WebhookEndpoint,
    WorkflowStatus,
)
from signflow.notify import messages
from signflow.notify.audience import enterprise_audience, recipient_audience, user_audience
from signflow.notify.mailer import Mailer, create_mailer
from signflow.outbox.handlers import Done, Failed, Outcome, job_handler
from signflow.packages.documents import list_documents
from signflow.packages.links import document_link, member_link, recipient_link
from signflow.workflow.post_process import post_processing


def mailer(context: AppContext) -> Mailer:
    settings = context.settings
    return context.service("mailer", lambda: create_mailer(settings.smtp_url, settings.data_dir))


def _id(job: Job, key: str) -> int:
    value: Any = job.payload[key]
    return int(value)


async def _recipient_and_package(
    session: AsyncSession, recipient_id: int
) -> tuple[Recipient, Package, User] | None:
    recipient = await session.get(Recipient, recipient_id)
    if recipient is None:
        return None
    package = await session.get_one(Package, recipient.package_id)
    owner = await session.get_one(User, package.owner_id)
    return recipient, package, owner


async def _owner_look(session: AsyncSession, user: User) -> dict[str, Any]:
    """The language and branding keyword arguments of a mail to an account."""
    audience = await user_audience(session, user)
    return {"language": audience.language, "branding": audience.branding}


@job_handler("email.turn_opened")
async def email_turn_opened(context: AppContext, job: Job) -> Outcome:
    return await _turn_email(context, job, messages.your_turn_to_sign)


@job_handler("email.reminder")
async def email_reminder(context: AppContext, job: Job) -> Outcome:
    return await _turn_email(context, job, messages.reminder)


async def _turn_email(context: AppContext, job: Job, build: Any) -> Outcome:
    async with transaction(context.sessions) as session:
        found = await _recipient_and_package(session, _id(job, "recipient_id"))
        if found is None:
            return Failed("the recipient no longer exists")
        recipient, package, owner = found
        still_their_turn = (
            package.status == WorkflowStatus.SHARED.value
            and recipient.process_status == ProcessStatus.IN_PROGRESS.value
        )
        if not (still_their_turn and recipient.email_notification):
            return Done()
        # A group nobody acted for yet: every member still invited, each with their link.
        invited = (
            [
                (member.name, member.email, member_link(context.settings, member))
                for member in await live_members(session, recipient.id)
            ]
            if recipient.is_untaken_group
            else [(recipient.name, recipient.email, recipient_link(context.settings, recipient))]
        )
        audience = await recipient_audience(session, recipient, package)
        outgoing = [
            build(
                mail_from=context.settings.mail_from,
                to=Address(display_name=name, addr_spec=email),
                recipient_name=name,
                package_name=package.name,
                sender_name=owner.name,
                signing_link=link,
                language=audience.language,
                branding=audience.branding,
            )
            for name, email, link in invited
        ]
    for message in outgoing:
        await mailer(context).send(message)
    return Done()


async def live_members(session: AsyncSession, recipient_id: int) -> list[RecipientMember]:
    return list(
        await session.scalars(
            select(RecipientMember)
            .where(
                RecipientMember.recipient_id == recipient_id,
                RecipientMember.withdrawn_at.is_(None),
            )
            .order_by(RecipientMember.position)
        )
    )


@job_handler("email.group_turn_taken")
async def email_group_turn_taken(context: AppContext, job: Job) -> Outcome:
    """A member whose invitation was withdrawn hears who acted for the group."""
    async with transaction(context.sessions) as session:
        member = await session.get(RecipientMember, _id(job, "member_id"))
        if member is None:
            return Failed("the group member no longer exists")
        recipient = await session.get_one(Recipient, member.recipient_id)
        package = await session.get_one(Package, recipient.package_id)
        audience = await recipient_audience(session, recipient, package)
        message = messages.group_turn_taken(
            mail_from=context.settings.mail_from,
            to=Address(display_name=member.name, addr_spec=member.email),
            recipient_name=member.name,
            package_name=package.name,
            group_name=recipient.group_name or "",
            taker_name=recipient.name,
            taker_email=recipient.email,
            language=audience.language,
            branding=audience.branding,
        )
    await mailer(context).send(message)
    return Done()


@job_handler("email.package_completed")
async def email_package_completed(context: AppContext, job: Job) -> Outcome:
    async with transaction(context.sessions) as session:
        package = await session.get(Package, _id(job, "package_id"))
        if package is None:
            return Failed("the package no longer exists")
        owner = await session.get_one(User, package.owner_id)
        downloads = [
            messages.Download(name=document.name, url=document_link(context.settings, document))
            for document in await list_documents(session, package.id)
        ]
        owner_audience = await user_audience(session, owner)
        # Whoever has no language of their own reads the enterprise's default.
        default_audience = await enterprise_audience(session, package.enterprise_id)
        people = {owner.email: (owner.name, owner_audience)}
        post = post_processing(package)
        with_message: set[str] = set()
        if post.enabled:
            # The copies post-processing asks for (workflow/post_process.py).
            for person in post.recipients:
                people.setdefault(person.email, (person.name, default_audience))
                with_message.add(person.email)
        for recipient in await session.scalars(
            select(Recipient).where(
                Recipient.package_id == package.id,
                Recipient.process_status != ProcessStatus.SKIPPED.value,
                Recipient.email_notification.is_(True),
            )
        ):
            audience = await recipient_audience(session, recipient, package)
            if recipient.is_untaken_group:
                # A group's carbon copy: every member gets the documents.
                for member in await live_members(session, recipient.id):
                    people.setdefault(member.email, (member.name, audience))
                    if post.enabled and post.workflow_recipients:
                        with_message.add(member.email)
            elif recipient.email:
                people.setdefault(recipient.email, (recipient.name, audience))
                if post.enabled and post.workflow_recipients:
                    with_message.add(recipient.email)
        outgoing = [
            messages.package_completed(
                mail_from=context.settings.mail_from,
                to=Address(display_name=name, addr_spec=email),
                recipient_name=name,
                package_name=package.name,
                downloads=downloads,
                links_valid_days=context.settings.download_link_ttl_seconds // 86400,
                message=post.message if email in with_message else "",
                language=audience.language,
                branding=audience.branding,
            )
            for email, (name, audience) in people.items()
        ]
    for message in outgoing:
        await mailer(context).send(message)
    return Done()


@job_handler("email.recipient_replaced")
async def email_recipient_replaced(context: AppContext, job: Job) -> Outcome:
    async with transaction(context.sessions) as session:
        package = await session.get(Package, _id(job, "package_id"))
        if package is None:
            return Failed("the package no longer exists")
        owner = await session.get_one(User, package.owner_id)
        name, email = str(job.payload["name"]), str(job.payload["email"])
        # No longer a recipient: the enterprise's default language.
        audience = await enterprise_audience(session, package.enterprise_id)
        message = messages.recipient_replaced(
            mail_from=context.settings.mail_from,
            to=Address(display_name=name, addr_spec=email),
            recipient_name=name,
            package_name=package.name,
            sender_name=owner.name,
            language=audience.language,
            branding=audience.branding,
        )
    await mailer(context).send(message)
    return Done()


@job_handler("email.declined")
async def email_declined(context: AppContext, job: Job) -> Outcome:
    async with transaction(context.sessions) as session:
        found = await _recipient_and_package(session, _id(job, "recipient_id"))
        if found is None:
            return Failed("the recipient no longer exists")
        recipient, package, owner = found
        message = messages.package_declined(
            mail_from=context.settings.mail_from,
            to=Address(display_name=owner.name, addr_spec=owner.email),
            owner_name=owner.name,
            package_name=package.name,
            decliner_name=recipient.name,
            decliner_email=recipient.email,
            reason=recipient.reason or "",
            **(await _owner_look(session, owner)),
        )
    await mailer(context).send(message)
    return Done()


@job_handler("email.blocked")
async def email_blocked(context: AppContext, job: Job) -> Outcome:
    async with transaction(context.sessions) as session:
        found = await _recipient_and_package(session, _id(job, "recipient_id"))
        if found is None:
            return Failed("the recipient no longer exists")
        recipient, package, owner = found
        message = messages.recipient_blocked(
            mail_from=context.settings.mail_from,
            to=Address(display_name=owner.name, addr_spec=owner.email),
            owner_name=owner.name,
            package_name=package.name,
            blocked_name=recipient.name or recipient.email,
            blocked_email=recipient.email,
            order=recipient.position,
            **(await _owner_look(session, owner)),
        )
    await mailer(context).send(message)
    return Done()


@job_handler("email.endpoint_disabled")
async def email_endpoint_disabled(context: AppContext, job: Job) -> Outcome:
    async with transaction(context.sessions) as session:
        admin = await session.get(User, _id(job, "user_id"))
        endpoint = await session.get(WebhookEndpoint, _id(job, "endpoint_id"))
        if admin is None or endpoint is None:
            return Done()
        message = messages.endpoint_disabled(
            mail_from=context.settings.mail_from,
            to=[Address(display_name=admin.name, addr_spec=admin.email)],
            endpoint_url=endpoint.url,
            reason=str(job.payload.get("reason", "")),
            **(await _owner_look(session, admin)),
        )
    await mailer(context).send(message)
    return Done()
