"""The client book operations of the API: pages of cards with filters, add, remove, reassign."""

from __future__ import annotations

import datetime as dt

import pytest

from clienteling.clientbooks.models import ClientelingParameters, Membership
from clienteling.clientbooks.selectors import local_today
from clienteling.clientbooks.services import client_book_add_customers, customer_attributes_set
from clienteling.organization.access import Operation
from tests.api.conftest import assert_error
from tests.factories import WorkerFactory, birthday_in

BOOK = "/legal-entities/ITJW/client-book"


@pytest.fixture
def book(giulia, customers, legal_entity):
    """giulia's book holds the first three customers, with attribute values."""
    today = local_today(legal_entity)
    values = [
        {"PREF_CATEGORY": "Handbags", "BIRTHDAY": birthday_in(3, today), "FAV_BRAND": "Acme"},
        {"PREF_CATEGORY": "Shoes", "BIRTHDAY": birthday_in(40, today, 1990)},
        {
            "PREF_CATEGORY": "Watches",
            "BIRTHDAY": dt.date(2000, 1, 1) if today.month > 3 else dt.date(2000, 9, 1),
        },
    ]
    for customer, attrs in zip(customers[:3], values, strict=True):
        customer_attributes_set(actor=giulia, customer=customer, values=attrs)
    client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=customers[:3])
    return customers[:3]


def test_my_client_book_is_a_page_of_cards_in_the_contract_shape(as_worker, giulia, book):
    response = as_worker(giulia).get(BOOK)
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert {c["account"] for c in page["items"]} == {c.account for c in book}
    card = next(c for c in page["items"] if c["account"] == book[0].account)
    assert set(card) == {"account", "name", "email", "phone", "book", "properties"}
    assert card["book"]["owner"] == "giulia"
    assert card["book"]["id"].startswith("CB-")
    assert [p["code"] for p in card["properties"]] == ["BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY"]
    assert all(
        set(p) == {"code", "label", "value", "kind", "available", "as_of"}
        for p in card["properties"]
    )
    assert (
        card["properties"][0]["value"]
        == book[0].attribute_values.get(attribute__code="BIRTHDAY").value_date.isoformat()
    )
    assert card["properties"][1]["value"] is None
    assert card["properties"][2] == {
        "code": "PREF_CATEGORY",
        "label": "Preferred category",
        "value": "Handbags",
        "kind": "attribute",
        "available": True,
        "as_of": None,
    }


def test_an_empty_book_is_an_empty_page(as_worker, giulia):
    assert as_worker(giulia).get(BOOK).json() == {"items": [], "next_cursor": None}


def test_pages_continue_with_the_cursor(as_worker, giulia, book):
    api = as_worker(giulia)
    first = api.get(BOOK, {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.get(BOOK, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    seen = [c["account"] for c in first["items"] + second["items"]]
    assert sorted(seen) == sorted(c.account for c in book)


def test_filters_one_of_values(as_worker, giulia, book):
    response = as_worker(giulia).get(BOOK + "?attr.PREF_CATEGORY=handbags&attr.PREF_CATEGORY=Shoes")
    assert {c["account"] for c in response.json()["items"]} == {book[0].account, book[1].account}


def test_filters_a_date_range(as_worker, giulia, book):
    response = as_worker(giulia).get(
        BOOK, {"attr.BIRTHDAY.min": "1985-01-01", "attr.BIRTHDAY.max": "1995-12-31"}
    )
    assert [c["account"] for c in response.json()["items"]] == [book[1].account]


def test_filters_upcoming_dates_and_sorts_by_them(as_worker, giulia, book):
    api = as_worker(giulia)
    upcoming = api.get(BOOK, {"upcoming.BIRTHDAY": "14"}).json()["items"]
    assert [c["account"] for c in upcoming] == [book[0].account]
    ordered = api.get(BOOK, {"sort": "upcoming.BIRTHDAY"}).json()["items"]
    assert ordered[0]["account"] == book[0].account


def test_filters_free_text_and_combines_with_and(as_worker, giulia, book):
    api = as_worker(giulia)
    assert [c["account"] for c in api.get(BOOK, {"q": book[1].email}).json()["items"]] == [
        book[1].account
    ]
    both = api.get(BOOK, {"q": book[1].email, "attr.PREF_CATEGORY": "Handbags"}).json()
    assert both["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"attr.RING_SIZE": "50"}, "attr.RING_SIZE"),
        ({"attr.NOPE": "x"}, "attr.NOPE"),
        ({"attr.PREF_CATEGORY": "Bicycles"}, "attr.PREF_CATEGORY"),
        ({"attr.BIRTHDAY.min": "yesterday"}, "attr.BIRTHDAY.min"),
        ({"upcoming.BIRTHDAY": "-1"}, "upcoming.BIRTHDAY"),
        ({"upcoming.BIRTHDAY": "²"}, "upcoming.BIRTHDAY"),
        ({"sort": "upcoming.PREF_CATEGORY"}, "sort"),
        ({"sort": "price"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"cursor": "WyJcdTAwMDAiLDFd"}, "cursor"),
        ({"q": "a\x00b"}, "q"),
        ({"attr": ""}, "attr"),
        ({"upcoming": "3"}, "upcoming"),
        ({"atr.PREF_CATEGORY": "Handbags"}, "atr.PREF_CATEGORY"),
        ({"owner": "giulia"}, "owner"),
        ({"\u00b4": "null"}, "\u00b4"),
    ],
)
def test_bad_filters_are_422_naming_the_parameter(as_worker, giulia, book, params, field):
    assert_error(as_worker(giulia).get(BOOK, params), 422, "invalid", field=field)


def test_an_unknown_parameter_is_refused_with_its_rule(as_worker, giulia, book):
    """A misspelt filter would otherwise answer the whole book as if it were filtered."""
    error = assert_error(as_worker(giulia).get(BOOK, {"atr.SIZE": "1"}), 422, "invalid")
    assert error["details"]["rule"] == "unknown"


def test_the_store_view_takes_its_own_parameters(as_worker, giulia, book):
    params = {"owner": "giulia", "q": "", "sort": "name", "limit": "5"}
    assert (
        as_worker(giulia).get("/legal-entities/ITJW/stores/MI01/client-books", params).status_code
        == 200
    )


def test_viewing_the_book_without_the_grant_is_403_naming_the_operation(as_worker, store):
    clerk = WorkerFactory.create(stores=[store], operations=[Operation.READ_CUSTOMER_DETAILS])
    error = assert_error(as_worker(clerk).get(BOOK), 403, "forbidden")
    assert error["details"]["operation"] == "view_own_client_book"


def test_the_switch_off_is_403_feature_disabled(as_worker, giulia, legal_entity, customers):
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(enabled=False)
    api = as_worker(giulia)
    error = assert_error(api.get(BOOK), 403, "feature_disabled")
    assert error["details"]["switch"] == "clienteling_enabled"
    assert_error(
        api.post(BOOK + "/customers", {"customers": [customers[0].account]}),
        403,
        "feature_disabled",
    )
    assert_error(api.get("/legal-entities/ITJW/stores/MI01/client-books"), 403, "feature_disabled")


def test_an_unknown_legal_entity_is_404(as_worker, giulia):
    assert_error(as_worker(giulia).get("/legal-entities/XXXX/client-book"), 404, "not_found")


def test_adding_customers_creates_the_book_and_answers_what_was_added(as_worker, giulia, customers):
    response = as_worker(giulia).post(
        BOOK + "/customers", {"customers": [customers[0].account, customers[1].account]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["added"] == sorted([customers[0].account, customers[1].account])
    assert body["book"]["owner"] == "giulia"
    assert Membership.objects.filter(book__owner=giulia).count() == 2


def test_adding_a_customer_in_another_book_is_a_conflict_naming_the_owner(
    as_worker, giulia, marco, legal_entity, customers
):
    """R-ERR-3, R-BOOK-2: a conflict answers 409 with what conflicts: the customer and owner."""
    client_book_add_customers(actor=marco, legal_entity=legal_entity, customers=[customers[0]])
    response = as_worker(giulia).post(
        BOOK + "/customers", {"customers": [customers[1].account, customers[0].account]}
    )
    error = assert_error(response, 409, "conflict", field="customers")
    assert error["details"]["owner"] == "marco"
    assert error["details"]["customer"] == customers[0].account
    assert not Membership.objects.filter(book__owner=giulia).exists()


def test_adding_an_unknown_customer_is_404(as_worker, giulia, customers):
    """R-ERR-3: an unknown id answers not found, naming it."""
    response = as_worker(giulia).post(BOOK + "/customers", {"customers": ["NOPE1"]})
    error = assert_error(response, 404, "not_found", field="customers")
    assert error["details"]["customers"] == ["NOPE1"]


def test_adding_without_the_grant_is_403(as_worker, store, customers):
    viewer = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])
    error = assert_error(
        as_worker(viewer).post(BOOK + "/customers", {"customers": [customers[0].account]}),
        403,
        "forbidden",
    )
    assert error["details"]["operation"] == "add_customer_to_client_book"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "customers"),
        ({"customers": []}, "customers"),
        ({"customers": "C000001"}, "customers"),
        ({"customers": [42]}, "customers.0"),
        ({"customers": ["bad account!"]}, "customers.0"),
        ({"customers": ["C1"], "extra": 1}, "extra"),
        ([1, 2], None),
    ],
)
def test_a_malformed_body_is_422_naming_the_field(as_worker, giulia, body, field):
    response = as_worker(giulia).post(BOOK + "/customers", body)
    error = assert_error(response, 422, "invalid")
    if field is not None:
        assert error["field"] == field


def test_a_body_that_is_not_json_is_422(as_worker, giulia):
    api = as_worker(giulia)
    response = api.client.post(
        "/api/v1" + BOOK + "/customers",
        "{not json",
        content_type="application/json",
        headers=api.headers,
    )
    assert_error(response, 422, "invalid", field="body")


def test_removing_customers_keeps_them_and_their_data(as_worker, giulia, book):
    response = as_worker(giulia).post(BOOK + "/remove", {"customers": [book[0].account]})
    assert response.status_code == 200
    assert response.json() == {"removed": 1}
    assert not Membership.objects.filter(customer=book[0]).exists()
    book[0].refresh_from_db()
    assert book[0].attribute_values.exists()


def test_removing_a_customer_not_in_my_book_is_422_and_removes_nothing(
    as_worker, giulia, book, customers
):
    response = as_worker(giulia).post(
        BOOK + "/remove", {"customers": [book[0].account, customers[4].account]}
    )
    error = assert_error(response, 422, "invalid", field="customers")
    assert error["details"]["customers"] == [customers[4].account]
    assert Membership.objects.filter(customer=book[0]).exists()


def test_removing_without_the_grant_is_403(as_worker, store, book):
    viewer = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])
    error = assert_error(
        as_worker(viewer).post(BOOK + "/remove", {"customers": [book[0].account]}),
        403,
        "forbidden",
    )
    assert error["details"]["operation"] == "remove_customers_from_client_book"


REASSIGN = "/legal-entities/ITJW/client-books/reassign"


def test_a_manager_reassigns_customers(as_worker, manager, marco, book):
    response = as_worker(manager).post(
        REASSIGN, {"customers": [book[0].account, book[1].account], "to_worker": "marco"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["moved"] == 2
    assert response.json()["book"]["owner"] == "marco"
    assert Membership.objects.filter(book__owner=marco).count() == 2


def test_a_manager_reassigns_a_whole_book(as_worker, manager, marco, giulia, book):
    response = as_worker(manager).post(REASSIGN, {"from_worker": "giulia", "to_worker": "marco"})
    assert response.status_code == 200, response.content
    assert response.json()["moved"] == 3
    assert not Membership.objects.filter(book__owner=giulia).exists()


def test_reassigning_without_the_grant_is_403(as_worker, giulia, marco, book):
    error = assert_error(
        as_worker(giulia).post(REASSIGN, {"customers": [book[0].account], "to_worker": "marco"}),
        403,
        "forbidden",
    )
    assert error["details"]["operation"] == "reassign_customers"


def test_reassigning_to_an_unknown_worker_is_404(as_worker, manager, book):
    assert_error(
        as_worker(manager).post(REASSIGN, {"customers": [book[0].account], "to_worker": "ghost"}),
        404,
        "not_found",
        field="to_worker",
    )


def test_reassigning_nothing_is_422(as_worker, manager, marco):
    assert_error(as_worker(manager).post(REASSIGN, {"to_worker": "marco"}), 422, "invalid")


def test_reassigning_customers_in_no_book_is_422(as_worker, manager, marco, customers):
    assert_error(
        as_worker(manager).post(
            REASSIGN, {"customers": [customers[4].account], "to_worker": "marco"}
        ),
        422,
        "invalid",
        field="customers",
    )


STORE_BOOKS = "/legal-entities/ITJW/stores/MI01/client-books"


def test_the_store_view_shows_whose_book_each_customer_is_in(
    as_worker, giulia, marco, legal_entity, book, customers
):
    client_book_add_customers(actor=marco, legal_entity=legal_entity, customers=[customers[3]])
    page = as_worker(giulia).get(STORE_BOOKS).json()
    owners = {c["account"]: c["book"]["owner"] for c in page["items"]}
    assert owners == {**{c.account: "giulia" for c in book}, customers[3].account: "marco"}
    only_marco = as_worker(giulia).get(STORE_BOOKS, {"owner": "marco"}).json()["items"]
    assert [c["account"] for c in only_marco] == [customers[3].account]
    filtered = as_worker(giulia).get(STORE_BOOKS, {"attr.PREF_CATEGORY": "Shoes"}).json()
    assert [c["account"] for c in filtered["items"]] == [book[1].account]


def test_the_store_view_without_the_grant_is_403(as_worker, store, book):
    own_only = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])
    error = assert_error(as_worker(own_only).get(STORE_BOOKS), 403, "forbidden")
    assert error["details"]["operation"] == "view_store_client_books"


def test_a_store_the_worker_is_not_assigned_to_is_404(as_worker, giulia, legal_entity):
    from tests.factories import StoreFactory

    StoreFactory.create(legal_entity=legal_entity, code="RM01")
    assert_error(
        as_worker(giulia).get("/legal-entities/ITJW/stores/RM01/client-books"),
        404,
        "not_found",
        field="store",
    )


def test_a_bad_store_filter_is_422(as_worker, giulia, book):
    assert_error(as_worker(giulia).get(STORE_BOOKS, {"attr.RING_SIZE": "1"}), 422, "invalid")
