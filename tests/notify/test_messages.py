from __future__ import annotations

from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage

import pytest

from signflow.notify.messages import (
    Download,
    endpoint_disabled,
    one_time_code,
    package_completed,
    package_declined,
    reminder,
    your_turn_to_sign,
)

FROM = "Acme Signatures <sign@acme.example>"
LINK = "https://sign.example.com/s/tok?a=1&b=2"


def bodies(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def test_your_turn_to_sign() -> None:
    message = your_turn_to_sign(
        mail_from=FROM,
        to=Address("Ana Ruiz", addr_spec="ana@example.com"),
        recipient_name="Ana Ruiz",
        package_name="Lease 2026",
        sender_name="Bob Owner",
        signing_link=LINK,
    )
    assert message["From"] == FROM
    assert message["To"] == "Ana Ruiz <ana@example.com>"
    assert message["Subject"] == 'Bob Owner asks you to sign "Lease 2026"'
    assert message["Message-ID"].endswith("@acme.example>")
    assert message["Date"]
    plain, html = bodies(message)
    for body in (plain, html):
        assert "Ana Ruiz" in body
        assert "Bob Owner" in body
        assert "Lease 2026" in body
    assert LINK in plain
    assert 'href="https://sign.example.com/s/tok?a=1&amp;b=2"' in html
    assert '<html lang="en">' in html


def test_reminder() -> None:
    message = reminder(
        mail_from=FROM,
        to="ana@example.com",
        recipient_name="Ana",
        package_name="Lease 2026",
        sender_name="Bob Owner",
        signing_link=LINK,
    )
    assert message["Subject"] == 'Reminder: "Lease 2026" is waiting for your signature'
    plain, html = bodies(message)
    assert "still waiting" in plain and LINK in plain
    assert "still waiting" in html and "Review and sign" in html


def test_package_completed_lists_every_download() -> None:
    message = package_completed(
        mail_from=FROM,
        to="ana@example.com",
        recipient_name="Ana",
        package_name="Lease 2026",
        downloads=[
            Download("lease.pdf", "https://s.example.com/f/1"),
            Download("evidence.pdf", "https://s.example.com/f/2"),
        ],
        links_valid_days=7,
    )
    assert message["Subject"] == '"Lease 2026" is complete'
    plain, html = bodies(message)
    assert "- lease.pdf: https://s.example.com/f/1" in plain
    assert "- evidence.pdf: https://s.example.com/f/2" in plain
    assert "7 days" in plain and "7 days" in html
    assert '<a href="https://s.example.com/f/2" style="color:#0b57d0;">evidence.pdf</a>' in html


def test_package_declined_tells_the_owner_who_and_why() -> None:
    message = package_declined(
        mail_from=FROM,
        to="owner@acme.example",
        owner_name="Bob Owner",
        package_name="Lease 2026",
        decliner_name="Ana Ruiz",
        decliner_email="ana@example.com",
        reason="The rent is wrong.",
    )
    assert message["Subject"] == 'Ana Ruiz declined "Lease 2026"'
    assert message["To"] == "owner@acme.example"
    plain, html = bodies(message)
    for body in (plain, html):
        assert "Hello Bob Owner," in body
        assert "ana@example.com" in body
        assert "The rent is wrong." in body


def test_one_time_code() -> None:
    message = one_time_code(
        mail_from=FROM,
        to="ana@example.com",
        recipient_name="Ana",
        code="042917",
        valid_minutes=10,
        brand="Acme Sign",
    )
    assert message["Subject"] == "Your Acme Sign verification code"
    plain, html = bodies(message)
    assert "042917" in plain and "042917" in html
    assert "10 minutes" in plain and "10 minutes" in html
    assert "Acme Sign" in plain


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", ""])
def test_one_time_code_must_be_six_digits(code: str) -> None:
    with pytest.raises(ValueError, match="six digits"):
        one_time_code(
            mail_from=FROM, to="a@b.example", recipient_name="A", code=code, valid_minutes=5
        )


def test_endpoint_disabled_goes_to_every_admin() -> None:
    message = endpoint_disabled(
        mail_from=FROM,
        to=["admin1@acme.example", Address("Admin Two", addr_spec="admin2@acme.example")],
        endpoint_url="https://hooks.acme.example/in",
        reason="The receiver answered 410 Gone",
    )
    assert message["To"] == "admin1@acme.example, Admin Two <admin2@acme.example>"
    assert message["Subject"] == "Webhook endpoint disabled: https://hooks.acme.example/in"
    plain, html = bodies(message)
    for body in (plain, html):
        assert "https://hooks.acme.example/in" in body
        assert "410 Gone" in body


def test_user_text_is_escaped_in_html_and_kept_in_text() -> None:
    hostile = '<script>alert("x")</script>'
    message = package_declined(
        mail_from=FROM,
        to="owner@acme.example",
        owner_name="Bob",
        package_name=f"Lease {hostile}",
        decliner_name="Eve <b>",
        decliner_email="eve@example.com",
        reason=hostile,
    )
    plain, html = bodies(message)
    assert hostile in plain
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Eve &lt;b&gt;" in html


def test_subject_stays_one_line_whatever_the_names_hold() -> None:
    message = your_turn_to_sign(
        mail_from=FROM,
        to="ana@example.com",
        recipient_name="Ana",
        package_name="Lease\r\nBcc: victim@example.com",
        sender_name="Bob\n",
        signing_link=LINK,
    )
    assert message["Subject"] == 'Bob asks you to sign "Lease Bcc: victim@example.com"'
    assert message["Bcc"] is None
    headers = message.as_bytes().split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers


BUILDERS: list[Callable[[str], EmailMessage]] = [
    lambda language: reminder(
        mail_from=FROM,
        to="a@b.example",
        recipient_name="A",
        package_name="P",
        sender_name="S",
        signing_link=LINK,
        language=language,
    ),
    lambda language: one_time_code(
        mail_from=FROM,
        to="a@b.example",
        recipient_name="A",
        code="123456",
        valid_minutes=5,
        language=language,
    ),
]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("language", ["xx", "../en", "en"])
def test_unknown_languages_fall_back_to_english(
    build: Callable[[str], EmailMessage], language: str
) -> None:
    english = build("en")
    message = build(language)
    assert message["Subject"] == english["Subject"]
    assert bodies(message)[0] == bodies(english)[0]


def test_a_message_needs_a_recipient() -> None:
    with pytest.raises(ValueError, match="recipient"):
        endpoint_disabled(mail_from=FROM, to=[], endpoint_url="https://x", reason="r")
