"""R-SEC-4: a manager moves only customers that their store's client books view shows, and
only to an associate of that store who may hold a client book; in the service, the API and
the store app alike. A refused move moves nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clienteling.clientbooks import services
from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.core.errors import Invalid, NotFound
from tests.factories import book_add

pytestmark = pytest.mark.django_db


def owners(customers):
    return dict(
        Membership.objects.filter(customer__in=customers).values_list(
            "customer__account", "book__owner__user__username"
        )
    )


def test_a_customer_of_a_book_the_store_does_not_show_is_not_found(
    legal_entity, manager, giulia, paolo, customers
):
    book_add(paolo, customers[0])

    with pytest.raises(NotFound) as error:
        services.customers_reassign(
            actor=manager, legal_entity=legal_entity, customers=[customers[0]], to_worker=giulia
        )

    assert error.value.details["customers"] == [customers[0].account]
    assert owners(customers[:1]) == {customers[0].account: "paolo"}


def test_a_whole_book_the_store_does_not_show_does_not_move(
    legal_entity, manager, giulia, paolo, customers
):
    book_add(paolo, *customers[:3])

    with pytest.raises(NotFound):
        services.customers_reassign(
            actor=manager,
            legal_entity=legal_entity,
            customers=None,
            from_worker=paolo,
            to_worker=giulia,
        )

    assert set(owners(customers[:3]).values()) == {"paolo"}


def test_an_associate_of_another_store_cannot_receive(
    legal_entity, manager, giulia, paolo, customers
):
    book_add(giulia, customers[0])

    with pytest.raises(NotFound) as error:
        services.customers_reassign(
            actor=manager, legal_entity=legal_entity, customers=[customers[0]], to_worker=paolo
        )

    assert error.value.field == "to_worker"
    assert owners(customers[:1]) == {customers[0].account: "giulia"}


def test_a_worker_without_the_client_book_grant_cannot_receive(
    legal_entity, manager, giulia, clerk, customers
):
    book_add(giulia, customers[0])

    with pytest.raises(Invalid) as error:
        services.customers_reassign(
            actor=manager, legal_entity=legal_entity, customers=[customers[0]], to_worker=clerk
        )

    assert (error.value.field, error.value.rule) == ("to_worker", "no_client_book_grant")
    assert owners(customers[:1]) == {customers[0].account: "giulia"}
    assert not Membership.objects.filter(book__owner=clerk).exists()


def test_a_store_the_manager_does_not_work_in_is_not_found(
    legal_entity, manager, giulia, rome, customers
):
    book_add(giulia, customers[0])

    with pytest.raises(NotFound) as error:
        services.customers_reassign(
            actor=manager,
            legal_entity=legal_entity,
            customers=[customers[0]],
            to_worker=giulia,
            store=rome,
        )

    assert error.value.field == "store"


def test_within_the_store_the_move_happens(legal_entity, manager, giulia, marco, customers):
    book_add(marco, *customers[:2])

    moved = services.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=customers[:2], to_worker=giulia
    )

    assert moved == 2
    assert set(owners(customers[:2]).values()) == {"giulia"}
    assert StoreEntry.objects.filter(customer__in=customers[:2], owner=giulia).count() == 2


def test_store_app_refuses_a_customer_the_store_does_not_show(
    client, legal_entity, manager, giulia, paolo, customers
):
    book_add(paolo, customers[0])
    client.force_login(manager.user)

    response = client.post(
        reverse("storeapp:reassign"),
        {"customers": [customers[0].account], "to_worker": "giulia", "confirm": "yes"},
    )

    assert response.status_code == 404
    assert owners(customers[:1]) == {customers[0].account: "paolo"}


def test_store_app_offers_and_accepts_only_associates_who_may_hold_a_book(
    client, legal_entity, manager, giulia, clerk, customers
):
    book_add(giulia, customers[0])
    client.force_login(manager.user)

    confirm = client.get(reverse("storeapp:reassign"), {"customers": [customers[0].account]})
    refused = client.post(
        reverse("storeapp:reassign"),
        {"customers": [customers[0].account], "to_worker": "clerk", "confirm": "yes"},
    )

    assert 'value="clerk"' not in confirm.content.decode()
    assert refused.status_code == 422
    assert owners(customers[:1]) == {customers[0].account: "giulia"}
