"""Legal entities partition the data; stores, address books and workers (R-ORG-1..R-ORG-3)."""

from __future__ import annotations

import pytest

from clienteling.clientbooks import selectors as book_selectors
from clienteling.clientbooks import services
from clienteling.core.errors import Forbidden, NotFound
from clienteling.customers import selectors as customer_selectors
from clienteling.customers.selectors import SearchScope
from clienteling.organization import access, selectors
from tests.factories import (
    AddressBookFactory,
    CustomerFactory,
    StoreFactory,
    UserFactory,
    WorkerFactory,
    book_add,
)

pytestmark = pytest.mark.django_db


def test_worker_sees_only_the_legal_entities_they_work_for(
    legal_entity, other_legal_entity, giulia
):
    """R-ORG-1: the legal entities offered to a worker are their employers."""
    assert [le.code for le in access.employers(giulia)] == ["ITJW"]


def test_legal_entity_not_worked_for_is_not_found(legal_entity, other_legal_entity, giulia):
    """R-ORG-1: another legal entity is not found, never hinted at."""
    with pytest.raises(NotFound):
        access.scope_for_code(giulia, "LTFA")


def test_worker_of_another_legal_entity_sees_no_cards(legal_entity, giulia, rasa, customers):
    """R-ORG-1: a foreign worker cannot read ITJW's client books, whatever their grants."""
    book_add(giulia, *customers)

    with pytest.raises(NotFound):
        book_selectors.client_book_cards(actor=rasa, legal_entity=legal_entity)


def test_worker_of_another_legal_entity_sees_no_store_cards(
    legal_entity, store, giulia, rasa, customers
):
    """R-ORG-1: nor the store client books of ITJW's stores."""
    book_add(giulia, *customers)

    with pytest.raises(NotFound):
        book_selectors.store_client_book_cards(actor=rasa, legal_entity=legal_entity, store=store)


def test_worker_of_another_legal_entity_cannot_search_its_customers(
    legal_entity, store, rasa, customers
):
    """R-ORG-1: search in a foreign legal entity is not found."""
    scope = SearchScope(legal_entity=legal_entity, store=None, all_stores=True)

    with pytest.raises(NotFound):
        customer_selectors.customer_search(actor=rasa, scope=scope, query=customers[0].last_name)


def test_worker_of_another_legal_entity_cannot_read_customer_details(legal_entity, rasa, customers):
    """R-ORG-1: a foreign customer's details are not found."""
    with pytest.raises(NotFound):
        customer_selectors.customer_get(
            actor=rasa, legal_entity=legal_entity, account=customers[0].account
        )


def test_worker_of_another_legal_entity_cannot_set_attribute_values(legal_entity, rasa, customers):
    """R-ORG-1: nor change a foreign customer's values."""
    with pytest.raises(NotFound):
        services.customer_attributes_set(
            actor=rasa, customer=customers[0], values={"PREF_CATEGORY": "Shoes"}
        )


def test_worker_of_another_legal_entity_cannot_reassign(legal_entity, giulia, rasa, customers):
    """R-ORG-1: nor move customers between ITJW's books."""
    book_add(giulia, customers[0])

    with pytest.raises(NotFound):
        services.customers_reassign(
            actor=rasa, legal_entity=legal_entity, customers=[customers[0]], to_worker=rasa
        )


def test_customer_accounts_are_looked_up_within_the_legal_entity(
    legal_entity, other_legal_entity, giulia
):
    """R-ORG-1 / R-ORG-4: an account of another legal entity is not found in this one."""
    CustomerFactory.create(legal_entity=other_legal_entity, account="ONLYLT")

    with pytest.raises(NotFound) as error:
        book_selectors.customers_by_accounts(
            actor=giulia, legal_entity=legal_entity, accounts=["ONLYLT"]
        )

    assert error.value.details["customers"] == ["ONLYLT"]


def test_store_belongs_to_one_legal_entity_and_several_address_books(legal_entity):
    """R-ORG-2: a store of one legal entity linked to one or more address books."""
    books = AddressBookFactory.create_batch(2, legal_entity=legal_entity)

    store = StoreFactory.create(legal_entity=legal_entity, address_books=books)

    assert store.legal_entity == legal_entity
    assert set(store.address_books.all()) == set(books)


def test_store_is_found_only_where_the_worker_is_assigned(legal_entity, store, giulia):
    """R-ORG-2 / R-ORG-3: a scope finds the worker's own stores only."""
    rome = StoreFactory.create(legal_entity=legal_entity, code="RM01")

    assert access.scope_of(giulia, legal_entity).store("MI01") == store
    with pytest.raises(NotFound):
        access.scope_of(giulia, legal_entity).store(rome.code)


def test_worker_employed_by_two_legal_entities_sees_both(legal_entity, other_legal_entity, giulia):
    """R-ORG-3: a worker may work for more than one legal entity."""
    giulia.legal_entities.add(other_legal_entity)

    assert [le.code for le in access.employers(giulia)] == ["ITJW", "LTFA"]


def test_login_without_a_worker_may_do_nothing(db):
    """R-ORG-3: a worker is a person with a login; a bare login is refused."""
    user = UserFactory.create()

    with pytest.raises(Forbidden):
        access.worker_for_user(user)


def test_worker_is_found_by_username_within_the_legal_entity(
    legal_entity, other_legal_entity, giulia, rasa
):
    """R-ORG-3: worker_get finds workers employed by the legal entity only."""
    assert selectors.worker_get(legal_entity=legal_entity, username="giulia") == giulia
    with pytest.raises(NotFound):
        selectors.worker_get(legal_entity=legal_entity, username="rasa")


def test_inactive_worker_is_not_found_as_a_reassign_target(legal_entity, giulia):
    """R-ORG-3: a worker whose login is deactivated is not offered."""
    leaver = WorkerFactory.create(user__username="leaver", legal_entity=legal_entity)
    leaver.user.is_active = False
    leaver.user.save()

    with pytest.raises(NotFound):
        selectors.worker_get(legal_entity=legal_entity, username="leaver")


@pytest.mark.parametrize("currency", ["eur", "EU1", "EÜR", "EU", "EURO", ""])
def test_the_database_refuses_a_legal_entity_currency_not_shaped_as_a_code(currency):
    """The currency's CHECK holds for a write that bypasses the form; three capitals pass."""
    from django.db import DataError, IntegrityError, transaction

    from clienteling.organization.models import LegalEntity

    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        LegalEntity.objects.create(code="LEX", name="Checked", currency=currency)
    assert LegalEntity.objects.create(code="LEY", name="Checked", currency="CHF").currency == "CHF"
