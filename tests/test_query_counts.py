"""A page costs a fixed number of queries, whatever the number of cards (DESIGN.md,
"Performance habits"): pinned here, counting authentication, for the API's and the store
app's main pages. A change that adds a query to a page shows up here first."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import API, token_for
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db

# The worker's access (legal entities, stores, grants) and HQ's settings (parameters,
# attributes, allowed values) come from the shared cache once warm: a page queries the
# caller (token, or session and login) and its own data.
API_PAGES = {
    # token (with its worker and login), the rows with what their cards show, their
    # attribute values; the API does not count
    "/legal-entities/ITJW/client-book": 3,
    "/legal-entities/ITJW/stores/MI01/client-books": 3,
    # filtered: the page's row ids first, then what they show; no card matches here, so
    # neither that nor values
    "/legal-entities/ITJW/client-book?attr.PREF_CATEGORY=Handbags&sort=upcoming.BIRTHDAY": 2,
    # the token: the rest is the cached access and settings
    "/me": 1,
}
STORE_PAGES = {
    # session (from Redis when there is one), login with its worker, the rows with what
    # their cards show, the count (there is more than a page), their attribute values
    "storeapp:book": 5,
    # the same: the store's associates (the owner filter) are kept with the access
    "storeapp:store_books": 5,
}


@pytest.fixture
def many_cards(legal_entity, giulia, marco):
    """Two books of 60 customers each: more than a page, so a per-card query would show."""
    customers = CustomerFactory.create_batch(120, legal_entity=legal_entity)
    book_add(giulia, *customers[:60])
    book_add(marco, *customers[60:])
    return customers


@pytest.mark.parametrize(("path", "expected"), API_PAGES.items())
def test_api_page_costs_a_fixed_number_of_queries(
    path, expected, giulia, many_cards, django_assert_num_queries
):
    client = Client(headers={"Authorization": f"Bearer {token_for(giulia)}"})
    assert client.get(API + path).status_code == 200  # warms the process-wide caches

    with django_assert_num_queries(expected):
        response = client.get(API + path)

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "expected"), STORE_PAGES.items())
def test_store_page_costs_a_fixed_number_of_queries(
    name, expected, client, giulia, many_cards, django_assert_num_queries
):
    client.force_login(giulia.user)
    assert client.get(reverse(name)).status_code == 200

    with django_assert_num_queries(expected):
        response = client.get(reverse(name))

    assert response.status_code == 200
    assert response.content.decode().count('class="card') >= 50


def test_customer_page_costs_a_fixed_number_of_queries(
    client, giulia, many_cards, activity_types, django_assert_num_queries
):
    customer = many_cards[0]
    client.force_login(giulia.user)
    url = reverse("storeapp:customer", args=[customer.account])
    assert client.get(url).status_code == 200

    # Session, login with its worker, customer, memberships, attribute values, the timeline
    # (3), the purchase summary (2) and the first page of the purchase history.
    with django_assert_num_queries(11):
        response = client.get(url)

    assert customer.display_name in response.content.decode()
