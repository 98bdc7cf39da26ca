"""The field kinds of SigningHub's guide through the API: dropdowns, list boxes, radio
groups, dates, identity fields; bad values refused without a change; finishing and
signing refused while a required field is empty; the verified name in the stamp; the
values in the history and the evidence report."""

from __future__ import annotations

import asyncio
import io
import subprocess
from typing import Any

import httpx
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from signflow.context import AppContext
from signflow.db import transaction
from signflow.models import HistoryEntry
from signflow.outbox.worker import Worker
from tests.audit.test_evidence import pdf_text
from tests.factories import Tenant
from tests.signing.checks import assert_the_signed_pdf_carries
from tests.signing.forms_pdfs import pdftotext
from tests.workflow.helpers import People, add_users, new_package, share

BoxDict = dict[str, float]


def at(x: float, y: float, w: float | None = 120, h: float | None = 20) -> BoxDict:
    box: BoxDict = {"x": x, "y": y}
    if w is not None:
        box["width"] = w
    if h is not None:
        box["height"] = h
    return box


class Form:
    """One document's fields endpoints, as the owner or as a recipient."""

    def __init__(self, people: People, package_id: int, document_id: int) -> None:
        self.people = people
        self.package_id = package_id
        self.package = f"/v4/packages/{package_id}"
        self.document = f"{self.package}/documents/{document_id}"
        self.base = f"{self.document}/fields"

    async def add(self, kind: str, body: dict[str, Any], status: int = 200) -> httpx.Response:
        response = await self.people.client.post(
            f"{self.base}/{kind}", json=body, headers=self.people.owner
        )
        assert response.status_code == status, response.text
        return response

    async def listing(self) -> dict[str, list[dict[str, Any]]]:
        response = await self.people.client.get(self.base, headers=self.people.owner)
        assert response.status_code == 200, response.text
        body: dict[str, list[dict[str, Any]]] = response.json()
        return body

    async def values(self) -> dict[str, Any]:
        return {
            f["field_name"]: f["value"] for group in (await self.listing()).values() for f in group
        }

    async def fill(self, who: str, body: dict[str, Any]) -> httpx.Response:
        return await self.people.client.put(self.base, json=body, headers=self.people[who])

    async def sign_and_finish(self, who: str, field_name: str) -> None:
        """The recipient signs their signature field, then finishes their turn."""
        client, headers = self.people.client, self.people[who]
        signed = await client.post(
            f"{self.document}/sign", json={"field_name": field_name}, headers=headers
        )
        assert signed.status_code == 200, signed.text
        finish = await client.post(f"{self.package}/finish", headers=headers)
        assert finish.status_code == 200, finish.text


async def _package(client: httpx.AsyncClient, context: AppContext, tenant: Tenant) -> tuple:
    people = await People(client, context, tenant).start("ana", "ben")
    package_id, (document_id,) = await new_package(people, texts=["Sign here:", "Tenant"])
    await add_users(people, package_id, [("ana", "SIGNER"), ("ben", "SIGNER")])
    return people, package_id, document_id, Form(people, package_id, document_id)


async def _every_kind(form: Form) -> None:
    """Ana's form: one field of every kind (page 1), and Ben's city (page 2)."""
    await form.add(
        "digital_signature",
        {"order": 1, "page_no": 1, "field_name": "AnaSigns", "dimensions": at(72, 80, 200, 60)},
    )
    await form.add(
        "text", {"order": 1, "page_no": 1, "field_name": "Phone", "dimensions": at(72, 600)}
    )
    await form.add(
        "text",
        {
            "order": 1,
            "page_no": 1,
            "field_name": "Start",
            "type": "DATE",
            "format": "dd/mm/yyyy",
            "default_to_signing_date": False,
            "dimensions": at(72, 570),
        },
    )
    await form.add(
        "text",
        {
            "order": 1,
            "page_no": 1,
            "field_name": "SignedOn",
            "type": "DATE",
            "format": "mmmm d, yyyy",
            "dimensions": at(72, 540),
        },
    )
    for kind in ("NAME", "EMAIL", "COMPANY", "JOBTITLE"):
        await form.add(
            "text",
            {
                "order": 1,
                "page_no": 1,
                "field_name": kind.title(),
                "type": kind,
                "dimensions": at(250, 600 - 30 * len(kind)),
            },
        )
    await form.add(
        "checkbox",
        {"order": 1, "page_no": 1, "field_name": "Agree", "dimensions": at(72, 500, None, None)},
    )
    for n, name in enumerate(("Monthly", "Yearly")):
        await form.add(
            "radio",
            {
                "order": 1,
                "page_no": 1,
                "field_name": name,
                "radio_group_name": "Pay",
                "dimensions": at(72 + 40 * n, 470, None, None),
            },
        )
    await form.add(
        "dropdown",
        {
            "order": 1,
            "page_no": 1,
            "field_name": "Plan",
            "choices": ["Basic", "Plus"],
            "dimensions": at(72, 440),
        },
    )
    await form.add(
        "listbox",
        {
            "order": 1,
            "page_no": 1,
            "field_name": "Floor",
            "choices": ["1", "2", "3"],
            "validation_rule": "OPTIONAL",
            "dimensions": at(72, 380, 60, 50),
        },
    )
    await form.add(
        "text", {"order": 2, "page_no": 2, "field_name": "BenCity", "dimensions": at(72, 600)}
    )
    await form.add(
        "digital_signature",
        {"order": 2, "page_no": 2, "field_name": "BenSigns", "dimensions": at(72, 80, 200, 60)},
    )


async def test_every_kind_is_placed_listed_and_autoplaced(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, _package_id, _document_id, form = await _package(client, context, tenant)
    await _every_kind(form)
    listing = await form.listing()
    text = {f["field_name"]: f for f in listing["text"]}
    assert {name: f["type"] for name, f in text.items()} == {
        "Phone": "TEXT",
        "Start": "DATE",
        "SignedOn": "DATE",
        "Name": "NAME",
        "Email": "EMAIL",
        "Company": "COMPANY",
        "Jobtitle": "JOBTITLE",
        "BenCity": "TEXT",
    }
    assert text["Start"]["format"] == "dd/mm/yyyy"
    radio = {f["field_name"]: f for f in listing["radio"]}
    assert {f["radio_group_name"] for f in radio.values()} == {"Pay"}
    # SigningHub's size for a checkbox or radio button given without one: 10 x 10.
    assert radio["Yearly"]["dimensions"] == {"x": 112, "y": 470, "width": 10, "height": 10}
    assert listing["checkbox"][0]["dimensions"]["width"] == 10
    assert listing["dropdown"][0]["choices"] == ["Basic", "Plus"]
    assert listing["listbox"][0]["choices"] == ["1", "2", "3"]
    assert listing["listbox"][0]["required"] is False
    # One side given: square on it.
    await form.add(
        "checkbox",
        {"order": 1, "page_no": 2, "field_name": "Big", "dimensions": at(300, 300, 14, None)},
    )
    big = next(f for f in (await form.listing())["checkbox"] if f["field_name"] == "Big")
    assert (big["dimensions"]["width"], big["dimensions"]["height"]) == (14, 14)

    # Moving a checkbox keeps its size, as SigningHub does.
    moved = await client.put(
        f"{form.base}/checkbox",
        json={"field_name": "Big", "dimensions": {"x": 310, "y": 300}},
        headers=people.owner,
    )
    assert moved.status_code == 200, moved.text
    big = next(f for f in (await form.listing())["checkbox"] if f["field_name"] == "Big")
    assert big["dimensions"] == {"x": 310, "y": 300, "width": 14, "height": 14}

    # Autoplace takes SigningHub's field types.
    sizes = {}
    for field_type in ("NAME", "EMAIL", "DATE", "COMPANY", "JOBTITLE", "RadioBox", "CheckBox"):
        placed = await client.post(
            f"{form.base}/autoplace",
            json={
                "search_text": "sign here",
                "order": 1,
                "field_type": field_type,
                "placement": "RIGHT",
            },
            headers=people.owner,
        )
        assert placed.status_code == 200, (field_type, placed.text)
        [hit] = placed.json()
        sizes[field_type] = (hit["dimensions"]["width"], hit["dimensions"]["height"])
    assert sizes["RadioBox"] == sizes["CheckBox"] == (10, 10)
    assert sizes["NAME"] == (150, 50)
    kinds = await form.listing()
    assert {f["type"] for f in kinds["text"]} >= {"NAME", "EMAIL", "DATE", "COMPANY", "JOBTITLE"}

    # Definitions that cannot work are refused with the reason.
    bad = [
        ("dropdown", {"order": 1, "page_no": 1, "dimensions": at(72, 300)}, 400, "choices"),
        (
            "dropdown",
            {"order": 1, "page_no": 1, "choices": ["A", "A"], "dimensions": at(72, 300)},
            400,
            "repeat",
        ),
        (
            "text",
            {
                "order": 1,
                "page_no": 1,
                "type": "DATE",
                "format": "yyyy/dd",
                "dimensions": at(72, 300),
            },
            400,
            "format must be one of",
        ),
        (
            "text",
            {"order": 1, "page_no": 1, "type": "PHONE", "dimensions": at(72, 300)},
            400,
            "type must be one of",
        ),
        (
            "text",
            {"order": 1, "page_no": 1, "dimensions": at(72, 300, None, None)},
            400,
            "width and dimensions.height are required",
        ),
        (
            "radio",
            {
                "order": 1,
                "page_no": 1,
                "radio_group_name": "Phone",
                "dimensions": at(72, 300, None, None),
            },
            409,
            "name of another field",
        ),
        (
            "radio",
            {
                "order": 2,
                "page_no": 1,
                "radio_group_name": "Pay",
                "dimensions": at(72, 300, None, None),
            },
            400,
            "belongs to one recipient",
        ),
        (
            "text",
            {"order": 1, "page_no": 1, "field_name": "Pay", "dimensions": at(72, 300)},
            409,
            "name of a radio group",
        ),
        (
            "text",
            {
                "order": 1,
                "page_no": 1,
                "type": "DATE",
                "value": "2026-02-30",
                "dimensions": at(72, 300),
            },
            400,
            "real date",
        ),
    ]
    before = await form.listing()
    for kind, body, status, reason in bad:
        response = await form.add(kind, body, status)
        assert reason in response.json()["Message"], (body, response.text)
    assert await form.listing() == before


async def test_bad_values_are_refused_and_change_nothing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id, _, form = await _package(client, context, tenant)
    await _every_kind(form)
    await share(people, package_id)
    good = await form.fill("ana", {"text": [{"field_name": "Phone", "value": "600 100 200"}]})
    assert good.status_code == 200, good.text
    before = await form.values()
    refused = [
        ({"checkbox": [{"field_name": "Agree", "value": "yes"}]}, 400, "must be true or false"),
        ({"text": [{"field_name": "Agree", "value": "yes"}]}, 400, "is a checkbox field"),
        ({"dropdown": [{"field_name": "Plan", "value": "Gold"}]}, 400, "not one of the choices"),
        ({"listbox": [{"field_name": "Floor", "value": "9"}]}, 400, "not one of the choices"),
        ({"text": [{"field_name": "Start", "value": "2026-02-30"}]}, 400, "real date"),
        ({"text": [{"field_name": "Start", "value": "30/01/2026"}]}, 400, "real date"),
        ({"radio": [{"field_name": "Pay", "value": "Weekly"}]}, 400, "not a button of radio"),
        (
            {"radio": [{"field_name": "Yearly", "value": True, "radio_group_name": "Other"}]},
            400,
            "not a button of radio group 'Other'",
        ),
        ({"radio": [{"field_name": "Yearly", "value": "maybe"}]}, 400, "true or false"),
        ({"text": [{"field_name": "Name", "value": "Someone Else"}]}, 400, "identity"),
        ({"text": [{"field_name": "BenCity", "value": "Paris"}]}, 403, "not allowed"),
        ({"text": [{"field_name": "Nope", "value": "x"}]}, 404, "Field not found"),
        # One bad value among good ones: none is kept.
        (
            {
                "text": [{"field_name": "Phone", "value": "999"}],
                "checkbox": [{"field_name": "Agree", "value": "sure"}],
            },
            400,
            "true or false",
        ),
    ]
    for body, status, reason in refused:
        response = await form.fill("ana", body)
        assert response.status_code == status, (body, response.text)
        assert reason in response.json()["Message"], (body, response.text)
        assert await form.values() == before, body
    # Ben's turn has not come: he cannot fill even his own field.
    early = await form.fill("ben", {"text": [{"field_name": "BenCity", "value": "Lyon"}]})
    assert early.status_code == 403
    assert await form.values() == before


async def _fill_all(form: Form) -> None:
    filled = await form.fill(
        "ana",
        {
            "text": [
                {"field_name": "Start", "value": "2026-04-01"},
                {"field_name": "Jobtitle", "value": "Tenant"},
            ],
            "checkbox": [{"field_name": "Agree", "value": True}],
            "radio": [{"field_name": "Yearly", "value": True, "radio_group_name": "Pay"}],
            "dropdown": [{"field_name": "Plan", "value": "Plus"}],
            "listbox": [{"field_name": "Floor", "value": "2"}],
        },
    )
    assert filled.status_code == 200, filled.text


async def test_required_means_required_for_finishing_and_signing(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id, document_id, form = await _package(client, context, tenant)
    await _every_kind(form)
    await share(people, package_id)
    finish = await client.post(f"/v4/packages/{package_id}/finish", headers=people["ana"])
    assert finish.status_code == 400
    assert finish.json() == {
        "Message": "Fill in every required field and sign every signature field before "
        "finishing: AnaSigns, Phone, Start, Jobtitle, Agree, Pay, Plan",
        "Error": "fields_missing",
    }
    # Signing first is refused too: the signature must cover the values.
    sign = {"field_name": "AnaSigns"}
    signed = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/sign", json=sign, headers=people["ana"]
    )
    assert signed.status_code == 400
    assert signed.json()["Message"] == (
        "Fill in every required field before signing: Phone, Start, Jobtitle, Agree, Pay, Plan"
    )
    await form.fill("ana", {"text": [{"field_name": "Phone", "value": "600"}]})
    await _fill_all(form)
    values = await form.values()
    assert (values["Monthly"], values["Yearly"], values["Agree"]) == ("false", "true", "true")
    # Choosing the other button of the group turns the first one off.
    await form.fill("ana", {"radio": [{"field_name": "Pay", "value": "Monthly"}]})
    values = await form.values()
    assert (values["Monthly"], values["Yearly"]) == ("true", "false")
    signed = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/sign", json=sign, headers=people["ana"]
    )
    assert signed.status_code == 200, signed.text
    # Her values are in the PDF under her signature: they cannot change any more.
    late = await form.fill("ana", {"text": [{"field_name": "Phone", "value": "700"}]})
    assert late.status_code == 403
    assert "once you have signed it" in late.json()["Message"]
    finish = await client.post(f"/v4/packages/{package_id}/finish", headers=people["ana"])
    assert finish.status_code == 200, finish.text
    after = await form.fill("ana", {"text": [{"field_name": "Phone", "value": "800"}]})
    assert after.status_code == 403
    assert (await form.values())["Phone"] == "600"

    # Ben: a required text and his signature.
    finish = await client.post(f"/v4/packages/{package_id}/finish", headers=people["ben"])
    assert finish.json()["Message"].endswith(": BenCity, BenSigns")


async def test_the_stamped_name_is_the_verified_one_and_the_values_are_on_record(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people, package_id, document_id, form = await _package(client, context, tenant)
    await _every_kind(form)
    await share(people, package_id)
    await form.fill("ana", {"text": [{"field_name": "Phone", "value": "600"}]})
    await _fill_all(form)
    signed = await client.post(
        f"/v4/packages/{package_id}/documents/{document_id}/sign",
        json={"field_name": "AnaSigns", "user_name": "Someone Else"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    pdf = (
        await client.get(f"/v4/packages/{package_id}/documents/{document_id}", headers=people.owner)
    ).content
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert signature.sig_object["/Name"] == "Ana"
    assert signature.signer_cert.subject.native["common_name"] == "Ana"
    stamp = await asyncio.to_thread(_stamp_text, pdf)
    assert "Ana" in stamp and "Someone Else" not in stamp

    async with transaction(context.sessions) as session:
        entry = await session.scalar(
            select(HistoryEntry).where(
                HistoryEntry.package_id == package_id, HistoryEntry.action == "DOCUMENT_SIGNED"
            )
        )
    assert entry is not None
    assert entry.details["user_name"] == "Someone Else"
    assert entry.details["version"] == 2
    assert entry.details["form_values"] == {
        "Phone": "600",
        "Start": "01/04/2026",
        "SignedOn": entry.created_at.strftime("%B ")
        + str(entry.created_at.day)
        + entry.created_at.strftime(", %Y"),
        "Name": "Ana",
        "Email": people.email("ana"),
        "Company": tenant.name,
        "Jobtitle": "Tenant",
        "Agree": "true",
        "Pay": "Yearly",
        "Plan": "Plus",
        "Floor": "2",
    }

    # Ben completes; the evidence report lists the values, who gave them and where.
    ben_fill = await form.fill("ben", {"text": [{"field_name": "BenCity", "value": "Lyon"}]})
    assert ben_fill.status_code == 403  # not his turn before Ana finishes
    assert (
        await client.post(f"/v4/packages/{package_id}/finish", headers=people["ana"])
    ).status_code == 200
    ben_fill = await form.fill("ben", {"text": [{"field_name": "BenCity", "value": "Lyon"}]})
    assert ben_fill.status_code == 200, ben_fill.text
    await form.sign_and_finish("ben", "BenSigns")
    await Worker(context).run_until_idle()
    report = await client.get(f"/v4/packages/{package_id}/report", headers=people.owner)
    assert report.status_code == 200
    text = " ".join(pdf_text(report.content).split())
    assert "Form values" in text
    assert "Lyon" in text and "version 3" in text
    assert "Plus" in text and "version 2" in text
    assert "2026-04-01 (shown as 01/04/2026)" in text
    assert people.email("ben") in text and people.email("ana") in text

    # The completed PDF carries every value, under the signatures, as form filling only.
    final = (
        await client.get(f"/v4/packages/{package_id}/documents/{document_id}", headers=people.owner)
    ).content
    await asyncio.to_thread(
        assert_the_signed_pdf_carries,
        final,
        shown=["600", "01/04/2026", "Tenant", "Plus", "Lyon", people.email("ana")],
        drawn=["Phone", "Start", "Agree", "Pay", "Plan", "Floor", "BenCity"],
        signatures=2,
    )


def _stamp_text(pdf: bytes) -> str:
    """The text of the signed PDF's first page as poppler extracts it (appearances too)."""
    done = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


async def test_an_editors_values_land_under_the_next_signature(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("eddie", "ana", "ben")
    package_id, (document_id,) = await new_package(people, texts=["Lease"])
    await add_users(people, package_id, [("eddie", "EDITOR"), ("ana", "SIGNER"), ("ben", "SIGNER")])
    form = Form(people, package_id, document_id)
    await form.add(
        "text",
        {
            "order": 1,
            "page_no": 1,
            "field_name": "Rent",
            "required": True,
            "dimensions": at(72, 600),
        },
    )
    for order, name, y in ((2, "AnaSigns", 80), (3, "BenSigns", 200)):
        await form.add(
            "digital_signature",
            {"order": order, "page_no": 1, "field_name": name, "dimensions": at(72, y, 200, 60)},
        )
    await share(people, package_id)
    filled = await form.fill("eddie", {"text": [{"field_name": "Rent", "value": "950 EUR"}]})
    assert filled.status_code == 200, filled.text
    for action in ("submit", "finish"):
        done = await client.post(f"/v4/packages/{package_id}/{action}", headers=people["eddie"])
        assert done.status_code == 200, done.text
    for who, field in (("ana", "AnaSigns"), ("ben", "BenSigns")):
        await form.sign_and_finish(who, field)

    async with transaction(context.sessions) as session:
        entries = list(
            await session.scalars(
                select(HistoryEntry)
                .where(
                    HistoryEntry.package_id == package_id,
                    HistoryEntry.action == "DOCUMENT_SIGNED",
                )
                .order_by(HistoryEntry.id)
            )
        )
    # Ana's signature carries (and covers) the editor's value; Ben's writes it no second time.
    assert [entry.details["form_values"] for entry in entries] == [{"Rent": "950 EUR"}, {}]
    final = (
        await client.get(f"/v4/packages/{package_id}/documents/{document_id}", headers=people.owner)
    ).content
    await asyncio.to_thread(
        assert_the_signed_pdf_carries, final, shown=["950 EUR"], drawn=["Rent"], signatures=2
    )


async def test_values_in_a_document_no_one_signs_land_in_it_when_the_package_completes(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    people = await People(client, context, tenant).start("ana")
    package_id, (contract, annex) = await new_package(people, documents=2, texts=["Annex"])
    await add_users(people, package_id, [("ana", "SIGNER")])
    await Form(people, package_id, contract).add(
        "digital_signature",
        {"order": 1, "page_no": 1, "field_name": "AnaSigns", "dimensions": at(72, 80, 200, 60)},
    )
    form = Form(people, package_id, annex)
    await form.add(
        "text",
        {"page_no": 1, "field_name": "Landlord", "value": "Olga Prieto", "dimensions": at(72, 600)},
    )
    await form.add(
        "text",
        {
            "order": 1,
            "page_no": 1,
            "field_name": "Deposit",
            "required": True,
            "dimensions": at(72, 560),
        },
    )
    await share(people, package_id)
    filled = await form.fill("ana", {"text": [{"field_name": "Deposit", "value": "1900 EUR"}]})
    assert filled.status_code == 200, filled.text
    signed = await client.post(
        f"/v4/packages/{package_id}/documents/{contract}/sign",
        json={"field_name": "AnaSigns"},
        headers=people["ana"],
    )
    assert signed.status_code == 200, signed.text
    url = f"/v4/packages/{package_id}/documents/{annex}"
    before = (await client.get(url, headers=people.owner)).content
    assert "1900 EUR" not in pdftotext(before)  # not before her turn is over
    finish = await client.post(f"/v4/packages/{package_id}/finish", headers=people["ana"])
    assert finish.status_code == 200, finish.text

    final = (await client.get(url, headers=people.owner)).content
    await asyncio.to_thread(
        assert_the_signed_pdf_carries,
        final,
        shown=["Olga Prieto", "1900 EUR"],
        drawn=["Landlord", "Deposit"],
        signatures=0,
    )
    async with transaction(context.sessions) as session:
        entry = await session.scalar(
            select(HistoryEntry).where(
                HistoryEntry.package_id == package_id,
                HistoryEntry.action == "DOCUMENT_FORM_WRITTEN",
            )
        )
    assert entry is not None
    assert entry.details["document_id"] == annex
    assert entry.details["form_values"] == {"Landlord": "Olga Prieto", "Deposit": "1900 EUR"}


async def test_choices_the_second_signer_makes_leave_the_first_signature_form_filled(
    client: httpx.AsyncClient, context: AppContext, tenant: Tenant
) -> None:
    """Ben's list box, dropdown and radio group, chosen after Ana signed: her signature
    still sees form filling only."""
    people, package_id, document_id, form = await _package(client, context, tenant)
    await form.add(
        "text", {"order": 1, "page_no": 1, "field_name": "Phone", "dimensions": at(72, 600)}
    )
    for order, name in ((1, "AnaSigns"), (2, "BenSigns")):
        await form.add(
            "digital_signature",
            {
                "order": order,
                "page_no": 1,
                "field_name": name,
                "dimensions": at(72 + 250 * (order - 1), 80, 200, 60),
            },
        )
    await form.add(
        "listbox",
        {
            "order": 2,
            "page_no": 1,
            "field_name": "Floor",
            "choices": ["1", "2", "3"],
            "dimensions": at(72, 380, 60, 50),
        },
    )
    await form.add(
        "dropdown",
        {
            "order": 2,
            "page_no": 1,
            "field_name": "Plan",
            "choices": ["Basic", "Plus"],
            "dimensions": at(72, 440),
        },
    )
    for n, name in enumerate(("Monthly", "Yearly")):
        await form.add(
            "radio",
            {
                "order": 2,
                "page_no": 1,
                "field_name": name,
                "radio_group_name": "Pay",
                "dimensions": at(72 + 40 * n, 470, None, None),
            },
        )
    await share(people, package_id)
    filled = await form.fill("ana", {"text": [{"field_name": "Phone", "value": "600"}]})
    assert filled.status_code == 200, filled.text
    choices = {
        "listbox": [{"field_name": "Floor", "value": "3"}],
        "dropdown": [{"field_name": "Plan", "value": "Plus"}],
        "radio": [{"field_name": "Monthly", "value": True, "radio_group_name": "Pay"}],
    }
    for who, field in (("ana", "AnaSigns"), ("ben", "BenSigns")):
        if who == "ben":
            filled = await form.fill("ben", choices)
            assert filled.status_code == 200, filled.text
        await form.sign_and_finish(who, field)

    final = (
        await client.get(f"/v4/packages/{package_id}/documents/{document_id}", headers=people.owner)
    ).content
    fields = {
        str(ref.get_object()["/T"]): ref.get_object()
        for ref in PdfFileReader(io.BytesIO(final)).root["/AcroForm"]["/Fields"]
    }
    assert fields["Floor"]["/V"] == "3"
    assert fields["Plan"]["/V"] == "Plus"
    assert fields["Pay"]["/V"] == "/Monthly"
    await asyncio.to_thread(
        assert_the_signed_pdf_carries,
        final,
        shown=["600", "3", "Plus"],
        drawn=["Phone", "Floor", "Plan", "Pay"],
        signatures=2,
    )
