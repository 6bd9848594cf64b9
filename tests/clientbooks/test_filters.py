"""Filtering and sorting a client book (R-BOOK-7, R-BOOK-8, R-ATTR-5)."""

from __future__ import annotations

import datetime as dt

import pytest

from clienteling.attributes.models import Attribute, DataType
from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.filters import upcoming_ranges
from clienteling.core.errors import Invalid
from tests.factories import CustomerFactory, book_add, refinable_attribute

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(legal_entity, giulia):
    """Five customers in giulia's book, with names, categories and brands to filter on."""
    specs = [
        ("Anna", "Rossi", "Shoes", "Gucci"),
        ("Bruno", "Bianchi", "Handbags", "Prada"),
        ("Carla", "Verdi", "Shoes", "Prada"),
        ("Dario", "Neri", "Watches", None),
        ("Elena", "Russo", None, None),
    ]
    customers = {}
    for first, last, category, brand in specs:
        customer = CustomerFactory.create(
            legal_entity=legal_entity, first_name=first, last_name=last
        )
        book_add(giulia, customer)
        values = {"PREF_CATEGORY": category, "FAV_BRAND": brand}
        services.customer_attributes_set(actor=giulia, customer=customer, values=values)
        customers[first] = customer
    return customers


def names(legal_entity, actor, params) -> list[str]:
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
    page = selectors.client_book_cards(
        actor=actor, legal_entity=legal_entity, card_filter=card_filter, limit=200
    )
    return [card.name.split()[0] for card in page.items]


def set_values(giulia, customer, **values):
    services.customer_attributes_set(actor=giulia, customer=customer, values=values)


def test_equality_on_a_list_attribute(legal_entity, giulia, book):
    """R-BOOK-7: equality on a list value, ignoring case."""
    assert names(legal_entity, giulia, {"attr.PREF_CATEGORY": "shoes"}) == ["Anna", "Carla"]


def test_one_of_on_a_list_attribute(legal_entity, giulia, book):
    """R-BOOK-7: repeating a value means one of them."""
    params = {"attr.PREF_CATEGORY": ["Handbags", "Watches"]}

    assert sorted(names(legal_entity, giulia, params)) == ["Bruno", "Dario"]


def test_equality_on_a_free_text_attribute(legal_entity, giulia, book):
    """R-BOOK-7: equality on free text, ignoring case."""
    assert names(legal_entity, giulia, {"attr.FAV_BRAND": "PRADA"}) == ["Bruno", "Carla"]


def test_criteria_combine_with_and(legal_entity, giulia, book):
    """R-BOOK-7: every criterion must hold."""
    params = {"attr.PREF_CATEGORY": "Shoes", "attr.FAV_BRAND": "Prada"}

    assert names(legal_entity, giulia, params) == ["Carla"]


def test_free_text_matches_name(legal_entity, giulia, book):
    """R-BOOK-7: free text on the name, ignoring case."""
    assert names(legal_entity, giulia, {"q": "ROSSI"}) == ["Anna"]


def test_free_text_matches_email(legal_entity, giulia, book):
    """R-BOOK-7: free text on the email."""
    email = book["Dario"].email

    assert names(legal_entity, giulia, {"q": email}) == ["Dario"]


def test_free_text_matches_phone_ignoring_formatting(legal_entity, giulia, book):
    """R-BOOK-7: a phone number typed with other spacing still matches."""
    digits = book["Elena"].phone_digits

    assert names(legal_entity, giulia, {"q": f"{digits[:3]}-{digits[3:]}"}) == ["Elena"]


def test_free_text_words_combine_with_and(legal_entity, giulia, book):
    """R-BOOK-7: each word of the free text must match."""
    assert names(legal_entity, giulia, {"q": "anna bianchi"}) == []


def test_free_text_and_attribute_combine_with_and(legal_entity, giulia, book):
    """R-BOOK-7: free text and an attribute criterion together."""
    params = {"q": "r", "attr.PREF_CATEGORY": "Shoes"}

    assert names(legal_entity, giulia, params) == ["Anna", "Carla"]


def test_number_range(legal_entity, giulia, book):
    """R-BOOK-7: ranges for numbers, bounds included."""
    refinable_attribute("VISITS", DataType.INTEGER, display_order=10)
    set_values(giulia, book["Anna"], VISITS=3)
    set_values(giulia, book["Bruno"], VISITS=5)
    set_values(giulia, book["Carla"], VISITS=9)

    params = {"attr.VISITS.min": "4", "attr.VISITS.max": "9"}

    assert names(legal_entity, giulia, params) == ["Bruno", "Carla"]


def test_date_range(legal_entity, giulia, book):
    """R-BOOK-7: ranges for dates as YYYY-MM-DD."""
    set_values(giulia, book["Anna"], BIRTHDAY="1970-06-01")
    set_values(giulia, book["Bruno"], BIRTHDAY="1985-06-01")
    set_values(giulia, book["Carla"], BIRTHDAY="1990-01-01")

    params = {"attr.BIRTHDAY.min": "1980-01-01", "attr.BIRTHDAY.max": "1989-12-31"}

    assert names(legal_entity, giulia, params) == ["Bruno"]


def test_boolean_yes_and_no(legal_entity, giulia, book):
    """R-BOOK-7: yes/no for booleans; a customer without a value matches neither."""
    refinable_attribute("VIP", DataType.BOOLEAN, display_order=11)
    set_values(giulia, book["Anna"], VIP=True)
    set_values(giulia, book["Bruno"], VIP=False)

    assert names(legal_entity, giulia, {"attr.VIP": "true"}) == ["Anna"]
    assert names(legal_entity, giulia, {"attr.VIP": "false"}) == ["Bruno"]


def test_refinable_attribute_without_a_filter_slot_still_filters(legal_entity, giulia, book):
    """R-BOOK-7: beyond the indexed slots, the values table answers the same filter."""
    Attribute.objects.filter(code="FAV_BRAND").update(filter_slot=None)

    assert names(legal_entity, giulia, {"attr.FAV_BRAND": "prada"}) == ["Bruno", "Carla"]


def test_filter_on_a_non_refinable_attribute_is_refused(legal_entity, giulia, book):
    """R-ATTR-5: only attributes flagged can-be-refined filter a client book."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(legal_entity=legal_entity, params={"attr.RING_SIZE": "50"})

    assert (error.value.field, error.value.rule) == ("attr.RING_SIZE", "not_refinable")


def test_filter_on_an_unknown_attribute_is_refused(legal_entity):
    """R-ATTR-5: an attribute outside the client book group cannot filter it."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(legal_entity=legal_entity, params={"attr.NOPE": "x"})

    assert error.value.rule == "unknown_attribute"


def test_filter_value_outside_the_list_is_refused(legal_entity):
    """R-BOOK-7 / R-ATTR-4: a filter value is checked like an attribute value."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(
            legal_entity=legal_entity, params={"attr.PREF_CATEGORY": "Cars"}
        )

    assert (error.value.field, error.value.rule) == ("attr.PREF_CATEGORY", "allowed_values")


def test_range_on_a_text_attribute_is_refused(legal_entity):
    """R-BOOK-7: ranges are for numbers and dates only."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(legal_entity=legal_entity, params={"attr.FAV_BRAND.min": "A"})

    assert error.value.rule == "no_range"


def test_book_is_not_limited_to_the_store_address_books(legal_entity, store, giulia):
    """R-BOOK-8: a customer in no address book of the store is still in the book."""
    stranger = CustomerFactory.create(legal_entity=legal_entity, first_name="Zoe", last_name="Far")
    assert not stranger.address_books.exists()
    book_add(giulia, stranger)

    assert names(legal_entity, giulia, {}) == ["Zoe"]


# --- Sorting --------------------------------------------------------------------------


def test_default_sort_is_by_family_name(legal_entity, giulia, book):
    """R-BOOK-7: sorted by name (family name, then given name)."""
    assert names(legal_entity, giulia, {"sort": "name"}) == [
        "Bruno",  # Bianchi
        "Dario",  # Neri
        "Anna",  # Rossi
        "Elena",  # Russo
        "Carla",  # Verdi
    ]


def test_sort_by_date_added_is_newest_first(legal_entity, giulia, book):
    """R-BOOK-7: sorted by date added, newest first."""
    late = CustomerFactory.create(legal_entity=legal_entity, first_name="Zeno", last_name="Aaa")
    book_add(giulia, late)

    assert names(legal_entity, giulia, {"sort": "added"}) == [
        "Zeno",
        "Elena",
        "Dario",
        "Carla",
        "Bruno",
        "Anna",
    ]


def test_unknown_sort_is_refused(legal_entity):
    """R-BOOK-7: sort is name, added or upcoming.CODE."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(legal_entity=legal_entity, params={"sort": "age"})

    assert error.value.field == "sort"


# --- Upcoming important dates ----------------------------------------------------------


@pytest.fixture
def today(monkeypatch):
    """Freeze the legal entity's 'today' for upcoming-date filters and sorts."""

    def freeze(day: dt.date) -> None:
        monkeypatch.setattr(selectors, "local_today", lambda legal_entity: day)

    return freeze


@pytest.fixture
def birthdays(legal_entity, giulia, book):
    def assign(**by_name: str) -> None:
        for name, date in by_name.items():
            set_values(giulia, book[name], BIRTHDAY=date)

    return assign


def test_upcoming_window_crosses_the_new_year(legal_entity, giulia, today, birthdays):
    """R-BOOK-7: on 20 December, 20 days ahead includes 5 January and excludes 25 November."""
    today(dt.date(2026, 12, 20))
    birthdays(Anna="1980-01-05", Bruno="1975-11-25", Carla="1990-12-20", Dario="1960-01-10")

    assert sorted(names(legal_entity, giulia, {"upcoming.BIRTHDAY": "20"})) == [
        "Anna",
        "Carla",
    ]


def test_upcoming_window_ignores_the_year(legal_entity, giulia, today, birthdays):
    """R-BOOK-7: only month and day count, whatever the birth year."""
    today(dt.date(2026, 6, 1))
    birthdays(Anna="1950-06-10", Bruno="2001-06-10", Carla="1990-05-31")

    assert sorted(names(legal_entity, giulia, {"upcoming.BIRTHDAY": "14"})) == ["Anna", "Bruno"]


@pytest.mark.parametrize(
    ("day", "days", "included"),
    [
        (dt.date(2027, 2, 20), 8, True),  # non-leap: window ends 28 Feb, the day it is celebrated
        (dt.date(2027, 2, 20), 7, False),  # non-leap: window ends 27 Feb
        (dt.date(2027, 2, 28), 0, True),  # non-leap: today is 28 Feb
        (dt.date(2027, 3, 1), 30, False),  # non-leap: 28 Feb has passed
        (dt.date(2028, 2, 20), 8, False),  # leap: 29 Feb is after 28 Feb
        (dt.date(2028, 2, 20), 9, True),  # leap: window reaches 29 Feb
        (dt.date(2026, 12, 20), 70, True),  # across the new year into a non-leap February
    ],
)
def test_29_february_counts_as_28_february_in_non_leap_years(
    legal_entity, giulia, today, birthdays, day, days, included
):
    """R-BOOK-7: a 29 February date is celebrated on 29 February in leap years and on
    28 February otherwise (documented in filters.upcoming_ranges)."""
    today(day)
    birthdays(Anna="1984-02-29")

    found = names(legal_entity, giulia, {"upcoming.BIRTHDAY": str(days)})

    assert ("Anna" in found) is included


def test_upcoming_ranges_split_in_two_across_the_new_year():
    """R-BOOK-7: the window across 31 December is two month-day ranges."""
    assert upcoming_ranges(dt.date(2026, 12, 20), 20) == [(1220, 1231), (101, 109)]


def test_upcoming_for_a_date_attribute_without_a_slot(legal_entity, giulia, today, birthdays):
    """R-BOOK-7: the values table answers the upcoming window the same way."""
    Attribute.objects.filter(code="BIRTHDAY").update(filter_slot=None)
    today(dt.date(2026, 12, 20))
    birthdays(Anna="1980-01-05", Bruno="1975-11-25")

    assert names(legal_entity, giulia, {"upcoming.BIRTHDAY": "20"}) == ["Anna"]


def test_upcoming_on_a_non_date_attribute_is_refused(legal_entity):
    """R-BOOK-7: upcoming needs a date attribute."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(legal_entity=legal_entity, params={"upcoming.FAV_BRAND": "5"})

    assert error.value.rule == "not_a_date"


def test_upcoming_days_must_be_a_small_whole_number(legal_entity):
    """R-BOOK-7: the number of days is 0 to 366."""
    with pytest.raises(Invalid) as error:
        selectors.card_filter_parse(legal_entity=legal_entity, params={"upcoming.BIRTHDAY": "-3"})

    assert (error.value.field, error.value.rule) == ("upcoming.BIRTHDAY", "range")


def test_sort_by_upcoming_date_continues_into_next_year(legal_entity, giulia, today, birthdays):
    """R-BOOK-7: sorted by the next anniversary: this year's remaining dates, then next year's,
    customers without a date last."""
    today(dt.date(2026, 12, 20))
    birthdays(Anna="1980-01-05", Bruno="1975-11-25", Carla="1990-12-25", Dario="1960-12-21")

    assert names(legal_entity, giulia, {"sort": "upcoming.BIRTHDAY"}) == [
        "Dario",
        "Carla",
        "Anna",
        "Bruno",
        "Elena",
    ]


def test_sort_by_upcoming_date_without_a_slot(legal_entity, giulia, today, birthdays):
    """R-BOOK-7: the same order when the date attribute has no filter slot."""
    Attribute.objects.filter(code="BIRTHDAY").update(filter_slot=None)
    today(dt.date(2026, 12, 20))
    birthdays(Anna="1980-01-05", Bruno="1975-11-25", Carla="1990-12-25", Dario="1960-12-21")

    assert names(legal_entity, giulia, {"sort": "upcoming.BIRTHDAY"}) == [
        "Dario",
        "Carla",
        "Anna",
        "Bruno",
        "Elena",
    ]
