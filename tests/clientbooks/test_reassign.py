"""Reassigning customers between books, all or nothing (R-BOOK-4, R-BOOK-10)."""

from __future__ import annotations

import pytest

from clienteling.attributes.models import AttributeValue
from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.models import ClientelingParameters, Membership, MembershipMode
from clienteling.core.errors import Invalid, NotFound
from clienteling.customers.models import Customer
from clienteling.timeline import services as timeline_services
from clienteling.timeline.models import Note
from tests.factories import CustomerFactory, StoreFactory, WorkerFactory, book_add

pytestmark = pytest.mark.django_db


def owners_of(customers):
    return {
        m.customer_id: m.book.owner.username
        for m in Membership.objects.filter(customer__in=customers).select_related("book__owner")
    }


def test_reassigning_moves_the_customers_to_the_target_book(
    legal_entity, giulia, marco, manager, customers
):
    """R-BOOK-4: selected customers move from one associate's book to another's."""
    book_add(giulia, *customers[:3])

    moved = services.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=customers[:2], to_worker=marco
    )

    assert moved == 2
    assert owners_of(customers[:3]) == {
        customers[0].id: "marco",
        customers[1].id: "marco",
        customers[2].id: "giulia",
    }


def test_reassigning_a_whole_book_empties_the_source(
    legal_entity, giulia, marco, manager, customers
):
    """R-BOOK-4: with no customers named, the whole book of the leaving associate moves."""
    book_add(giulia, *customers)

    moved = services.customers_reassign(
        actor=manager,
        legal_entity=legal_entity,
        customers=None,
        to_worker=marco,
        from_worker=giulia,
    )

    assert moved == 5
    assert set(owners_of(customers).values()) == {"marco"}
    assert not Membership.objects.filter(book__owner=giulia).exists()


def test_reassigning_creates_the_target_book_when_it_has_none(
    legal_entity, giulia, marco, manager, customers
):
    """R-BOOK-4 / R-BOOK-1: the target's book is created with the next identifier."""
    book_add(giulia, customers[0])

    services.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=[customers[0]], to_worker=marco
    )

    book = selectors.client_book_find(legal_entity=legal_entity, owner=marco)
    assert book is not None and book.identifier == "CB-000002"


def test_reassign_to_a_worker_without_access_moves_nothing(
    legal_entity, other_legal_entity, giulia, manager, customers
):
    """R-BOOK-4: a target who does not work for the legal entity is not found; nothing moves."""
    stranger = WorkerFactory.create(stores=[StoreFactory.create(legal_entity=other_legal_entity)])
    book_add(giulia, *customers[:3])

    with pytest.raises(NotFound):
        services.customers_reassign(
            actor=manager, legal_entity=legal_entity, customers=customers[:3], to_worker=stranger
        )

    assert set(owners_of(customers[:3]).values()) == {"giulia"}


def test_reassign_with_one_customer_not_in_a_book_moves_nothing(
    legal_entity, giulia, marco, manager, customers
):
    """R-BOOK-4: one customer that cannot move refuses the batch, naming it."""
    book_add(giulia, *customers[:3])

    with pytest.raises(Invalid) as error:
        services.customers_reassign(
            actor=manager, legal_entity=legal_entity, customers=customers[:4], to_worker=marco
        )

    assert error.value.details["customers"] == [customers[3].account]
    assert set(owners_of(customers[:3]).values()) == {"giulia"}


def test_reassign_with_one_customer_outside_the_legal_entity_moves_nothing(
    legal_entity, other_legal_entity, giulia, marco, manager, customers
):
    """R-BOOK-4 / R-ORG-1: a customer outside the actor's legal entity is not found; nothing moves."""
    book_add(giulia, *customers[:3])
    foreign = CustomerFactory.create(legal_entity=other_legal_entity)

    with pytest.raises(NotFound):
        services.customers_reassign(
            actor=manager,
            legal_entity=legal_entity,
            customers=[*customers[:3], foreign],
            to_worker=marco,
        )

    assert set(owners_of(customers[:3]).values()) == {"giulia"}


def test_reassign_that_fails_half_way_leaves_everything_as_it_was(
    legal_entity, giulia, marco, manager, customers, monkeypatch
):
    """R-BOOK-4 / R-ERR-2: a failure after rows were already moved undoes the whole step."""
    book_add(giulia, *customers)

    def fail(**kwargs):
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr(timeline_services, "book_events_record", fail)

    with pytest.raises(RuntimeError):
        services.customers_reassign(
            actor=manager, legal_entity=legal_entity, customers=customers, to_worker=marco
        )

    assert set(owners_of(customers).values()) == {"giulia"}
    assert not Membership.objects.filter(book__owner=marco).exists()
    store_page = selectors.store_client_book_cards(
        actor=manager, legal_entity=legal_entity, store=manager.stores.get()
    )
    assert {card.book.owner if card.book else None for card in store_page.items} == {"giulia"}


def test_reassigning_updates_the_store_view_owner(
    legal_entity, store, giulia, marco, manager, customers
):
    """R-BOOK-4 / R-BOOK-9: the store view shows the new owner at once."""
    book_add(giulia, *customers[:2])

    services.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=customers[:2], to_worker=marco
    )

    page = selectors.store_client_book_cards(actor=manager, legal_entity=legal_entity, store=store)
    assert sorted((c.account, c.book.owner if c.book else None) for c in page.items) == sorted(
        (c.account, "marco") for c in customers[:2]
    )


def test_reassigning_keeps_customer_data(legal_entity, giulia, marco, manager, customers):
    """R-BOOK-10: reassigning never deletes the customer, its values or its notes."""
    customer = customers[0]
    book_add(giulia, customer)
    services.customer_attributes_set(
        actor=giulia, customer=customer, values={"BIRTHDAY": "1980-05-04"}
    )
    timeline_services.note_create(actor=giulia, customer=customer, text="VIP")

    services.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=[customer], to_worker=marco
    )

    assert Customer.objects.filter(pk=customer.pk).exists()
    assert AttributeValue.objects.filter(customer=customer).count() == 1
    assert Note.objects.filter(customer=customer).count() == 1


def test_reassign_in_shared_mode_to_a_book_that_has_the_customer_keeps_one_primary(
    legal_entity, giulia, marco, manager, customers
):
    """R-BOOK-4 / R-BOOK-2: moving a primary customer into a book that already holds it leaves
    one membership, primary, in the target."""
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(
        membership_mode=MembershipMode.SHARED
    )
    book_add(giulia, customers[0])
    book_add(marco, customers[0])

    services.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=[customers[0]], to_worker=marco
    )

    memberships = list(Membership.objects.filter(customer=customers[0]))
    assert [(m.book.owner.username, m.is_primary) for m in memberships] == [("marco", True)]


def test_reassigning_nothing_creates_no_book_for_the_target(legal_entity, marco, manager):
    """R-BOOK-4 / R-BOOK-1: an empty selection moves nothing and creates no book."""
    moved = services.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=[], to_worker=marco
    )

    assert moved == 0
    assert selectors.client_book_find(legal_entity=legal_entity, owner=marco) is None


def test_reassign_to_a_deactivated_worker_moves_nothing(
    legal_entity, giulia, marco, manager, customers
):
    """R-BOOK-4: an associate who left (login deactivated) cannot receive customers."""
    book_add(giulia, customers[0])
    marco.user.is_active = False
    marco.user.save()

    with pytest.raises(NotFound):
        services.customers_reassign(
            actor=manager, legal_entity=legal_entity, customers=[customers[0]], to_worker=marco
        )

    assert owners_of([customers[0]]) == {customers[0].id: "giulia"}
