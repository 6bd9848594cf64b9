"""The store app on the shop floor (R-UX-1): tablet first (820 x 1180 portrait, 1180 x 820
landscape), then phone (390 x 844) and desktop, in Debian's Chromium against the demo.
Each test loads its page once and changes only the viewport, so the suite stays quick."""

from __future__ import annotations

import pytest

from tests.browser.conftest import fits_every_size, log_in, save_screenshot

pytestmark = pytest.mark.browser


def cards_in_view(page) -> int:
    return page.evaluate(
        """Array.from(document.querySelectorAll('li.card')).filter(card => {
             const box = card.getBoundingClientRect();
             return box.top >= 0 && box.bottom <= window.innerHeight && box.width > 0;
           }).length"""
    )


def test_a_new_associate_sees_eight_cards_on_a_tablet_and_the_book_fits_every_size(page):
    """R-UX-1: on an 820 x 1180 tablet the filters are folded away and at least eight
    cards show without scrolling; the button says how many filters are set; the book
    has no sideways scrolling and no axe-core violation at any size."""
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, "giulia")
    page.goto("/book/")
    assert not page.locator("#filter-panel").is_visible()
    assert cards_in_view(page) >= 8
    fits_every_size(page, "my client book", screenshot="tablet-book.png")
    # The filters slide in, and a filter set is counted on the button.
    page.set_viewport_size({"width": 820, "height": 1180})
    toggle = page.locator("[data-filter-toggle]")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.locator("#filter-panel").get_by_text("Handbags").click()
    page.get_by_role("button", name="Show customers").click()
    page.wait_for_url("**PREF_CATEGORY=Handbags**")
    page.wait_for_load_state("networkidle")
    assert page.locator("#filter-count").inner_text().startswith("1")
    assert toggle.get_attribute("aria-expanded") == "false"  # applying closed the panel
    page.evaluate("window.scrollTo(0, 0)")
    toggle.click()
    page.wait_for_timeout(300)  # the panel slides in
    save_screenshot(page, "img", "tablet-filters.png")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"


def test_a_coming_birthday_filter_sorts_by_the_date_and_marks_it(page):
    """R-UX-1, R-BOOK-7: "in the next 30 days" sorts soonest first and each card says
    "today" or "in N days"; the filtered page fits every size."""
    log_in(page, "giulia")
    page.goto("/book/?upcoming.BIRTHDAY=30")
    cues = page.locator("li.card [data-code=BIRTHDAY] .cue")
    assert cues.count() > 0
    days = [int(d) for d in cues.evaluate_all("els => els.map(e => e.dataset.days)")]
    assert days == sorted(days)
    assert all(0 <= d <= 30 for d in days)
    fits_every_size(page, "the filtered book")


def test_an_inverted_date_range_is_named_as_an_error(page):
    """R-UX-1, R-ERR-1: a range whose start is after its end says so."""
    log_in(page, "giulia")
    page.goto("/book/?attr.BIRTHDAY.min=1990-01-01&attr.BIRTHDAY.max=1980-01-01")
    assert "start of the range is after its end" in page.locator(".message.error").inner_text()


def test_keyboard_skip_to_results_and_show_more_keeps_focus(page):
    """R-UX-1: the first Tab reaches "Skip to results", which lands on the results;
    "Show more" moves the focus to the first new card, not to the page body."""
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, "giulia")
    page.goto("/book/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to results"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results"
    before = page.locator("li.card").count()
    more = page.locator(".cards .more a")
    more.focus()
    page.keyboard.press("Enter")
    page.locator("li.card").nth(before).wait_for()
    page.wait_for_timeout(200)
    focused = page.evaluate(
        "document.activeElement.closest('li.card')?.dataset.account || document.activeElement.tagName"
    )
    assert focused == page.locator("li.card").nth(before).get_attribute("data-account")


def test_the_language_select_changes_nothing_until_its_button_is_pressed(page):
    """R-UX-1: arrow keys on a select do not submit it."""
    log_in(page, "giulia")
    page.goto("/book/")
    page.locator("details.menu summary").click()
    select = page.get_by_test_id("language")
    select.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/book/")


def test_a_manager_lands_on_the_store_books_which_fit_every_size(page):
    """R-UX-1, R-BOOK-9: sara (a store manager) opens on the store's client books; the
    card checkboxes are 44 px touch targets; "Reassign selected" with nothing ticked
    stays on the page with its filter and says why."""
    log_in(page, "sara")
    assert "/store-books/" in page.url
    fits_every_size(page, "the store books", screenshot="tablet-store-books.png")
    page.goto("/store-books/?owner=marco")
    box = page.locator("li.card label.select").first.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44
    page.get_by_role("button", name="Reassign selected").click()
    assert "owner=marco" in page.url
    assert "Tick the customers" in page.locator(".messages").inner_text()


def test_reassigning_all_says_from_whose_books_and_to_whom(page):
    """R-UX-1, R-BOOK-4: the confirmation names the books they leave and the receiver."""
    log_in(page, "sara")
    page.goto("/store-books/?owner=marco")
    page.get_by_role("button", name="Reassign all").click()
    assert "Marco" in page.get_by_test_id("reassign-from").inner_text()
    fits_every_size(page, "the reassign page")
    page.get_by_label("Move to the client book of").select_option("giulia")
    page.get_by_role("button", name="Continue").click()
    summary = page.get_by_test_id("reassign-summary").inner_text()
    assert "Giulia" in summary and "Move all" in summary


def test_search_offers_add_only_to_customers_in_no_book_and_fits_every_size(page):
    """R-UX-1, R-BOOK-2: a customer in a book says whose; only the others can be added."""
    log_in(page, "giulia")
    page.goto("/customers/?q=Rossi+Bianchi+Russo+Ferrari")
    rows = page.locator("table.found tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        row = rows.nth(i)
        in_book = "In no client book" not in row.locator("td.book").inner_text()
        has_add = row.get_by_role("button", name="Add to my book").count() == 1
        assert in_book != has_add
    fits_every_size(page, "search", screenshot="tablet-search.png")


@pytest.fixture
def refusing_page(browser, demo_server):
    """A tab for pages answered 422 on purpose (the page fixture fails on that status)."""
    context = browser.new_context(base_url=demo_server, viewport={"width": 820, "height": 1180})
    yield context.new_page()
    context.close()


def test_the_customer_page_reads_first_and_edits_on_demand(refusing_page):
    """R-UX-1: the page reads first; "Edit" opens the form; an error keeps it open and in
    view; the page fits every size."""
    page = refusing_page
    log_in(page, "giulia")
    page.goto("/book/")
    page.locator("li.card h3 a").first.click()
    assert page.locator("form.attributes").count() == 0
    fits_every_size(page, "the customer page", screenshot="tablet-customer.png")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.get_by_test_id("edit-attributes").click()
    page.locator("#attr-BIRTHDAY").fill("31/31/31")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#err-BIRTHDAY")
    page.wait_for_load_state()
    assert error.is_visible()
    assert page.evaluate("document.activeElement.id") == "attr-BIRTHDAY"
    box = error.bounding_box()
    assert box and 0 <= box["y"] <= 1180


def test_an_activity_error_is_shown_in_view(refusing_page):
    """R-UX-1: after a refused activity the error is in view, its field focused."""
    page = refusing_page
    log_in(page, "giulia")
    page.goto("/book/")
    page.locator("li.card h3 a").first.click()
    page.get_by_text("Record an activity").click()
    page.get_by_role("button", name="Record the activity").click()
    error = page.get_by_test_id("record-error")
    page.wait_for_load_state()
    box = error.bounding_box()
    assert box and 0 <= box["y"] <= 1180
    assert page.evaluate("document.activeElement.id") == "act-subject"


def test_a_problem_page_has_a_way_back(page):
    """R-UX-1: not found offers the way back and the start page."""
    log_in(page, "giulia")
    page.goto("/customers/NOPE-0000/")
    way = page.get_by_test_id("way-back")
    assert way.get_by_role("link", name="Go to the start page").count() == 1
    fits_every_size(page, "the problem page")


def test_the_open_filter_drawer_keeps_the_keyboard_within_it(page):
    """R-UX-1: on a tablet the open drawer is a modal dialog; Tab from its last control comes
    back to its first, Shift+Tab from its first goes to its last, never to the page hidden
    behind it; Escape gives the focus back to the button that opened it."""
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, "giulia")
    page.goto("/book/")
    toggle = page.locator("[data-filter-toggle]")
    toggle.focus()
    page.keyboard.press("Enter")
    drawer = page.locator("#filter-panel")
    assert drawer.get_attribute("role") == "dialog"
    assert drawer.get_attribute("aria-modal") == "true"
    inside = "document.getElementById('filter-panel').contains(document.activeElement)"
    assert page.evaluate(inside)
    first = page.evaluate("document.activeElement.outerHTML")
    for _ in range(80):
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
        if page.evaluate("document.activeElement.outerHTML") == first:
            break
    else:
        pytest.fail("Tab never came back to the drawer's first control")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(inside)
    assert page.evaluate("document.activeElement.outerHTML") != first
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.outerHTML") == first
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert drawer.get_attribute("role") is None
    assert page.evaluate("document.activeElement.hasAttribute('data-filter-toggle')")
