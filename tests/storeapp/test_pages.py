"""The store app's pages, through Django's test client against the real database."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clienteling.clientbooks import services
from clienteling.clientbooks.models import Membership
from clienteling.clientbooks.services import clienteling_parameters_update
from clienteling.organization.access import Operation
from tests.factories import ASSOCIATE_OPERATIONS, CustomerFactory, StoreFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, giulia):
    client.force_login(giulia.user)
    return client


def test_client_book_shows_the_associates_cards(logged_in, legal_entity, giulia, customers):
    """R-BOOK-5: the associate's own book as cards."""
    services.client_book_add_customers(
        actor=giulia, legal_entity=legal_entity, customers=customers[:3]
    )
    response = logged_in.get(reverse("storeapp:book"))
    assert response.status_code == 200
    body = response.content.decode()
    for customer in customers[:3]:
        assert customer.account in body
    assert customers[3].account not in body
    assert "3 customers" in body


def test_filter_error_is_a_message_not_a_server_error(logged_in, legal_entity, giulia, customers):
    """R-ERR-1: a filter on a non-refinable attribute is refused with a message."""
    response = logged_in.get(reverse("storeapp:book"), {"attr.RING_SIZE": "50"})
    assert response.status_code == 200
    assert "cannot be used to filter" in response.content.decode()


def test_customer_page_adds_to_book_and_refuses_a_customer_of_another_book(
    client, legal_entity, giulia, marco
):
    """R-BOOK-2: adding from the details page; conflict names the owner."""
    customer = CustomerFactory.create(legal_entity=legal_entity)
    services.client_book_add_customers(actor=marco, legal_entity=legal_entity, customers=[customer])
    client.force_login(giulia.user)
    response = client.post(
        reverse("storeapp:customer", args=[customer.account]), {"action": "add"}, follow=True
    )
    assert response.status_code == 200
    assert "marco" in response.content.decode()


def test_attribute_error_is_shown_beside_the_field_and_nothing_is_saved(
    logged_in, legal_entity, giulia
):
    """R-ATTR-4, R-ERR-1: the refusal names the attribute; no value changes."""
    customer = CustomerFactory.create(legal_entity=legal_entity)
    url = reverse("storeapp:customer", args=[customer.account])
    response = logged_in.post(
        url,
        {
            "action": "attributes",
            "attr-PREF_CATEGORY": "Shoes",
            "attr-RING_SIZE": "99",
            "attr-BIRTHDAY": "1980-02-29",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="err-RING_SIZE"' in body
    assert "at most 75" in body
    assert customer.attribute_values.count() == 0


def test_attribute_values_are_saved_and_shown(logged_in, legal_entity, giulia):
    """R-ATTR-4: valid values are stored and shown on the customer's page."""
    customer = CustomerFactory.create(legal_entity=legal_entity)
    url = reverse("storeapp:customer", args=[customer.account])
    response = logged_in.post(
        url, {"action": "attributes", "attr-PREF_CATEGORY": "shoes", "attr-RING_SIZE": "52.5"}
    )
    assert response.status_code == 302
    values = {v.attribute.code: v.value for v in customer.attribute_values.all()}
    assert values["PREF_CATEGORY"] == "Shoes"
    assert str(values["RING_SIZE"]) == "52.500000"


def test_store_books_show_whose_book_each_customer_is_in(
    client, legal_entity, giulia, marco, customers
):
    """R-BOOK-9: the store view is the union of the associates' books, with the owner."""
    services.client_book_add_customers(
        actor=giulia, legal_entity=legal_entity, customers=customers[:2]
    )
    services.client_book_add_customers(
        actor=marco, legal_entity=legal_entity, customers=customers[2:4]
    )
    client.force_login(giulia.user)
    response = client.get(reverse("storeapp:store_books"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "4 customers" in body
    assert body.count("Book of") == 4
    only_marco = client.get(reverse("storeapp:store_books"), {"owner": "marco"}).content.decode()
    assert customers[2].account in only_marco
    assert customers[0].account not in only_marco


def test_store_books_need_the_grant(client, legal_entity, marco):
    """R-PERM-2: without the grant the page says so, and the menu does not offer it."""
    ops = [op for op in ASSOCIATE_OPERATIONS if op is not Operation.VIEW_STORE_BOOKS]
    worker = WorkerFactory.create(stores=list(marco.stores.all()), operations=ops)
    client.force_login(worker.user)
    response = client.get(reverse("storeapp:store_books"))
    assert response.status_code == 403
    assert "view customers from store client books" in response.content.decode()
    book_page = client.get(reverse("storeapp:book")).content.decode()
    assert reverse("storeapp:store_books") not in book_page


def test_feature_switch_off_hides_the_client_book_and_says_why(logged_in, legal_entity):
    """R-FEAT-1: the store app says clienteling is off."""
    clienteling_parameters_update(legal_entity=legal_entity, enabled=False)
    response = logged_in.get(reverse("storeapp:book"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Clienteling is turned off" in body
    assert f'href="{reverse("storeapp:book")}"' not in body


def test_search_in_all_stores_needs_four_characters(logged_in):
    """R-SRCH-1: the all-stores search refuses short queries with a message."""
    response = logged_in.get(reverse("storeapp:search"), {"q": "abc", "all_stores": "on"})
    assert response.status_code == 200
    assert "at least 4 characters" in response.content.decode()


def test_search_is_limited_to_the_store_address_books(logged_in, legal_entity, store):
    """R-SRCH-1: only customers of the current store's address books, unless all stores."""
    mine = CustomerFactory.create(legal_entity=legal_entity, last_name="Fontana")
    mine.address_books.set(store.address_books.all())
    elsewhere = CustomerFactory.create(legal_entity=legal_entity, last_name="Fontana")
    body = logged_in.get(reverse("storeapp:search"), {"q": "fontana"}).content.decode()
    assert mine.account in body
    assert elsewhere.account not in body
    everywhere = logged_in.get(
        reverse("storeapp:search"), {"q": "fontana", "all_stores": "on"}
    ).content.decode()
    assert elsewhere.account in everywhere


def test_manager_reassigns_selected_customers(
    client, legal_entity, marco, giulia, manager, customers
):
    """R-BOOK-4: confirm page, then the move, then the message."""
    services.client_book_add_customers(
        actor=marco, legal_entity=legal_entity, customers=customers[:3]
    )
    client.force_login(manager.user)
    accounts = [c.account for c in customers[:2]]
    confirm = client.get(reverse("storeapp:reassign"), {"customers": accounts, "scope": "selected"})
    assert confirm.status_code == 200
    assert "2 customers will move" in confirm.content.decode()
    done = client.post(
        reverse("storeapp:reassign"),
        {"customers": accounts, "to_worker": "giulia", "confirm": "yes"},
        follow=True,
    )
    assert "2 customers moved" in done.content.decode()
    owners = dict(
        Membership.objects.filter(customer__in=customers[:3]).values_list(
            "customer__account", "book__owner__user__username"
        )
    )
    assert owners == {accounts[0]: "giulia", accounts[1]: "giulia", customers[2].account: "marco"}


def test_manager_reassigns_every_customer_matching_the_filter(
    client, legal_entity, marco, giulia, manager, customers
):
    """R-BOOK-4: "all that match" moves the filter's customers, and only those."""
    services.client_book_add_customers(
        actor=marco, legal_entity=legal_entity, customers=customers[:3]
    )
    services.customer_attributes_set(
        actor=manager, customer=customers[0], values={"PREF_CATEGORY": "Shoes"}
    )
    services.customer_attributes_set(
        actor=manager, customer=customers[1], values={"PREF_CATEGORY": "Shoes"}
    )
    client.force_login(manager.user)
    query = "owner=marco&attr.PREF_CATEGORY=Shoes"
    confirm = client.get(reverse("storeapp:reassign"), {"scope": "matching", "query": query})
    page = confirm.content.decode()
    assert "All 2 customers that match the filter will move" in page
    assert f"{marco}: 2 customers" in page  # from whose book they leave
    assert 'name="customers"' not in page
    done = client.post(
        reverse("storeapp:reassign"),
        {"scope": "matching", "query": query, "to_worker": "giulia", "confirm": "yes"},
        follow=True,
    )
    assert "2 customers moved" in done.content.decode()
    owners = dict(
        Membership.objects.filter(customer__in=customers[:3]).values_list(
            "customer__account", "book__owner__user__username"
        )
    )
    assert owners == {
        customers[0].account: "giulia",
        customers[1].account: "giulia",
        customers[2].account: "marco",
    }


def test_the_filter_form_with_nothing_chosen_shows_the_whole_book(
    logged_in, legal_entity, giulia, customers
):
    """R-BOOK-7: empty fields of the submitted filter form are no criteria."""
    services.client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=customers)
    params = {
        "q": "",
        "attr.BIRTHDAY.min": "",
        "attr.BIRTHDAY.max": "",
        "upcoming.BIRTHDAY": "",
        "upcoming.ANNIVERSARY": "",
        "attr.FAV_BRAND": "",
        "sort": "name",
    }
    response = logged_in.get(reverse("storeapp:book"), params)
    assert response.status_code == 200
    assert f"{len(customers)} customers" in response.content.decode()


def test_show_more_continues_after_the_last_card(logged_in, legal_entity, giulia):
    """R-BOOK-7: keyset paging in the store app, through htmx."""
    many = CustomerFactory.create_batch(7, legal_entity=legal_entity)
    services.client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=many)
    first = logged_in.get(reverse("storeapp:book"), {"limit": 5}).content.decode()
    assert first.count('class="card"') == 5
    cursor = re.search(r'cursor=([^"&]+)', first).group(1)  # type: ignore[union-attr]
    more = logged_in.get(
        reverse("storeapp:book"), {"limit": 5, "cursor": cursor}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert more.count('class="card"') == 2
    shown = set(re.findall(r'data-account="([^"]+)"', first + more))
    assert shown == {c.account for c in many}


def test_worker_in_two_stores_switches_the_store_and_search_follows(client, legal_entity, store):
    """R-ORG-3, R-SRCH-1: the current store decides which address books search sees."""
    roma = StoreFactory.create(legal_entity=legal_entity, code="RM01", name="Roma")
    worker = WorkerFactory.create(stores=[store, roma])
    in_roma = CustomerFactory.create(legal_entity=legal_entity, last_name="Esposito")
    in_roma.address_books.set(roma.address_books.all())
    client.force_login(worker.user)
    assert (
        in_roma.account
        not in client.get(reverse("storeapp:search"), {"q": "esposito"}).content.decode()
    )
    client.post(reverse("storeapp:switch"), {"legal_entity": "ITJW", "store": "RM01"})
    assert (
        in_roma.account
        in client.get(reverse("storeapp:search"), {"q": "esposito"}).content.decode()
    )


def test_a_store_the_worker_is_not_assigned_to_cannot_be_chosen(client, legal_entity, giulia):
    """R-ORG-1: the session cannot point at a store outside the worker's assignment."""
    StoreFactory.create(legal_entity=legal_entity, code="FI01")
    client.force_login(giulia.user)
    client.post(reverse("storeapp:switch"), {"legal_entity": "ITJW", "store": "FI01"})
    body = client.get(reverse("storeapp:search")).content.decode()
    assert '<option value="MI01" selected>' in body
    assert "FI01" not in body
