"""The clienteling switch per legal entity (R-FEAT-1)."""

from __future__ import annotations

import pytest

from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.models import ClientelingParameters, Membership
from clienteling.core.errors import FeatureDisabled
from clienteling.organization.access import scope_of
from tests.factories import book_add

pytestmark = pytest.mark.django_db


def switch(legal_entity, enabled: bool) -> None:
    services.clienteling_parameters_update(legal_entity=legal_entity, enabled=enabled)


OPERATIONS = {
    "view_own_client_book": lambda le, w, store, c, other: selectors.client_book_cards(
        actor=w, legal_entity=le
    ),
    "view_store_client_books": lambda le, w, store, c, other: selectors.store_client_book_cards(
        actor=w, legal_entity=le, store=store
    ),
    "add_customer_to_client_book": lambda le, w, store, c, other: (
        services.client_book_add_customers(actor=w, legal_entity=le, customers=[c])
    ),
    "remove_customers_from_client_book": lambda le, w, store, c, other: (
        services.client_book_remove_customers(actor=w, legal_entity=le, customers=[c])
    ),
    "reassign_customers": lambda le, w, store, c, other: services.customers_reassign(
        actor=w, legal_entity=le, customers=[c], to_worker=other
    ),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_client_book_operation_is_unavailable_when_switched_off(
    operation, legal_entity, store, manager, marco, customers
):
    """R-FEAT-1: with the switch off each operation raises FeatureDisabled naming the switch."""
    book_add(manager, customers[0])
    switch(legal_entity, False)

    with pytest.raises(FeatureDisabled) as error:
        OPERATIONS[operation](legal_entity, manager, store, customers[0], marco)

    assert error.value.details["switch"] == "clienteling_enabled"
    assert error.value.details["legal_entity"] == "ITJW"


def test_legal_entity_never_configured_is_switched_off(other_legal_entity, rasa):
    """R-FEAT-1: without parameters the feature is off (the default)."""
    ClientelingParameters.objects.filter(legal_entity=other_legal_entity).delete()

    with pytest.raises(FeatureDisabled):
        selectors.require_enabled(scope_of(rasa, other_legal_entity))


def test_switching_off_deletes_nothing_and_on_again_shows_the_book(legal_entity, giulia, customers):
    """R-FEAT-1, R-DIST-1: turning the switch off keeps every book and membership, and either
    change is in force at the next request."""
    book_add(giulia, *customers[:3])

    switch(legal_entity, False)
    assert Membership.objects.filter(book__owner=giulia).count() == 3
    with pytest.raises(FeatureDisabled):
        selectors.client_book_cards(actor=giulia, legal_entity=legal_entity)
    switch(legal_entity, True)

    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity)
    assert len(page.items) == 3


def test_switch_is_per_legal_entity(legal_entity, other_legal_entity, rasa, giulia, customers):
    """R-FEAT-1: switching one legal entity off leaves the other working."""
    switch(other_legal_entity, False)

    book_add(giulia, customers[0])

    assert Membership.objects.filter(book__owner=giulia).count() == 1
    with pytest.raises(FeatureDisabled):
        selectors.client_book_cards(actor=rasa, legal_entity=other_legal_entity)
