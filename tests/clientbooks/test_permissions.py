"""Five separately grantable operations, and the customer-details grant (R-PERM-1..3)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.models import Membership
from clienteling.core.errors import Forbidden, NotFound
from clienteling.organization.access import Operation, granted_operations
from clienteling.timeline import selectors as timeline_selectors
from clienteling.timeline import services as timeline_services
from tests.factories import ALL_OPERATIONS, StoreFactory, WorkerFactory, book_add

pytestmark = pytest.mark.django_db

FIVE = [
    Operation.VIEW_OWN_BOOK,
    Operation.VIEW_STORE_BOOKS,
    Operation.ADD_CUSTOMER,
    Operation.REMOVE_CUSTOMERS,
    Operation.REASSIGN_CUSTOMERS,
]


def perform(operation, *, actor, legal_entity, store, customer, target):
    if operation is Operation.VIEW_OWN_BOOK:
        return selectors.client_book_cards(actor=actor, legal_entity=legal_entity)
    if operation is Operation.VIEW_STORE_BOOKS:
        return selectors.store_client_book_cards(
            actor=actor, legal_entity=legal_entity, store=store
        )
    if operation is Operation.ADD_CUSTOMER:
        return services.client_book_add_customers(
            actor=actor, legal_entity=legal_entity, customers=[customer]
        )
    if operation is Operation.REMOVE_CUSTOMERS:
        return services.client_book_remove_customers(
            actor=actor, legal_entity=legal_entity, customers=[customer]
        )
    return services.customers_reassign(
        actor=actor, legal_entity=legal_entity, customers=[customer], to_worker=target
    )


@pytest.mark.parametrize("operation", FIVE, ids=lambda op: op.api_name)
def test_worker_without_any_grant_is_refused_each_operation(
    operation, legal_entity, store, giulia, marco, customers
):
    """R-PERM-2: without the grant the operation is Forbidden, naming the operation."""
    book_add(giulia, customers[0])
    nobody = WorkerFactory.create(user__username="nobody", stores=[store], operations=[])

    with pytest.raises(Forbidden) as error:
        perform(
            operation,
            actor=nobody,
            legal_entity=legal_entity,
            store=store,
            customer=customers[0],
            target=marco,
        )

    assert error.value.details["operation"] == operation.api_name
    assert Membership.objects.get(customer=customers[0]).book.owner == giulia


@pytest.mark.parametrize("operation", FIVE, ids=lambda op: op.api_name)
def test_each_operation_needs_its_own_grant(operation, legal_entity, store, marco, customers):
    """R-PERM-1: granting the four other operations does not grant this one."""
    others = [op for op in ALL_OPERATIONS if op is not operation]
    actor = WorkerFactory.create(user__username="almost", stores=[store], operations=others)

    with pytest.raises(Forbidden) as error:
        perform(
            operation,
            actor=actor,
            legal_entity=legal_entity,
            store=store,
            customer=customers[0],
            target=marco,
        )

    assert error.value.operation == operation.api_name


@pytest.mark.parametrize("operation", FIVE, ids=lambda op: op.api_name)
def test_granted_operation_succeeds(operation, legal_entity, store, marco, customers):
    """R-PERM-1: the single grant is enough for its operation."""
    actor = WorkerFactory.create(user__username="single", stores=[store], operations=[operation])
    if operation is Operation.REASSIGN_CUSTOMERS:
        adder = WorkerFactory.create(
            user__username="adder", stores=[store], operations=ALL_OPERATIONS
        )
        book_add(adder, customers[0])
    if operation is Operation.REMOVE_CUSTOMERS:
        # Put in the actor's own book while they may add, then leave them the one grant.
        can_add = Permission.objects.get(
            content_type__app_label="clientbooks", codename="add_customer_to_client_book"
        )
        actor.user.user_permissions.add(can_add)
        book_add(actor, customers[0])
        actor.user.user_permissions.remove(can_add)

    perform(
        operation,
        actor=actor,
        legal_entity=legal_entity,
        store=store,
        customer=customers[0],
        target=marco,
    )

    assert operation.api_name in granted_operations(actor)


def test_granted_operations_lists_exactly_the_grants(legal_entity, store):
    """R-PERM-1: the worker's operations are what HQ granted, each separately."""
    actor = WorkerFactory.create(
        stores=[store], operations=[Operation.VIEW_OWN_BOOK, Operation.REASSIGN_CUSTOMERS]
    )

    assert granted_operations(actor) == ["view_own_client_book", "reassign_customers"]


def test_inactive_login_is_granted_nothing(legal_entity, store):
    """R-PERM-1: a deactivated user keeps no operation."""
    actor = WorkerFactory.create(stores=[store], operations=ALL_OPERATIONS)
    actor.user.is_active = False
    actor.user.save()

    assert granted_operations(actor) == []


def test_store_the_worker_is_not_assigned_to_is_not_found(legal_entity, giulia):
    """R-PERM-2: a store the caller may not see is not found, never shown."""
    elsewhere = StoreFactory.create(legal_entity=legal_entity, code="RM01")

    with pytest.raises(NotFound):
        selectors.store_client_book_cards(actor=giulia, legal_entity=legal_entity, store=elsewhere)


def test_store_of_another_legal_entity_is_not_found(legal_entity, other_store, manager):
    """R-PERM-2: a foreign store is not found even if passed under one's own legal entity."""
    with pytest.raises(NotFound):
        selectors.store_client_book_cards(
            actor=manager, legal_entity=legal_entity, store=other_store
        )


def test_customer_service_reads_notes_and_activities(legal_entity, giulia, carla, customers):
    """R-PERM-3: the customer-details grant alone reads notes and activities of any customer."""
    timeline_services.note_create(actor=giulia, customer=customers[0], text="Prefers mornings")

    page = timeline_selectors.timeline(actor=carla, customer=customers[0])

    assert [entry.kind for entry in page.items] == ["note"]


def test_customer_service_has_no_client_book_operation(legal_entity, carla):
    """R-PERM-3: reading details is a separate grant that gives no client book operation."""
    with pytest.raises(Forbidden) as error:
        selectors.client_book_cards(actor=carla, legal_entity=legal_entity)

    assert error.value.operation == "view_own_client_book"


def test_client_book_grants_do_not_include_reading_customer_details(legal_entity, store, customers):
    """R-PERM-3: all five operations without the details grant cannot read the timeline."""
    actor = WorkerFactory.create(stores=[store], operations=FIVE)

    with pytest.raises(Forbidden) as error:
        timeline_selectors.timeline(actor=actor, customer=customers[0])

    assert error.value.operation == "read_customer_details"
