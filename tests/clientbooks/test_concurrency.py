"""Rules that must hold when requests race, with real separate database connections
(R-BOOK-1, R-BOOK-2, R-SEQ-1). Runs on SQLite (WAL, IMMEDIATE transactions) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from clienteling.clientbooks import services
from clienteling.clientbooks.models import ClientBook, Membership, MembershipMode, NumberSequence
from clienteling.core.errors import Conflict
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Worker
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    NumberSequenceFactory,
    StoreFactory,
    WorkerFactory,
    clienteling_setup,
)

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads that start at the same moment, each on its own connection.
    Returns each call's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def setup_entity(mode: str = MembershipMode.EXCLUSIVE) -> tuple[LegalEntity, Worker, Worker]:
    le = LegalEntityFactory.create(code="ITJW")
    clienteling_setup(le, mode=mode)
    store = StoreFactory.create(legal_entity=le)
    giulia = WorkerFactory.create(user__username="giulia", stores=[store])
    marco = WorkerFactory.create(user__username="marco", stores=[store])
    return le, giulia, marco


def add_call(worker_id: int, le_id: int, customer_id: int) -> Callable[[], Any]:
    """A request as a face makes it: it reads its own rows on its own connection."""

    def call() -> Any:
        actor = Worker.objects.select_related("user").get(pk=worker_id)
        legal_entity = LegalEntity.objects.get(pk=le_id)
        customer = Customer.objects.get(pk=customer_id)
        return services.client_book_add_customers(
            actor=actor, legal_entity=legal_entity, customers=[customer]
        )

    return call


def test_two_associates_adding_the_same_customer_at_once_leave_one_membership():
    """R-BOOK-2: in exclusive mode two concurrent adds cannot both win; the loser gets a
    conflict naming the winner."""
    le, giulia, marco = setup_entity()
    # Both books exist already, so the race is on the customer, not on book creation.
    services.client_book_add_customers(
        actor=giulia, legal_entity=le, customers=[CustomerFactory.create(legal_entity=le)]
    )
    services.client_book_add_customers(
        actor=marco, legal_entity=le, customers=[CustomerFactory.create(legal_entity=le)]
    )
    contested = CustomerFactory.create(legal_entity=le)

    results = run_together(
        add_call(giulia.id, le.id, contested.id), add_call(marco.id, le.id, contested.id)
    )

    memberships = list(Membership.objects.filter(customer=contested).select_related("book__owner"))
    assert len(memberships) == 1
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1
    assert conflicts[0].details["owner"] == memberships[0].book.owner.username


def test_two_adds_racing_to_create_their_books_leave_one_membership():
    """R-BOOK-2 / R-SEQ-1: the race also holds while both associates' books are being created."""
    le, giulia, marco = setup_entity()
    contested = CustomerFactory.create(legal_entity=le)

    results = run_together(
        add_call(giulia.id, le.id, contested.id), add_call(marco.id, le.id, contested.id)
    )

    assert Membership.objects.filter(customer=contested).count() == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1


def test_two_adds_in_shared_mode_leave_exactly_one_primary():
    """R-BOOK-2: in shared mode both adds win, and exactly one of the two books is primary."""
    le, giulia, marco = setup_entity(MembershipMode.SHARED)
    contested = CustomerFactory.create(legal_entity=le)

    results = run_together(
        add_call(giulia.id, le.id, contested.id), add_call(marco.id, le.id, contested.id)
    )

    assert not [r for r in results if isinstance(r, Exception)]
    memberships = Membership.objects.filter(customer=contested)
    assert memberships.count() == 2
    assert memberships.filter(is_primary=True).count() == 1


def test_one_associate_adding_twice_at_once_gets_one_book():
    """R-BOOK-1: two first adds of one associate at the same moment create one book."""
    le, giulia, _marco = setup_entity()
    first, second = CustomerFactory.create_batch(2, legal_entity=le)

    results = run_together(
        add_call(giulia.id, le.id, first.id), add_call(giulia.id, le.id, second.id)
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert ClientBook.objects.filter(owner=giulia).count() == 1
    assert Membership.objects.filter(book__owner=giulia).count() == 2


def sequence_calls(sequence_id: int, times: int, *, in_transaction: bool) -> Callable[[], Any]:
    def call() -> list[str]:
        taken = []
        for _ in range(times):
            sequence = NumberSequence.objects.get(pk=sequence_id)
            if in_transaction:
                with transaction.atomic():
                    taken.append(services.number_sequence_next(sequence=sequence))
            else:
                taken.append(services.number_sequence_next(sequence=sequence))
        return taken

    return call


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in_transaction"])
def test_concurrent_sequence_numbers_are_never_duplicated_or_skipped(in_transaction):
    """R-SEQ-1: callers racing on one sequence get distinct, consecutive identifiers."""
    le = LegalEntityFactory.create(code="ITJW")
    sequence = NumberSequenceFactory.create(legal_entity=le, format="CB-######")
    threads, times = 4, 10

    results = run_together(
        *[sequence_calls(sequence.id, times, in_transaction=in_transaction)] * threads
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    taken = [identifier for result in results for identifier in result]
    assert len(taken) == len(set(taken)) == threads * times
    assert sorted(taken) == [f"CB-{n:06d}" for n in range(1, threads * times + 1)]
    sequence.refresh_from_db()
    assert sequence.next_value == threads * times + 1
