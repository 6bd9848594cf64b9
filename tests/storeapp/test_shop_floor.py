"""The store app's flows on the shop floor (R-UX-1): search offers only what can be done,
limits are said, managers land on the store's books, reassigning never dead-ends and says
from whom and to whom, problems have a way back, ranges are checked, dates are read and
written in the app's language, and coming dates are sorted and marked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from clienteling.clientbooks import services
from clienteling.clientbooks.models import Membership
from clienteling.clientbooks.selectors import anniversary_in_days
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, giulia):
    client.force_login(giulia.user)
    return client


def test_adding_a_customer_already_in_my_book_does_not_claim_it_was_added(
    logged_in, legal_entity, giulia
):
    """R-UX-1, R-BOOK-2: re-adding my own customer says it was already there."""
    customer = CustomerFactory.create(legal_entity=legal_entity)
    book_add(giulia, customer)
    url = reverse("storeapp:customer", args=[customer.account])
    body = logged_in.post(url, {"action": "add"}, follow=True).content.decode()
    assert "is already in your client book" in body
    assert "is now in your client book" not in body


def test_search_offers_add_only_for_customers_in_no_book_and_names_the_owner(
    logged_in, legal_entity, giulia, marco
):
    """R-UX-1, R-BOOK-2: mine says "In your book", marco's names marco, only the free
    customer has the button."""
    mine, marcos, free = CustomerFactory.create_batch(
        3, legal_entity=legal_entity, last_name="Zeffirelli"
    )
    book_add(giulia, mine)
    book_add(marco, marcos)
    body = logged_in.get(
        reverse("storeapp:search"), {"q": "Zeffirelli", "all_stores": "on"}
    ).content.decode()
    rows = {}
    for account in (mine.account, marcos.account, free.account):
        found = re.search(rf'data-account="{account}">(.*?)</tr>', body, re.S)
        assert found, account
        rows[account] = found.group(1)
    assert "In your book" in rows[mine.account]
    assert "marco" in rows[marcos.account].lower()
    assert "Add to my book" in rows[free.account]
    assert "Add to my book" not in rows[mine.account]
    assert "Add to my book" not in rows[marcos.account]


def test_search_says_when_it_shows_only_the_first_results(logged_in, legal_entity):
    """R-UX-1, R-SRCH-1: 55 found, 50 shown, and the page says so."""
    CustomerFactory.create_batch(55, legal_entity=legal_entity, last_name="Visconti")
    body = logged_in.get(
        reverse("storeapp:search"), {"q": "Visconti", "all_stores": "on"}
    ).content.decode()
    assert "Showing the first 50 of 55 customers found" in body
    assert "refine your search" in body


def test_a_store_manager_lands_on_the_store_books(client, manager):
    """R-UX-1, R-BOOK-9: a manager opens on the store's books, not an empty own book."""
    client.force_login(manager.user)
    response = client.get(reverse("storeapp:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("storeapp:store_books")


def test_an_associate_lands_on_today(logged_in):
    """R-TODAY-1, R-UX-1: an associate without the reassign grant opens on Today, her day
    drawn from her book, which the header links to."""
    response = logged_in.get(reverse("storeapp:home"))
    assert response["Location"] == reverse("storeapp:today")
    today = logged_in.get(response["Location"]).content.decode()
    assert 'href="/today/" aria-current="page"' in today
    assert f'href="{reverse("storeapp:book")}"' in today


def test_reassign_selected_with_nothing_ticked_stays_on_the_view_with_its_filter(client, manager):
    """R-UX-1, R-BOOK-4: no dead end; the filter is kept and a message says why."""
    client.force_login(manager.user)
    query = "owner=marco&q=ros"
    response = client.get(reverse("storeapp:reassign"), {"scope": "selected", "query": query})
    assert response.status_code == 302
    assert response["Location"] == reverse("storeapp:store_books") + f"?{query}"
    page = client.get(response["Location"]).content.decode()
    assert "Tick the customers to reassign first" in page


def test_reassign_confirmation_says_from_whose_books_and_to_whom(
    client, legal_entity, marco, giulia, manager, customers
):
    """R-UX-1, R-BOOK-4: choosing the receiver shows one sentence to confirm; nothing has
    moved until it is confirmed; choosing nobody is named as an error."""
    book_add(marco, *customers[:2])
    client.force_login(manager.user)
    accounts = [c.account for c in customers[:2]]
    url = reverse("storeapp:reassign")
    nobody = client.post(url, {"customers": accounts, "to_worker": ""})
    assert nobody.status_code == 422
    assert "Choose the associate" in nobody.content.decode()
    review = client.post(url, {"customers": accounts, "to_worker": "giulia"}).content.decode()
    assert f"Move 2 customers to the client book of {giulia}?" in review
    assert f"{marco}: 2 customers" in review
    assert set(
        Membership.objects.filter(customer__in=customers[:2]).values_list(
            "book__owner__user__username", flat=True
        )
    ) == {"marco"}
    done = client.post(url, {"customers": accounts, "to_worker": "giulia", "confirm": "yes"})
    assert done.status_code == 302
    assert set(
        Membership.objects.filter(customer__in=customers[:2]).values_list(
            "book__owner__user__username", flat=True
        )
    ) == {"giulia"}


def test_a_problem_page_offers_a_way_back(logged_in):
    """R-UX-1: not found links to the page before and to the start page."""
    response = logged_in.get(
        reverse("storeapp:customer", args=["NOPE"]),
        HTTP_REFERER="http://testserver/book/?q=x",
    )
    assert response.status_code == 404
    body = response.content.decode()
    assert 'href="http://testserver/book/?q=x"' in body
    assert "Go to the start page" in body


def test_a_problem_page_does_not_link_back_to_another_site(logged_in):
    """R-UX-1: a referer from elsewhere is not offered as the way back."""
    response = logged_in.get(
        reverse("storeapp:customer", args=["NOPE"]), HTTP_REFERER="https://evil.example/x"
    )
    assert "evil.example" not in response.content.decode()


def test_an_inverted_date_range_is_named_as_an_error(logged_in, giulia, customers):
    """R-UX-1, R-BOOK-7: min after max is an error naming the attribute, not an empty page."""
    book_add(giulia, *customers)
    body = logged_in.get(
        reverse("storeapp:book"),
        {"attr.BIRTHDAY.min": "1990-01-01", "attr.BIRTHDAY.max": "1980-01-01"},
    ).content.decode()
    assert "Birthday: the start of the range is after its end." in body
    assert 'data-field="attr.BIRTHDAY.min"' in body


def test_date_filters_are_read_in_the_apps_language(client, giulia, customers):
    """R-UX-1, R-UX-2: in Italian a range typed as dd/mm/yyyy filters as that day."""
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"BIRTHDAY": "1985-02-01"}
    )
    services.customer_attributes_set(
        actor=giulia, customer=customers[1], values={"BIRTHDAY": "1985-01-02"}
    )
    book_add(giulia, *customers)
    client.force_login(giulia.user)
    client.cookies["django_language"] = "it"
    body = client.get(
        reverse("storeapp:book"),
        {"attr.BIRTHDAY.min": "01/02/1985", "attr.BIRTHDAY.max": "28/02/1985"},
    ).content.decode()
    assert customers[0].account in body
    assert customers[1].account not in body
    assert 'value="01/02/1985"' in body  # shown back as typed in Italian


def test_a_date_attribute_typed_in_the_apps_language_is_saved(client, giulia, legal_entity):
    """R-UX-1: the attribute form reads dates in the active language's format."""
    customer = CustomerFactory.create(legal_entity=legal_entity)
    client.force_login(giulia.user)
    client.cookies["django_language"] = "it"
    url = reverse("storeapp:customer", args=[customer.account])
    response = client.post(url, {"action": "attributes", "attr-BIRTHDAY": "24/11/1980"})
    assert response.status_code == 302
    value = customer.attribute_values.get(attribute__code="BIRTHDAY").value
    assert value == dt.date(1980, 11, 24)


def test_a_date_in_no_known_format_is_refused_beside_its_field(logged_in, legal_entity):
    """R-UX-1, R-ERR-1: the form stays open with the message and what was typed."""
    customer = CustomerFactory.create(legal_entity=legal_entity)
    url = reverse("storeapp:customer", args=[customer.account])
    response = logged_in.post(url, {"action": "attributes", "attr-BIRTHDAY": "31/31/31"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="err-BIRTHDAY"' in body
    assert 'value="31/31/31"' in body
    assert 'action="/customers/' in body and '#attributes"' in body
    assert customer.attribute_values.count() == 0


def test_the_customer_page_reads_first_and_edits_on_demand(logged_in, legal_entity):
    """R-UX-1: no form until "Edit"; then the form."""
    customer = CustomerFactory.create(legal_entity=legal_entity)
    url = reverse("storeapp:customer", args=[customer.account])
    reading = logged_in.get(url).content.decode()
    assert 'class="attributes"' not in reading
    assert "?edit=attributes#attributes" in reading
    editing = logged_in.get(url, {"edit": "attributes"}).content.decode()
    assert 'name="attr-BIRTHDAY"' in editing
    assert 'type="date"' not in editing


def test_a_coming_date_filter_sorts_by_the_date_and_marks_today(logged_in, giulia, customers):
    """R-UX-1, R-BOOK-7: with "coming up" set and no order chosen, the soonest first; a
    birthday today says "today"."""
    today = timezone.localdate()
    in_five = today + dt.timedelta(days=5)
    services.customer_attributes_set(
        actor=giulia,
        customer=customers[0],
        values={"BIRTHDAY": in_five.replace(year=1980).isoformat()}
        if not (in_five.month == 2 and in_five.day == 29)
        else {"BIRTHDAY": "1980-02-29"},
    )
    birthday_today = today.replace(year=1984) if (today.month, today.day) != (2, 29) else today
    services.customer_attributes_set(
        actor=giulia, customer=customers[1], values={"BIRTHDAY": birthday_today.isoformat()}
    )
    book_add(giulia, *customers)
    body = logged_in.get(reverse("storeapp:book"), {"upcoming.BIRTHDAY": "14"}).content.decode()
    assert body.index(customers[1].account) < body.index(customers[0].account)
    assert 'data-days="0">today</span>' in body
    assert 'data-days="5">in 5 days</span>' in body


def test_anniversary_days_count_29_february_on_28_february_in_a_common_year():
    """R-UX-1: the cue counts as the filter does."""
    assert anniversary_in_days(dt.date(1980, 2, 29), dt.date(2027, 2, 20)) == 8
    assert anniversary_in_days(dt.date(1980, 12, 1), dt.date(2026, 12, 1)) == 0
    assert anniversary_in_days(dt.date(1980, 1, 2), dt.date(2026, 12, 31)) == 2


def test_no_select_submits_on_change_and_the_language_has_a_button(logged_in):
    """R-UX-1: arrow keys on a select never submit; the language is changed by a button."""
    body = logged_in.get(reverse("storeapp:book")).content.decode()
    assert "data-submit-on-change" not in body
    assert 'data-testid="language-apply"' in body
    assert "Skip to results" in body
