"""The mails other branches added in English (password reset, enterprise invitation,
group turn taken, replaced, completed with a post-processing message) are translated
like the others: subject and bodies in the reader's language, values kept."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import pytest

from signflow.branding import Branding
from signflow.notify import messages

LANGUAGES = ["es", "de", "fr", "nl", "pt"]
FROM = "Signflow <sign@acme.test>"


def _bodies(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    return str(plain.get_content()), str(html.get_content())


KINDS: dict[str, Callable[[str], EmailMessage]] = {
    "password_reset": lambda language: messages.password_reset(
        mail_from=FROM,
        to="ana@acme.test",
        person_name="Ana",
        enterprise_name="Acme",
        reset_link="https://s.example/web/password/tok",
        valid_minutes=30,
        language=language,
    ),
    "enterprise_invitation": lambda language: messages.enterprise_invitation(
        mail_from=FROM,
        to="ana@acme.test",
        person_name="Ana",
        enterprise_name="Acme",
        inviter_name="Ximena",
        has_account=True,
        can_register=False,
        language=language,
    ),
    "group_turn_taken": lambda language: messages.group_turn_taken(
        mail_from=FROM,
        to="ana@acme.test",
        recipient_name="Ana",
        package_name="Lease",
        group_name="HR",
        taker_name="Ximena",
        taker_email="ximena@acme.test",
        language=language,
    ),
    "replaced": lambda language: messages.recipient_replaced(
        mail_from=FROM,
        to="ana@acme.test",
        recipient_name="Ana",
        package_name="Lease",
        sender_name="Ximena",
        language=language,
    ),
    "completed": lambda language: messages.package_completed(
        mail_from=FROM,
        to="ana@acme.test",
        recipient_name="Ana",
        package_name="Lease",
        downloads=[messages.Download(name="lease.pdf", url="https://s.example/d/1")],
        links_valid_days=7,
        message="Keep a copy for the audit.",
        language=language,
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_added_mail_is_in_the_readers_language(kind: str, language: str) -> None:
    english = KINDS[kind]("en")
    translated = KINDS[kind](language)
    assert translated["Subject"] != english["Subject"]
    english_plain, english_html = _bodies(english)
    plain, html = _bodies(translated)
    # Every sentence translated; links, names and the owner's own message kept as written.
    sentences = {
        line
        for line in english_plain.splitlines()
        if len(line) > 30 and "https://" not in line and line != "Keep a copy for the audit."
    }
    assert sentences
    assert not (sentences & set(plain.splitlines())), sentences & set(plain.splitlines())
    for value in ("Ana", "https://s.example/web/password/tok", "Ximena", "HR", "Lease"):
        assert (value in english_plain) == (value in plain), value
        assert (value in english_html) == (value in html), value
    if kind == "completed":
        assert "Keep a copy for the audit." in plain and "Keep a copy for the audit." in html


def test_the_added_mails_carry_the_enterprise_branding() -> None:
    branding = Branding(display_name="Acme Leasing", accent="#7a1f5c")
    message = messages.group_turn_taken(
        mail_from=FROM,
        to="ana@acme.test",
        recipient_name="Ana",
        package_name="Lease",
        group_name="HR",
        taker_name="Ximena",
        taker_email="ximena@acme.test",
        language="de",
        branding=branding,
    )
    plain, html = _bodies(message)
    assert plain.rstrip().endswith("Acme Leasing")
    assert "#7a1f5c" in html
    assert message["Subject"] == "Ximena hat für HR bei „Lease“ gehandelt"
