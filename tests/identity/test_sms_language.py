"""SMS texts in the recipient's language: the code first, then the sentence from the
`mail` catalogs, with the enterprise's display name when it has one."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from signflow.context import AppContext
from signflow.notify.messages import one_time_code_sms
from signflow.outbox.worker import Worker
from tests.factories import Tenant
from tests.identity.conftest import authentication
from tests.workflow.helpers import People, add_users, new_package, share


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "123456 is your Acme verification code. It is valid for 5 minutes."),
        ("es", "123456 es su código de verificación de Acme. Es válido durante 5 minutos."),
        ("de", "123456 ist Ihr Acme-Bestätigungscode. Er ist 5 Minuten gültig."),
        ("fr", "123456 est votre code de vérification Acme. Il est valable 5 minutes."),
        ("nl", "123456 is uw verificatiecode van Acme. Hij is 5 minuten geldig."),
        ("pt", "123456 é o seu código de verificação Acme. É válido durante 5 minutos."),
        ("xx", "123456 is your Acme verification code. It is valid for 5 minutes."),
    ],
)
def test_the_sms_text_is_in_the_language_asked_for(language: str, expected: str) -> None:
    text = one_time_code_sms(code="123456", valid_minutes=5, language=language, brand="Acme")
    assert text == expected


def test_an_sms_text_carries_only_a_six_digit_code() -> None:
    with pytest.raises(ValueError):
        one_time_code_sms(code="12345", valid_minutes=5)


async def test_the_code_goes_by_sms_in_the_recipients_language(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    package_id, _documents = await new_package(people)
    await add_users(people, package_id, [("ana", "SIGNER")])
    base = f"/v4/packages/{package_id}/workflow"
    language = await client.put(f"{base}/1/user", json={"language": "de"}, headers=people.owner)
    assert language.status_code == 200, language.text
    settings = authentication(sms="+573001234567")
    put = await client.put(f"{base}/1/authentication", json=settings, headers=people.owner)
    assert put.status_code == 200, put.text
    await share(people, package_id)
    sent = await client.post(f"{base}/1/authentication/otp", headers=people["ana"])
    assert sent.status_code == 200, sent.text
    await Worker(context).run_until_idle()

    [sms] = list(Path(context.settings.data_dir, "sms").iterdir())
    to, text = sms.read_text().split("\n\n", 1)
    assert to == "To: +573001234567"
    assert text[:6].isdigit()
    assert text[6:].strip() == "ist Ihr Signflow-Bestätigungscode. Er ist 5 Minuten gültig."
