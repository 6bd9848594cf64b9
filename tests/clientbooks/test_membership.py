"""Adding and removing customers: one book per worker, one book per customer (R-BOOK-1..3, R-BOOK-10)."""

from __future__ import annotations

import pytest

from clienteling.attributes.models import AttributeValue
from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.models import (
    ClientBook,
    ClientelingParameters,
    Membership,
    MembershipMode,
)
from clienteling.core.errors import Conflict, Invalid, NotFound
from clienteling.customers.models import Customer
from clienteling.timeline import services as timeline_services
from clienteling.timeline.models import Activity, Note
from tests.factories import (
    CustomerFactory,
    StoreFactory,
    WorkerFactory,
    book_add,
)

pytestmark = pytest.mark.django_db


def shared_mode(legal_entity):
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(
        membership_mode=MembershipMode.SHARED
    )


def test_first_add_creates_the_workers_book(legal_entity, giulia, customers):
    """R-BOOK-1: the book is created the first time the worker adds a customer."""
    assert not ClientBook.objects.filter(owner=giulia).exists()

    book_add(giulia, customers[0])

    book = ClientBook.objects.get(owner=giulia)
    assert book.legal_entity == legal_entity
    assert list(book.memberships.values_list("customer", flat=True)) == [customers[0].id]


def test_later_adds_use_the_same_book(legal_entity, giulia, customers):
    """R-BOOK-1: at most one client book per worker and legal entity."""
    book_add(giulia, customers[0])
    book_add(giulia, customers[1], customers[2])

    assert ClientBook.objects.filter(owner=giulia).count() == 1
    assert Membership.objects.filter(book__owner=giulia).count() == 3


def test_worker_of_two_legal_entities_has_one_book_in_each(
    legal_entity, other_legal_entity, other_store, giulia, customers
):
    """R-BOOK-1 / R-ORG-3: a worker employed twice gets one book per legal entity, numbered by
    each legal entity's own sequence."""
    giulia.legal_entities.add(other_legal_entity)
    giulia.stores.add(other_store)
    foreign_customer = CustomerFactory.create(legal_entity=other_legal_entity)

    book_add(giulia, customers[0])
    book_add(giulia, foreign_customer)

    books = ClientBook.objects.filter(owner=giulia).order_by("legal_entity__code")
    assert [(b.legal_entity.code, b.identifier) for b in books] == [
        ("ITJW", "CB-000001"),
        ("LTFA", "CB-000001"),
    ]


def test_adding_customer_in_another_book_is_a_conflict(legal_entity, giulia, marco, customers):
    """R-BOOK-2: exclusive mode refuses a customer who is in another book, naming its owner."""
    book_add(giulia, customers[0])

    with pytest.raises(Conflict) as error:
        book_add(marco, customers[0])

    assert error.value.details["owner"] == "giulia"
    assert error.value.details["customer"] == customers[0].account
    assert error.value.details["book"] == "CB-000001"
    assert "giulia" in str(error.value.message)


def test_conflict_adds_none_of_the_batch(legal_entity, giulia, marco, customers):
    """R-BOOK-2 / R-ERR-2: one conflicting customer refuses the whole batch, and no book is created."""
    book_add(giulia, customers[0])

    with pytest.raises(Conflict):
        book_add(marco, customers[1], customers[0], customers[2])

    assert not Membership.objects.filter(book__owner=marco).exists()
    assert not ClientBook.objects.filter(owner=marco).exists()


def test_adding_a_customer_already_in_own_book_changes_nothing(legal_entity, giulia, customers):
    """R-BOOK-2: adding again is harmless: still one membership."""
    book_add(giulia, customers[0])

    book_add(giulia, customers[0], customers[1])

    assert Membership.objects.filter(customer=customers[0]).count() == 1
    assert Membership.objects.filter(book__owner=giulia).count() == 2


def test_shared_mode_lets_a_customer_be_in_several_books(legal_entity, giulia, marco, customers):
    """R-BOOK-2: in shared mode the second book gets the customer too; the first stays primary."""
    shared_mode(legal_entity)

    book_add(giulia, customers[0])
    book_add(marco, customers[0])

    memberships = Membership.objects.filter(customer=customers[0]).order_by("id")
    assert [(m.book.owner.username, m.is_primary) for m in memberships] == [
        ("giulia", True),
        ("marco", False),
    ]


def test_adding_a_customer_of_another_legal_entity_is_not_found(
    legal_entity, other_legal_entity, giulia
):
    """R-BOOK-2 / R-ORG-1: a foreign customer does not exist for the book."""
    foreign = CustomerFactory.create(legal_entity=other_legal_entity)

    with pytest.raises(NotFound):
        book_add(giulia, foreign, legal_entity=legal_entity)

    assert not Membership.objects.exists()


def test_removing_one_customer_takes_only_that_one(legal_entity, giulia, customers):
    """R-BOOK-3: remove one customer."""
    book_add(giulia, *customers[:3])

    removed = services.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customers[1]]
    )

    assert removed == 1
    remaining = set(Membership.objects.values_list("customer", flat=True))
    assert remaining == {customers[0].id, customers[2].id}


def test_removing_many_customers_at_once(legal_entity, giulia, customers):
    """R-BOOK-3: remove several customers in one step."""
    book_add(giulia, *customers)

    removed = services.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=customers[:4]
    )

    assert removed == 4
    assert list(Membership.objects.values_list("customer", flat=True)) == [customers[4].id]


def test_removing_a_customer_not_in_the_book_removes_nothing(legal_entity, giulia, customers):
    """R-BOOK-3 / R-ERR-2: a customer who is not in the book is refused by name, and the
    others of the batch stay."""
    book_add(giulia, customers[0])

    with pytest.raises(Invalid) as error:
        services.client_book_remove_customers(
            actor=giulia, legal_entity=legal_entity, customers=[customers[0], customers[1]]
        )

    assert error.value.details["customers"] == [customers[1].account]
    assert Membership.objects.filter(customer=customers[0]).exists()


def test_removing_a_customer_from_another_workers_book_is_refused(
    legal_entity, giulia, marco, customers
):
    """R-BOOK-3: an associate removes from their own book only."""
    book_add(giulia, customers[0])

    with pytest.raises(Invalid):
        services.client_book_remove_customers(
            actor=marco, legal_entity=legal_entity, customers=[customers[0]]
        )

    assert Membership.objects.filter(customer=customers[0], book__owner=giulia).exists()


def test_removing_the_primary_book_in_shared_mode_promotes_the_other(
    legal_entity, giulia, marco, customers
):
    """R-BOOK-2 / R-BOOK-3: a customer still in a book always has one primary book."""
    shared_mode(legal_entity)
    book_add(giulia, customers[0])
    book_add(marco, customers[0])

    services.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customers[0]]
    )

    membership = Membership.objects.get(customer=customers[0])
    assert (membership.book.owner.username, membership.is_primary) == ("marco", True)


def test_removed_customer_can_be_added_by_another_associate(legal_entity, giulia, marco, customers):
    """R-BOOK-2 / R-BOOK-3: after removal the customer is free for another book."""
    book_add(giulia, customers[0])
    services.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customers[0]]
    )

    book_add(marco, customers[0])

    assert Membership.objects.get(customer=customers[0]).book.owner == marco


def test_removing_keeps_the_customer_its_values_notes_and_activities(
    legal_entity, giulia, customers, activity_types
):
    """R-BOOK-10: removal deletes the membership only."""
    customer = customers[0]
    book_add(giulia, customer)
    services.customer_attributes_set(
        actor=giulia, customer=customer, values={"PREF_CATEGORY": "Shoes"}
    )
    timeline_services.note_create(actor=giulia, customer=customer, text="Likes red.")
    timeline_services.activity_record(
        actor=giulia, customer=customer, type_code="VISIT", subject="Came by"
    )

    services.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customer]
    )

    assert Customer.objects.filter(pk=customer.pk).exists()
    assert AttributeValue.objects.filter(customer=customer).count() == 1
    assert Note.objects.filter(customer=customer).count() == 1
    assert Activity.objects.filter(customer=customer).count() == 1


def test_customer_books_lists_primary_first(legal_entity, giulia, marco, customers):
    """R-BOOK-2: the customer's details show its books, the primary one first."""
    shared_mode(legal_entity)
    book_add(marco, customers[0])
    book_add(giulia, customers[0])

    books = selectors.customer_books(legal_entity=legal_entity, customer=customers[0])

    assert [(m.book.owner.username, m.is_primary) for m in books] == [
        ("marco", True),
        ("giulia", False),
    ]


def test_worker_not_employed_by_the_legal_entity_cannot_add(
    legal_entity, other_legal_entity, customers
):
    """R-BOOK-2 / R-ORG-1: an associate adds only in a legal entity they work for."""
    outsider = WorkerFactory.create(
        user__username="outsider", stores=[StoreFactory.create(legal_entity=other_legal_entity)]
    )

    with pytest.raises(NotFound):
        book_add(outsider, customers[0], legal_entity=legal_entity)

    assert not ClientBook.objects.filter(owner=outsider).exists()


def test_removing_nothing_from_a_worker_without_a_book_removes_nothing(legal_entity, giulia):
    """R-BOOK-3: an empty selection is a no-op, even before the worker has a book."""
    removed = services.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[]
    )

    assert removed == 0
    assert not ClientBook.objects.filter(owner=giulia).exists()


def test_adding_nothing_creates_no_book(legal_entity, giulia):
    """R-BOOK-1: the book is created by the first customer added, not by an empty add."""
    added = services.client_book_add_customers(
        actor=giulia, legal_entity=legal_entity, customers=[]
    )

    assert added == []
    assert not ClientBook.objects.filter(owner=giulia).exists()
