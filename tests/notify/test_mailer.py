from __future__ import annotations

import email
import email.policy
import io
import logging
import re
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image

from signflow.branding import Branding
from signflow.notify.mailer import (
    FileMailer,
    MailDeliveryError,
    SmtpMailer,
    create_mailer,
    parse_smtp_url,
)
from signflow.notify.messages import your_turn_to_sign
from tests.notify.conftest import SmtpServer, free_port
from tests.webhooks.tls import make_tls

LINK = "https://sign.example.com/s/abc123?t=x&u=y"


def invitation(to: str = "ana@example.com") -> EmailMessage:
    return your_turn_to_sign(
        mail_from="Signflow <no-reply@sign.example.com>",
        to=to,
        recipient_name="Ana Ruiz",
        package_name="Lease 2026",
        sender_name="Bob Owner",
        signing_link=LINK,
    )


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


@pytest.mark.parametrize(
    ("url", "host", "port", "user", "password", "use_tls", "start_tls"),
    [
        ("smtp://relay.example.com", "relay.example.com", 25, None, None, False, None),
        ("smtp://relay:2525", "relay", 2525, None, None, False, None),
        ("smtp://relay:587?starttls=true", "relay", 587, None, None, False, True),
        ("smtp://relay?starttls=false", "relay", 25, None, None, False, False),
        ("smtps://relay", "relay", 465, None, None, True, False),
        ("smtps://u%40x:p%3Aw@relay:2465", "relay", 2465, "u@x", "p:w", True, False),
        ("smtp://user:@relay", "relay", 25, "user", "", False, None),
    ],
)
def test_smtp_url_forms(
    url: str,
    host: str,
    port: int,
    user: str | None,
    password: str | None,
    use_tls: bool,
    start_tls: bool | None,
) -> None:
    target = parse_smtp_url(url)
    assert (target.hostname, target.port, target.username, target.password) == (
        host,
        port,
        user,
        password,
    )
    assert (target.use_tls, target.start_tls) == (use_tls, start_tls)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://relay", "smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://relay?starttls=maybe", "true or false"),
        ("smtps://relay?starttls=true", "already TLS"),
    ],
)
def test_bad_smtp_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_smtp_url(url)


async def test_file_mailer_writes_a_parseable_eml(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = create_mailer(None, tmp_path)
    assert isinstance(mailer, FileMailer)
    with caplog.at_level(logging.INFO, logger="signflow.notify.mail"):
        await mailer.send(invitation())
        await mailer.send(invitation("carl@example.com"))
    files = sorted((tmp_path / "mail").iterdir())
    assert len(files) == 2
    assert all(re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{32}\.eml", f.name) for f in files)
    message = parse(files[0].read_bytes())
    assert message["Subject"] == 'Bob Owner asks you to sign "Lease 2026"'
    assert message["To"] == "ana@example.com"
    plain, html = bodies(message)
    assert LINK in plain
    assert LINK.replace("&", "&amp;") in html
    assert parse(files[1].read_bytes())["To"] == "carl@example.com"
    logged = [r.getMessage() for r in caplog.records if r.name == "signflow.notify.mail"]
    assert logged == ['mail written: Bob Owner asks you to sign "Lease 2026"'] * 2


async def test_a_mail_file_shows_long_links_whole_and_non_ascii_as_written(tmp_path: Path) -> None:
    long_link = "https://sign.example.com/web/activate/sfv_" + "k9Ht9oFzTvJl2FUAc9wA1rAU" * 4
    message = your_turn_to_sign(
        mail_from="Signflow <no-reply@sign.example.com>",
        to="ana@example.com",
        recipient_name="Ana Núñez",
        package_name="Contrato de alquiler",
        sender_name="Bob Owner",
        signing_link=long_link,
    )
    await create_mailer(None, tmp_path).send(message)
    [file] = (tmp_path / "mail").iterdir()
    raw = file.read_bytes()
    assert long_link.encode() in raw  # greppable: no soft line breaks inside it
    assert "Ana Núñez".encode() in raw
    plain, html = bodies(parse(raw))
    assert long_link in plain and long_link in html
    assert message.get_body(("plain",))["Content-Transfer-Encoding"] != "8bit"  # sent as built


async def test_a_mail_file_holds_every_part_and_header_of_the_message(tmp_path: Path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(png, format="PNG")
    logo = Branding(logo_sha256="x", logo_type="image/png", logo=png.getvalue())
    message = your_turn_to_sign(
        mail_from="Ñandú Firmas <no-reply@sign.example.com>",
        to="Zoë Müller <zoe@example.de>",
        recipient_name="Zoë Müller",
        package_name="Договор аренды",
        sender_name="Ana Núñez",
        signing_link=LINK,
        branding=logo,
        language="es",
    )
    sent = message.as_bytes()

    await create_mailer(None, tmp_path).send(message)

    assert message.as_bytes() == sent, "the message itself is left as it was built"
    [file] = (tmp_path / "mail").iterdir()
    written = parse(file.read_bytes())
    for name in ("Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted"):
        assert written[name] == message[name]
    shape = [(p.get_content_type(), p.get("Content-ID")) for p in written.walk()]
    assert shape == [(p.get_content_type(), p.get("Content-ID")) for p in message.walk()]
    assert shape[0][0] == "multipart/alternative" and ("image/png", "<brand-logo>") in shape
    texts = [p for p in written.walk() if p.get_content_maintype() == "text"]
    assert [p["Content-Transfer-Encoding"] for p in texts] == ["8bit", "8bit"]
    originals = [p for p in message.walk() if p.get_content_maintype() == "text"]
    assert [p.get_content() for p in texts] == [p.get_content() for p in originals]
    [image] = [p for p in written.walk() if p.get_content_type() == "image/png"]
    assert image.get_content() == png.getvalue()


async def test_smtp_mailer_delivers_to_a_real_server(smtp_server: SmtpServer) -> None:
    mailer = create_mailer(f"smtp://127.0.0.1:{smtp_server.port}", Path("unused"))
    assert isinstance(mailer, SmtpMailer)
    await mailer.send(invitation("Ana Ruiz <ana@example.com>"))
    (delivered,) = smtp_server.sink.messages
    assert delivered.mail_from == "no-reply@sign.example.com"
    assert delivered.rcpt_tos == ["ana@example.com"]
    message = parse(delivered.data)
    assert message["Subject"] == 'Bob Owner asks you to sign "Lease 2026"'
    assert message.get_content_type() == "multipart/alternative"
    plain, html = bodies(message)
    assert "Hello Ana Ruiz," in plain
    assert LINK in plain
    assert "<p>Hello Ana Ruiz,</p>" in html
    assert f'href="{LINK.replace("&", "&amp;")}"' in html


async def test_smtp_mailer_logs_in_over_starttls_with_url_credentials(
    tmp_path: Path, smtp_server_factory: Callable[..., SmtpServer]
) -> None:
    tls = make_tls(tmp_path, "localhost")
    server = smtp_server_factory(
        tls_context=tls.server_context, require_starttls=True, authenticate=True
    )
    good = f"smtp://mailer:p%40ss%3Aw%2Frd@localhost:{server.port}?starttls=true"
    await SmtpMailer(good, tls_context=tls.client_context).send(invitation())
    assert server.sink.logins == [("mailer", "p@ss:w/rd")]
    assert len(server.sink.messages) == 1

    wrong = f"smtp://mailer:guess@localhost:{server.port}?starttls=true"
    with pytest.raises(MailDeliveryError):
        await SmtpMailer(wrong, tls_context=tls.client_context).send(invitation())
    assert len(server.sink.messages) == 1


async def test_smtp_mailer_starttls(
    tmp_path: Path, smtp_server_factory: Callable[..., SmtpServer]
) -> None:
    tls = make_tls(tmp_path, "localhost")
    server = smtp_server_factory(tls_context=tls.server_context, require_starttls=True)
    url = f"smtp://localhost:{server.port}?starttls=true"
    await SmtpMailer(url, tls_context=tls.client_context).send(invitation())
    assert [m.rcpt_tos for m in server.sink.messages] == [["ana@example.com"]]

    with pytest.raises(MailDeliveryError):
        await SmtpMailer(f"smtp://localhost:{server.port}?starttls=false").send(invitation())


async def test_smtps_implicit_tls(
    tmp_path: Path, smtp_server_factory: Callable[..., SmtpServer]
) -> None:
    tls = make_tls(tmp_path, "localhost")
    server = smtp_server_factory(ssl_context=tls.server_context)
    await SmtpMailer(f"smtps://localhost:{server.port}", tls_context=tls.client_context).send(
        invitation()
    )
    assert len(server.sink.messages) == 1

    untrusting = ssl.create_default_context()
    with pytest.raises(MailDeliveryError):
        await SmtpMailer(f"smtps://localhost:{server.port}", tls_context=untrusting).send(
            invitation()
        )


async def test_unreachable_relay_is_a_delivery_error() -> None:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(MailDeliveryError, match=r"ana@example\.com"):
        await mailer.send(invitation())
