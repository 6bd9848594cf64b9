"""The card rows stay in step with the data they copy, in the same transaction
(R-BOOK-7, R-BOOK-9, R-ATTR-4, R-ATTR-5)."""

from __future__ import annotations

import pytest

from clienteling.attributes.models import Attribute
from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.core.errors import Invalid
from clienteling.customers.services import customer_update
from tests.factories import StoreFactory, book_add, refinable_attribute

pytestmark = pytest.mark.django_db


def book_accounts(legal_entity, actor, params) -> list[str]:
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
    page = selectors.client_book_cards(
        actor=actor, legal_entity=legal_entity, card_filter=card_filter, limit=200
    )
    return [card.account for card in page.items]


def store_accounts(legal_entity, actor, store, params) -> list[str]:
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
    page = selectors.store_client_book_cards(
        actor=actor, legal_entity=legal_entity, store=store, card_filter=card_filter, limit=200
    )
    return [card.account for card in page.items]


def test_renamed_customer_is_found_and_sorted_by_the_new_name(
    legal_entity, store, giulia, customers
):
    """R-BOOK-7: customer_update refreshes search text and sort name of book and store rows."""
    book_add(giulia, *customers[:3])

    customer_update(customer=customers[2], first_name="Aaron", last_name="Aardvark")

    assert book_accounts(legal_entity, giulia, {"q": "aardvark"}) == [customers[2].account]
    assert book_accounts(legal_entity, giulia, {})[0] == customers[2].account
    assert store_accounts(legal_entity, giulia, store, {"q": "aardvark"}) == [customers[2].account]
    assert Membership.objects.get(customer=customers[2]).sort_name == "aardvark aaron"


def test_changed_phone_is_found_by_its_new_digits(legal_entity, giulia, customers):
    """R-BOOK-7: the new phone number is searchable at once."""
    book_add(giulia, customers[0])

    customer_update(customer=customers[0], phone="+39 333 777 8888")

    assert book_accounts(legal_entity, giulia, {"q": "3337778888"}) == [customers[0].account]


def test_set_value_is_filterable_in_book_and_store(legal_entity, store, giulia, customers):
    """R-ATTR-4 / R-BOOK-7: customer_attributes_set updates the typed slots of every card row."""
    book_add(giulia, *customers[:2])

    services.customer_attributes_set(
        actor=giulia, customer=customers[1], values={"PREF_CATEGORY": "Jewellery"}
    )

    params = {"attr.PREF_CATEGORY": "Jewellery"}
    assert book_accounts(legal_entity, giulia, params) == [customers[1].account]
    assert store_accounts(legal_entity, giulia, store, params) == [customers[1].account]


def test_cleared_value_no_longer_matches(legal_entity, store, giulia, customers):
    """R-ATTR-4 / R-BOOK-7: clearing a value clears its slot too."""
    book_add(giulia, customers[0])
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"PREF_CATEGORY": "Shoes"}
    )

    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"PREF_CATEGORY": None}
    )

    params = {"attr.PREF_CATEGORY": "Shoes"}
    assert book_accounts(legal_entity, giulia, params) == []
    assert store_accounts(legal_entity, giulia, store, params) == []


def test_values_set_before_adding_are_on_the_new_card_row(legal_entity, store, giulia, customers):
    """R-BOOK-7: adding a customer copies its existing values onto the card rows."""
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"FAV_BRAND": "Bulgari"}
    )

    book_add(giulia, customers[0])

    assert book_accounts(legal_entity, giulia, {"attr.FAV_BRAND": "bulgari"}) == [
        customers[0].account
    ]
    assert store_accounts(legal_entity, giulia, store, {"attr.FAV_BRAND": "bulgari"}) == [
        customers[0].account
    ]


def test_attribute_made_refinable_gets_a_slot_and_filters(legal_entity, giulia, customers):
    """R-ATTR-5: after attribute_slots_sync a newly refinable attribute filters the book, with
    values set before it became refinable."""
    book_add(giulia, *customers[:2])
    services.customer_attributes_set(actor=giulia, customer=customers[0], values={"RING_SIZE": 52})
    services.customer_attributes_set(actor=giulia, customer=customers[1], values={"RING_SIZE": 60})
    Attribute.objects.filter(code="RING_SIZE").update(can_be_refined=True)

    services.attribute_slots_sync()

    slot = Attribute.objects.get(code="RING_SIZE").filter_slot
    assert slot is not None and slot.startswith("number_")
    assert book_accounts(legal_entity, giulia, {"attr.RING_SIZE.max": "55"}) == [
        customers[0].account
    ]


def test_attribute_no_longer_refinable_frees_its_slot_and_column(legal_entity, giulia, customers):
    """R-ATTR-5: a de-flagged attribute (attribute_save, then attribute_slots_sync) stops filtering and its card column is cleared."""
    book_add(giulia, customers[0])
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"FAV_BRAND": "Gucci"}
    )
    slot = Attribute.objects.get(code="FAV_BRAND").filter_slot
    assert slot is not None
    brand = Attribute.objects.get(code="FAV_BRAND")
    brand.can_be_refined = False

    services.attribute_save(attribute=brand)

    assert Attribute.objects.get(code="FAV_BRAND").filter_slot is None
    assert getattr(Membership.objects.get(customer=customers[0]), slot) is None
    with pytest.raises(Invalid):
        book_accounts(legal_entity, giulia, {"attr.FAV_BRAND": "Gucci"})


def test_freed_slot_reused_by_another_attribute_carries_only_its_values(
    legal_entity, giulia, customers
):
    """R-BOOK-7: when one attribute gives up a slot and another takes it, no old value leaks."""
    book_add(giulia, *customers[:2])
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"FAV_BRAND": "Gucci"}
    )
    brand = Attribute.objects.get(code="FAV_BRAND")
    freed = brand.filter_slot
    brand.can_be_refined = False
    services.attribute_save(attribute=brand)

    nickname = refinable_attribute("NICKNAME", "text", display_order=20)
    services.customer_attributes_set(
        actor=giulia, customer=customers[1], values={"NICKNAME": "gucci"}
    )

    assert nickname.filter_slot == freed
    assert book_accounts(legal_entity, giulia, {"attr.NICKNAME": "gucci"}) == [customers[1].account]


def test_worker_joining_a_stores_address_book_shows_in_that_store(
    legal_entity, store, giulia, customers
):
    """R-BOOK-9: after store_visibility_sync the worker's book shows in the new store."""
    rome = StoreFactory.create(legal_entity=legal_entity, code="RM01")
    giulia.stores.add(rome)
    book_add(giulia, *customers[:2])
    assert store_accounts(legal_entity, giulia, rome, {}) == []

    giulia.address_books.add(*rome.address_books.all())
    services.store_visibility_sync(owners=[giulia])

    assert sorted(store_accounts(legal_entity, giulia, rome, {})) == sorted(
        c.account for c in customers[:2]
    )


def test_worker_leaving_an_address_book_disappears_from_that_store(
    legal_entity, store, giulia, marco, customers
):
    """R-BOOK-9: after store_visibility_sync the old store no longer shows the book."""
    book_add(marco, customers[0])

    marco.address_books.clear()
    services.store_visibility_sync(owners=[marco])

    assert store_accounts(legal_entity, giulia, store, {}) == []
    assert not StoreEntry.objects.filter(owner=marco).exists()
    assert Membership.objects.filter(book__owner=marco).count() == 1


def test_store_rows_keep_the_values_after_visibility_sync(legal_entity, store, giulia, customers):
    """R-BOOK-9: rebuilt store rows still carry the filter slots."""
    book_add(giulia, customers[0])
    services.customer_attributes_set(
        actor=giulia, customer=customers[0], values={"PREF_CATEGORY": "Shoes"}
    )

    services.store_visibility_sync(owners=[giulia])

    assert store_accounts(legal_entity, giulia, store, {"attr.PREF_CATEGORY": "Shoes"}) == [
        customers[0].account
    ]
