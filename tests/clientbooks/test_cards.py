"""The associate's own book as customer cards with exactly three properties (R-BOOK-5, R-BOOK-6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clienteling.attributes.models import AttributeGroupMember
from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.measures import MeasureDefinition, MeasureValue
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db


class FakeMeasures:
    """An analytics service that selects ``codes`` and answers 0.5 for every customer."""

    def __init__(self, codes):
        self.codes = codes

    def selected(self, legal_entity):
        return [MeasureDefinition(code, code.title()) for code in self.codes]

    def values(self, legal_entity, accounts, codes):
        return {
            (account, code): MeasureValue(Decimal("0.5")) for account in accounts for code in codes
        }


def use_measures(monkeypatch, *codes):
    provider = FakeMeasures(codes)
    monkeypatch.setattr(selectors, "measure_provider", lambda: provider)


def test_own_book_shows_only_the_workers_customers(legal_entity, giulia, marco, customers):
    """R-BOOK-5: the view shows the associate's own book."""
    book_add(giulia, *customers[:2])
    book_add(marco, *customers[2:])

    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity)

    assert sorted(c.account for c in page.items) == sorted(c.account for c in customers[:2])


def test_worker_without_a_book_sees_an_empty_page(legal_entity, giulia):
    """R-BOOK-5: no book yet is an empty page, not an error."""
    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity)

    assert (page.items, page.next_cursor, page.total) == ([], None, 0)


def test_card_shows_name_contact_and_book(legal_entity, giulia):
    """R-BOOK-6: name and contact details, and whose book it is."""
    customer = CustomerFactory.create(
        legal_entity=legal_entity,
        first_name="Anna",
        last_name="Rossi",
        email="anna@example.com",
        phone="+39 02 1234",
    )
    book_add(giulia, customer)

    (card,) = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).items

    assert (card.name, card.email, card.phone) == ("Anna Rossi", "anna@example.com", "+39 02 1234")
    assert card.book is not None
    assert (card.book.identifier, card.book.owner) == ("CB-000001", "giulia")


def test_card_without_measures_shows_the_first_three_attributes_in_display_order(
    legal_entity, giulia, customers
):
    """R-BOOK-6: no measures selected: the attributes with display order 1, 2, 3."""
    book_add(giulia, customers[0])

    (card,) = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).items

    assert [p.code for p in card.properties] == ["BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY"]
    assert {p.kind for p in card.properties} == {"attribute"}


def test_card_property_without_value_is_empty(legal_entity, giulia, customers):
    """R-BOOK-6: a missing value shows as empty (None), not as an error."""
    book_add(giulia, customers[0])
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"PREF_CATEGORY": "Shoes"}
    )

    (card,) = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).items

    assert [p.value for p in card.properties] == [None, None, "Shoes"]


def test_card_with_two_measures_shows_them_then_the_first_attribute(
    legal_entity, giulia, customers, monkeypatch
):
    """R-BOOK-6: two measures selected: those two, then the attribute with display order 1."""
    use_measures(monkeypatch, "CHURN", "CLV")
    book_add(giulia, customers[0])
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"BIRTHDAY": "1980-01-02"}
    )

    (card,) = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).items

    assert [(p.code, p.kind) for p in card.properties] == [
        ("CHURN", "measure"),
        ("CLV", "measure"),
        ("BIRTHDAY", "attribute"),
    ]
    assert [p.value for p in card.properties] == [
        Decimal("0.5"),
        Decimal("0.5"),
        dt.date(1980, 1, 2),
    ]


def test_card_with_three_measures_shows_no_attribute(legal_entity, giulia, customers, monkeypatch):
    """R-BOOK-6: three measures fill the card."""
    use_measures(monkeypatch, "A", "B", "C")
    book_add(giulia, customers[0])

    (card,) = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).items

    assert [p.code for p in card.properties] == ["A", "B", "C"]


def test_card_never_shows_more_than_three_properties(legal_entity, giulia, customers, monkeypatch):
    """R-BOOK-6: exactly three, even if a provider offers more measures."""
    use_measures(monkeypatch, "A", "B", "C", "D")
    book_add(giulia, customers[0])

    (card,) = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).items

    assert len(card.properties) == 3


def test_card_follows_a_change_of_display_order(legal_entity, giulia, customers):
    """R-BOOK-6 / R-ATTR-2 / R-DIST-1: HQ reordering the group changes the card at the next
    request, with nothing to distribute."""
    book_add(giulia, customers[0])
    members = AttributeGroupMember.objects.filter(group__code="CLIENTBOOK")
    members.filter(attribute__code="BIRTHDAY").update(display_order=99)
    members.filter(attribute__code="FAV_BRAND").update(display_order=1)

    (card,) = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity).items

    assert [p.code for p in card.properties] == ["FAV_BRAND", "ANNIVERSARY", "PREF_CATEGORY"]


def test_customer_details_show_the_same_three_properties(legal_entity, giulia, customers):
    """R-BOOK-6: the customer's details use the card's properties."""
    properties = selectors.customer_card_properties(
        legal_entity=legal_entity, customer=customers[0]
    )

    assert [p.code for p in properties] == ["BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY"]
