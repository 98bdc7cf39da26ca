"""The guided flow in Chromium, at desktop (1366x900) and phone (390x844) size: Start and
Next take real focus to every field still needed (each kind), from the first pending one,
also after a reload; entries are saved as they change; a signature given right after typing,
without any save, carries every entry into the final PDF; signing updates the page in
place; Finish says what is missing until nothing is. And the same package without
JavaScript: forms post, a typed signature, Finish."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.signing.checks import assert_the_signed_pdf_carries
from tests.web.conftest import Web
from tests.web.helpers import (
    ANA,
    WIDE_DESKTOP,
    at,
    check_axe,
    share_with_fields,
    workflow,
)

FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("text", {"field_name": "Phone", "dimensions": at(72, 700)}),
    (
        "text",
        {
            "field_name": "Start",
            "type": "DATE",
            "format": "dd/mm/yyyy",
            "default_to_signing_date": False,
            "dimensions": at(72, 660),
        },
    ),
    ("checkbox", {"field_name": "Agree", "dimensions": at(72, 610, None, None)}),
    (
        "radio",
        {"field_name": "Monthly", "radio_group_name": "Pay", "dimensions": at(72, 570, None, None)},
    ),
    (
        "radio",
        {"field_name": "Yearly", "radio_group_name": "Pay", "dimensions": at(120, 570, None, None)},
    ),
    ("dropdown", {"field_name": "Plan", "choices": ["Basic", "Plus"], "dimensions": at(72, 520)}),
    ("digital_signature", {"field_name": "AnaSigns", "dimensions": at(72, 300, 200, 60)}),
    ("initials", {"field_name": "AnaInitials", "dimensions": at(320, 300, 90, 40)}),
]
# What Next visits, in order: every field still needed, one stop per radio group.
VISITS = ["Phone", "Start", "Agree", "Monthly", "Plan", "AnaSigns", "AnaInitials"]


async def _package(web: Web) -> tuple[Any, str]:
    prepared = await web.prepare([ANA], [], share=False)
    return prepared, (await share_with_fields(web.api, web.live_server, prepared, FIELDS))["ana"]


async def _focused_field(page: Page) -> tuple[str, str]:
    """The focused control's field name and kind (input type, select or button)."""
    found: list[str] = await page.evaluate(
        "() => { const el = document.activeElement;"
        " return [el.dataset.field || '', el.tagName === 'INPUT' ? el.type : el.tagName]; }"
    )
    return found[0], found[1]


async def _not_under_the_bar(page: Page) -> None:
    """The focused field is in the window and above the sticky guide bar, once the scroll
    that focusing started has come to rest (a loaded machine can measure mid-scroll)."""
    await page.wait_for_function(
        """() => new Promise((rest) => {
            let last = window.scrollY;
            const check = () => {
                if (window.scrollY === last) { rest(true); return; }
                last = window.scrollY;
                setTimeout(check, 100);
            };
            setTimeout(check, 100);
        })"""
    )
    field = await page.evaluate("() => document.activeElement.getBoundingClientRect().toJSON()")
    bar = await page.locator("#guide-bar").bounding_box()
    assert bar is not None
    assert field["top"] >= 0 and field["bottom"] <= bar["y"] + 1, (field, bar)


async def _check_axe_without_script(web: Web, html: str) -> None:
    """axe-core is a script, which this page does not run: the same markup, with what a
    browser without script shows (the <noscript> blocks), checked in a page that runs it."""
    shown = html.replace("<noscript>", "<div>").replace("</noscript>", "</div>")
    shown = re.sub(r"<script[^>]*></script>", "", shown)
    shown = shown.replace("<head>", f'<head><base href="{web.live_server.url}/">', 1)
    checker = await web.new_page(WIDE_DESKTOP, locale="en-US")
    await checker.set_content(shown)
    await expect(checker.get_by_role("button", name="Sign “AnaSigns”")).to_be_visible()
    await check_axe(checker, web.axe_source, "page without script")
    await checker.context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_next_leads_everywhere_and_a_signature_right_after_typing_keeps_it(
    web: Web, size: str
) -> None:
    prepared, link = await _package(web)
    page = await web.page_at(size, "en-US")
    await page.goto(link)
    finish = page.locator("#finish")
    hint = page.locator("#guide-hint")
    await expect(finish).to_be_disabled()
    await expect(hint).to_have_text(
        "Still to do before Finish: Phone, Start, Agree, Pay, Plan, AnaSigns, AnaInitials"
    )
    await expect(page.locator("#todo-text")).to_have_text(
        "Complete the highlighted fields: 7 of 7 left."
    )
    await web.shot_and_check_axe(page, f"flow-01-start-{size}", "guided flow, start")

    # Start, then Next: every needed field in order, with real focus, each kind reached.
    nexter = page.locator("#next-field")
    await expect(nexter).to_have_text("Start")
    kinds = set()
    for name in VISITS:
        await nexter.click()
        field, kind = await _focused_field(page)
        assert field == name, (field, name)
        kinds.add(kind)
        await _not_under_the_bar(page)
        await expect(nexter).to_have_text("Next")
    assert kinds == {"text", "date", "checkbox", "radio", "SELECT", "BUTTON"}
    await nexter.click()  # round again: the first still needed
    assert (await _focused_field(page))[0] == "Phone"

    # An entry is saved as it changes, and says so.
    await page.keyboard.type("+34 600 100 200")
    state = page.locator("[id$='-state']").first
    await expect(state).to_have_text("Saved")
    await expect(page.locator("#save-status")).to_have_text("“Phone”: Saved")
    await expect(page.locator("#todo-text")).to_have_text(
        "Complete the highlighted fields: 6 of 7 left."
    )
    await web.shot_and_check_axe(page, f"flow-02-saved-{size}", "guided flow, a field saved")

    # After a reload the first field still needed is highlighted, and Next goes there.
    await page.reload()
    await expect(page.get_by_label("Text “Phone”, page 1")).to_have_value("+34 600 100 200")
    await nexter.click()
    assert await _focused_field(page) == ("Start", "date")
    await page.evaluate("window.stillTheSameDocument = true")

    # Typed, ticked, chosen, and signed at once: no save pressed, no wait.
    await page.get_by_label("Date “Start”, page 1").fill("2026-04-01")
    await page.get_by_label("Check box “Agree”, page 1").check()
    await page.get_by_label("Option “Yearly”, page 1").check()
    await page.get_by_label("Choice “Plan”, page 1").select_option("Plus")
    picture = page.locator(".page img").first
    unsigned_picture = await picture.get_attribute("src")
    await page.get_by_role("button", name="Sign here “AnaSigns”, page 1").click()
    await page.get_by_label("Type").check()
    await page.locator("#sign-apply").click()
    await expect(page.locator("#flash")).to_have_text(
        "The field “AnaSigns” is signed.", timeout=30_000
    )
    assert await page.evaluate("window.stillTheSameDocument === true")  # no reload
    # The field shows the adopted mark: the page's new picture (the signed PDF's) is loaded.
    await expect(page.locator(".field-signed")).to_have_count(1)
    await expect(picture).not_to_have_attribute("src", unsigned_picture or "")
    await page.wait_for_function(
        "() => { const i = document.querySelector('.page img');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    # The guide moved on to what is left: the initials.
    assert await _focused_field(page) == ("AnaInitials", "BUTTON")
    await expect(hint).to_have_text("Still to do before Finish: AnaInitials")
    await web.shot_and_check_axe(page, f"flow-03-signed-{size}", "guided flow, signed in place")

    # The signature adopted with the first field: the initials are one tap (Enter), in place.
    await expect(page.locator("button.field-sign[data-adopted]")).to_have_count(1)
    await page.keyboard.press("Enter")
    await expect(page.locator("#flash")).to_have_text(
        "The field “AnaInitials” is signed.", timeout=30_000
    )
    await expect(finish).to_be_enabled()
    await expect(hint).to_have_text("Everything is done: press Finish.")
    assert await page.evaluate("window.stillTheSameDocument === true")
    await web.shot_and_check_axe(page, f"flow-04-ready-{size}", "guided flow, ready to finish")
    await finish.click()
    await expect(page).to_have_url(web.live_server.url + "/web/done", timeout=30_000)
    await web.shot(page, f"flow-05-done-{size}")
    await page.context.close()

    assert await workflow(web.api, prepared) == ("COMPLETED", ["SIGNED"])
    final = await web.api.get(
        f"/v4/packages/{prepared.package_id}/documents/{prepared.document_id}",
        headers=prepared.owner,
    )
    assert final.status_code == 200
    await asyncio.to_thread(
        assert_the_signed_pdf_carries,
        final.content,
        shown=["+34 600 100 200", "01/04/2026", "Plus"],
        drawn=["Agree", "Pay", "AnaSigns", "AnaInitials"],
        signatures=2,
    )


async def test_without_javascript_the_page_still_signs_and_finishes(web: Web) -> None:
    prepared, link = await _package(web)
    page = await web.new_page(WIDE_DESKTOP, locale="en-US", java_script_enabled=False)
    await page.goto(link)
    await expect(page.locator("#next-field")).to_be_hidden()  # the guide needs script
    await expect(page.locator("#finish")).to_be_disabled()
    await page.get_by_label("Text “Phone”, page 1").fill("+34 600 100 200")
    await page.get_by_label("Date “Start”, page 1").fill("2026-04-01")
    await page.get_by_label("Check box “Agree”, page 1").check()
    await page.get_by_label("Option “Monthly”, page 1").check()
    await page.get_by_label("Choice “Plan”, page 1").select_option("Basic")
    await page.locator("#save-fields").click()
    await expect(page.locator("#flash")).to_have_text("Your entries were saved.")
    await web.shot(page, "flow-06-nojs-saved")
    await _check_axe_without_script(web, await (await page.request.get(page.url)).text())
    for name in ("AnaSigns", "AnaInitials"):
        await page.get_by_label(f"Your name, to sign “{name}”").fill("Ana Ruiz")
        await page.get_by_role("button", name=f"Sign “{name}”").click()
        await expect(page.locator("#flash")).to_have_text(
            f"The field “{name}” is signed.", timeout=30_000
        )
    await expect(page.locator("#finish")).to_be_enabled()
    await page.locator("#finish").click()
    await expect(page).to_have_url(web.live_server.url + "/web/done", timeout=30_000)
    await page.context.close()
    assert await workflow(web.api, prepared) == ("COMPLETED", ["SIGNED"])
