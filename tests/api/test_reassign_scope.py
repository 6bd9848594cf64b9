"""R-SEC-4 through the API: a refused reassignment answers in the error shape and moves
nothing (the rule itself: tests/clientbooks/test_reassign_scope.py)."""

from __future__ import annotations

import pytest

from clienteling.clientbooks.models import Membership
from tests.api.conftest import assert_error
from tests.factories import book_add

pytestmark = pytest.mark.django_db


def owners(customers):
    return dict(
        Membership.objects.filter(customer__in=customers).values_list(
            "customer__account", "book__owner__user__username"
        )
    )


def test_api_refuses_a_customer_the_store_does_not_show(
    as_worker, legal_entity, manager, giulia, paolo, customers
):
    book_add(paolo, customers[0])

    response = as_worker(manager).post(
        "/legal-entities/ITJW/client-books/reassign",
        {"customers": [customers[0].account], "to_worker": "giulia"},
    )

    assert_error(response, 404, "not_found", "customers")
    assert owners(customers[:1]) == {customers[0].account: "paolo"}


def test_api_refuses_a_target_without_the_grant(
    as_worker, legal_entity, manager, giulia, clerk, customers
):
    book_add(giulia, customers[0])

    response = as_worker(manager).post(
        "/legal-entities/ITJW/client-books/reassign",
        {"customers": [customers[0].account], "to_worker": "clerk", "store": "MI01"},
    )

    assert_error(response, 422, "invalid", "to_worker")
    assert owners(customers[:1]) == {customers[0].account: "giulia"}
