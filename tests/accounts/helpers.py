"""Activating a registered account the way its owner does: the mail the worker sends,
then the activation page. Mail is read where the installation delivers it: the
.eml files under DATA_DIR/mail, or a real SMTP server (aiosmtpd) when one is set."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default

import httpx

from signflow.context import AppContext
from signflow.outbox.worker import Worker
from tests.notify.conftest import SmtpServer

ACTIVATION_PATH = re.compile(r"https?://[^/\s]+(/web/activate/sfv_[A-Za-z0-9_-]+)")


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def file_mails(context: AppContext) -> list[EmailMessage]:
    """The mails the file mailer wrote, oldest first."""
    directory = context.settings.data_dir / "mail"
    if not directory.is_dir():
        return []
    return [parse(path.read_bytes()) for path in sorted(directory.glob("*.eml"))]


def smtp_mails(server: SmtpServer) -> list[EmailMessage]:
    return [parse(delivered.data) for delivered in server.sink.messages]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    content: str = body.get_content()
    return content


def to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if address in str(m["To"])]


def activation_path(message: EmailMessage) -> str:
    """The activation link's path in a mail (the same in its text and HTML bodies)."""
    [path] = set(ACTIVATION_PATH.findall(text_of(message)))
    assert path in html_of(message)
    return path


async def send_mail(context: AppContext) -> None:
    """What the worker does after the commit: run the jobs due, mails included."""
    await Worker(context).run_until_idle()


async def activate(
    client: httpx.AsyncClient, path: str, password: str, confirm: str | None = None
) -> httpx.Response:
    return await client.post(
        path, data={"password": password, "confirm": password if confirm is None else confirm}
    )


async def activate_by_mail(
    client: httpx.AsyncClient, context: AppContext, address: str, password: str
) -> None:
    """Send the pending mails, open the last activation link sent to `address`, and
    choose `password` on its page."""
    await send_mail(context)
    path = activation_path(to(file_mails(context), address)[-1])
    response = await activate(client, path, password)
    assert response.status_code == 200, response.text
