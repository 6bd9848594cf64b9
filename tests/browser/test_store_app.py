"""An associate's day in the store app, in a real browser against the demo (issue: store app)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from tests.browser.conftest import log_in, save_screenshot

pytestmark = pytest.mark.browser


def days_until(iso: str, today: dt.date) -> int:
    born = dt.date.fromisoformat(iso)
    for year in (today.year, today.year + 1):
        try:
            date = born.replace(year=year)
        except ValueError:  # 29 February in a common year
            date = dt.date(year, 2, 28)
        if date >= today:
            return (date - today).days
    raise AssertionError(iso)


def test_associate_filters_her_book_to_handbags_lovers_with_a_birthday_soon(page):
    """R-BOOK-5, R-BOOK-6, R-BOOK-7: filters in the browser; the URL keeps them."""
    log_in(page, "giulia")
    page.get_by_role("link", name="My client book").click()
    filters = page.locator("#filters")
    filters.locator("[data-attribute=PREF_CATEGORY]").get_by_label("Handbags").check()
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("upcoming-BIRTHDAY").select_option("14")
    # A select changes nothing until the form is applied (R-UX-1).
    page.get_by_role("button", name="Show customers").click()
    page.wait_for_url(re.compile(r"upcoming\.BIRTHDAY=14"))
    page.wait_for_load_state("networkidle")
    assert "attr.PREF_CATEGORY=Handbags" in page.url
    cards = page.locator("li.card")
    count = cards.count()
    assert count > 0
    assert page.get_by_test_id("count").inner_text().startswith(str(count))
    today = dt.date.today()
    for i in range(count):
        card = cards.nth(i)
        assert (
            card.locator("[data-code=PREF_CATEGORY] dd").get_attribute("data-value") == "Handbags"
        )
        birthday = card.locator("[data-code=BIRTHDAY] dd").get_attribute("data-value")
        assert birthday and days_until(birthday, today) <= 14
        assert card.locator(".properties > div").count() == 3
    save_screenshot(page, "screenshots", "client-book.png")
    # The same filtered view, opened from its URL (bookmarked or shared), shows the same cards.
    page.goto(page.url)
    assert page.locator("li.card").count() == count


def test_associate_is_refused_a_customer_of_marcos_book_with_marco_named(page):
    """R-BOOK-2: the conflict names the owner of the other book."""
    log_in(page, "giulia")
    page.goto("/store-books/?owner=marco")
    first = page.locator("li.card").first
    account = first.get_attribute("data-account")
    first.locator("h3 a").click()
    page.get_by_role("button", name="Add to my client book").click()
    alert = page.locator(".message.error")
    assert "marco" in alert.inner_text().lower() or "Marco" in alert.inner_text()
    assert account in alert.inner_text()


def test_associate_adds_a_customer_found_in_search(page):
    """R-SRCH-1, R-BOOK-2: search in the store, add a customer who is in no book."""
    log_in(page, "giulia")
    page.get_by_role("link", name="Customers").click()
    page.get_by_label("Name, email, phone or account number").fill("Rossi Bianchi Russo Ferrari")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("networkidle")
    free = page.locator("table.found tbody tr").filter(
        has=page.get_by_role("button", name="Add to my book")
    )
    row = free.filter(has_text="In no client book").first
    account = row.get_attribute("data-account")
    row.get_by_role("button", name="Add to my book").click()
    assert "is now in your client book" in page.locator(".message").first.inner_text()
    page.goto(f"/customers/{account}/")
    assert (
        "giulia" in page.get_by_test_id("book").inner_text().lower()
        or page.get_by_role("button", name="Remove from my client book").is_visible()
    )


def test_manager_reassigns_customers_from_marco_to_giulia(page):
    """R-BOOK-4, R-BOOK-9: select in the store view, pick the associate, confirm."""
    log_in(page, "sara")
    page.goto("/store-books/?owner=marco")
    cards = page.locator("li.card")
    accounts = [cards.nth(i).get_attribute("data-account") for i in range(2)]
    for i in range(2):
        cards.nth(i).locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Reassign selected").click()
    page.get_by_label("Move to the client book of").select_option("giulia")
    page.get_by_role("button", name="Continue").click()
    assert "Giulia" in page.get_by_test_id("reassign-summary").inner_text()
    page.get_by_role("button", name="Confirm reassignment").click()
    assert "2 customers moved" in page.locator(".message").first.inner_text()
    page.goto("/store-books/?owner=giulia&q=")
    for account in accounts:
        page.goto(f"/customers/{account}/")
        assert "giulia" in page.get_by_test_id("book").inner_text().lower()


def test_customer_service_has_no_client_book(page):
    """R-PERM-2: an operation not granted is not offered, and refused when asked for."""
    log_in(page, "carla")
    assert page.get_by_role("link", name="My client book").count() == 0
    page.goto("/book/")
    assert page.get_by_test_id("problem").is_visible()


ITALIAN_MONTHS = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
]


def test_associate_switches_to_italian_and_sees_the_same_page_in_italian(page):
    """R-I18N-1: the language switch keeps the page and translates it, dates included."""
    with translation.override("it"):
        heading = translation.gettext("My client book")
        search_label = translation.gettext("Name, email or phone")
        log_out = translation.gettext("Log out")
    assert heading != "My client book", "the Italian catalogue is not compiled"
    log_in(page, "giulia")
    page.get_by_role("link", name="My client book").click()
    page.wait_for_load_state("networkidle")
    english_cards = page.locator("li.card").count()
    # The language select changes nothing until its button is pressed (R-UX-1).
    page.locator("details.menu summary").click()
    page.get_by_test_id("language").select_option("it")
    with page.expect_navigation():
        page.get_by_test_id("language-apply").click()
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_label(search_label).count() == 1
    page.locator("details.menu summary").click()
    assert page.get_by_role("button", name=log_out).is_visible()
    assert page.locator("li.card").count() == english_cards
    birthday = page.locator("li.card [data-code=BIRTHDAY] dd:not([data-value=''])").first
    birthday = birthday.inner_text().lower()
    assert any(month in birthday for month in ITALIAN_MONTHS), birthday
    # Back to English for the other tests' sake: the choice lives in this browser context only.
    page.get_by_test_id("language").select_option("en")
    with page.expect_navigation():
        page.get_by_test_id("language-apply").click()
    assert page.get_by_role("heading", level=1).inner_text() == "My client book"


def test_notes_and_activities_are_seen_by_every_reader_of_the_legal_entity(browser, demo_server):
    """R-ACT-2, R-ACT-3, R-NOTE-1, R-NOTE-2: giulia records a call and a note on a customer
    in marco's book; marco sees both on the timeline; carla sees them in customer service."""
    contexts = []

    def as_user(username: str):
        context = browser.new_context(base_url=demo_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        tab = context.new_page()
        log_in(tab, username)
        return tab

    def as_admin():
        context = browser.new_context(base_url=demo_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        tab = context.new_page()
        admin_log_in(tab)
        return tab

    try:
        giulia = as_user("giulia")
        giulia.goto("/store-books/?owner=marco")
        account = giulia.locator("li.card").nth(6).get_attribute("data-account")
        giulia.goto(f"/customers/{account}/")
        assert "marco" in giulia.get_by_test_id("book").inner_text().lower()
        giulia.get_by_text("Record an activity").click()
        giulia.get_by_label("Type").select_option("PHONE")
        giulia.get_by_label("Subject").fill("Called about the Luna watch strap")
        giulia.get_by_label("Description").fill("Wants the brown alligator strap.")
        giulia.get_by_role("button", name="Record the activity").click()
        assert "Activity recorded." in giulia.locator(".message").first.inner_text()
        giulia.get_by_text("Write a note").click()
        giulia.get_by_label("Note", exact=True).first.fill("Birthday gift for her sister in June")
        giulia.get_by_role("button", name="Save the note").click()
        assert "Note saved." in giulia.locator(".message").first.inner_text()

        for reader in ("marco", "carla"):
            tab = as_user(reader)
            tab.goto(f"/customers/{account}/")
            timeline = tab.get_by_test_id("timeline")
            first, second = timeline.locator("li.entry").nth(0), timeline.locator("li.entry").nth(1)
            assert first.get_attribute("data-kind") == "note"
            assert "Birthday gift for her sister in June" in first.inner_text()
            assert "Giulia Conti" in first.inner_text()
            assert second.get_attribute("data-kind") == "activity"
            assert "Called about the Luna watch strap" in second.inner_text()
            if reader == "marco":
                save_screenshot(tab, "screenshots", "customer.png", full_page=True)
            if reader == "carla":
                assert tab.get_by_role("button", name="Add to my client book").count() == 0
                assert tab.get_by_role("link", name="My client book").count() == 0

        # HQ sees both on the customer's Activities tab in the back office.
        hq = as_admin()
        hq.goto(f"/admin/customers/customer/?q={account}")
        hq.get_by_role("link", name=account).first.click()
        hq.locator("#content-main").get_by_role("link", name="Activities").click()
        rows = hq.locator("#timeline tbody tr")
        assert rows.nth(0).get_attribute("data-kind") == "note"
        assert "Birthday gift for her sister in June" in rows.nth(0).inner_text()
        assert "Called about the Luna watch strap" in rows.nth(1).inner_text()
    finally:
        for context in contexts:
            context.close()


def admin_log_in(tab) -> None:
    tab.goto("/admin/login/")
    tab.get_by_label("Username").fill("admin")
    tab.get_by_label("Password").fill("demo")
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_load_state("networkidle")


def test_hq_turns_clienteling_off_and_the_store_app_says_so(browser, demo_server):
    """R-FEAT-1: the switch in the back office; the store app hides the book and says why."""
    hq_context = browser.new_context(base_url=demo_server)
    store_context = browser.new_context(base_url=demo_server)
    hq, giulia = hq_context.new_page(), store_context.new_page()
    try:
        admin_log_in(hq)
        log_in(giulia, "giulia")
        assert giulia.get_by_role("link", name="My client book").count() == 1

        def switch(on: bool) -> None:
            hq.goto("/admin/organization/legalentity/")
            hq.get_by_role("link", name="ITJW").click()
            box = hq.get_by_role("checkbox", name="Clienteling enabled")
            box.check() if on else box.uncheck()
            hq.get_by_role("button", name="Save", exact=True).click()
            assert "was changed successfully" in hq.locator(".messagelist").inner_text()

        switch(on=False)
        giulia.goto("/book/")
        assert "Clienteling is turned off" in giulia.get_by_test_id("problem").inner_text()
        assert giulia.get_by_role("link", name="My client book").count() == 0
        switch(on=True)
        giulia.goto("/book/")
        assert giulia.locator("li.card").count() > 0
    finally:
        hq_context.close()
        store_context.close()
