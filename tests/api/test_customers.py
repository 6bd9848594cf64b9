"""Customers in the API: me, search, details, attribute values, the attribute group, routes."""

from __future__ import annotations

import datetime as dt

import pytest

from clienteling.attributes.models import AttributeValue
from clienteling.clientbooks.services import client_book_add_customers
from clienteling.organization.access import Operation
from tests.api.conftest import assert_error
from tests.factories import CustomerFactory, StoreFactory, WorkerFactory

LE = "/legal-entities/ITJW"


def test_me_names_the_caller_legal_entities_stores_and_operations(as_worker, giulia):
    body = as_worker(giulia).get("/me").json()
    assert body["username"] == "giulia"
    assert body["legal_entities"] == [
        {"code": "ITJW", "name": "Jewellery Italy", "clienteling_enabled": True}
    ]
    assert body["stores"] == [{"code": "MI01", "name": "Milano", "legal_entity": "ITJW"}]
    assert "view_own_client_book" in body["operations"]
    assert "reassign_customers" not in body["operations"]


@pytest.fixture
def in_store(store, legal_entity):
    """Customers in MI01's address book, and one elsewhere."""
    here = CustomerFactory.create_batch(
        2, legal_entity=legal_entity, last_name="Ferrari", first_name="Anna"
    )
    for customer in here:
        customer.address_books.set(store.address_books.all())
    elsewhere = CustomerFactory.create(
        legal_entity=legal_entity, last_name="Ferrari", first_name="Luca"
    )
    return here, elsewhere


def test_search_looks_in_the_store_address_books(as_worker, giulia, in_store):
    here, _elsewhere = in_store
    page = as_worker(giulia).get(LE + "/customers", {"q": "ferrari"}).json()
    assert set(page) == {"items", "next_cursor"}
    assert {c["account"] for c in page["items"]} == {c.account for c in here}
    assert set(page["items"][0]) == {"account", "name", "email", "phone", "book"}


def test_search_all_stores_finds_the_others_and_pages(as_worker, giulia, in_store):
    here, elsewhere = in_store
    api = as_worker(giulia)
    first = api.get(LE + "/customers", {"q": "ferrari", "all_stores": "true", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(
        LE + "/customers",
        {"q": "ferrari", "all_stores": "true", "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    accounts = [c["account"] for c in first["items"] + rest["items"]]
    assert sorted(accounts) == sorted([*(c.account for c in here), elsewhere.account])
    assert rest["next_cursor"] is None


def test_search_ranks_more_keywords_first(as_worker, giulia, in_store):
    _here, elsewhere = in_store
    items = (
        as_worker(giulia)
        .get(LE + "/customers", {"q": "luca ferrari", "all_stores": "true"})
        .json()["items"]
    )
    assert items[0]["account"] == elsewhere.account


def test_search_shows_the_book_a_customer_is_in(as_worker, giulia, legal_entity, in_store):
    here, _ = in_store
    client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=[here[0]])
    items = as_worker(giulia).get(LE + "/customers", {"q": here[0].account}).json()["items"]
    assert items[0]["book"]["owner"] == "giulia"


def test_search_all_stores_needs_four_characters(as_worker, giulia, in_store):
    assert_error(
        as_worker(giulia).get(LE + "/customers", {"q": "fer", "all_stores": "true"}),
        422,
        "invalid",
        field="q",
    )


def test_search_needs_a_query(as_worker, giulia):
    assert_error(as_worker(giulia).get(LE + "/customers"), 422, "invalid", field="q")


def test_search_in_a_store_not_mine_is_404(as_worker, giulia, legal_entity):
    StoreFactory.create(legal_entity=legal_entity, code="RM01")
    assert_error(
        as_worker(giulia).get(LE + "/customers", {"q": "anna", "store": "RM01"}),
        404,
        "not_found",
        field="store",
    )


def test_search_without_the_details_grant_is_403(as_worker, store):
    viewer = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])
    error = assert_error(as_worker(viewer).get(LE + "/customers", {"q": "anna"}), 403, "forbidden")
    assert error["details"]["operation"] == "read_customer_details"


def test_customer_details(as_worker, giulia, legal_entity, customers):
    customer = customers[0]
    client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=[customer])
    api = as_worker(giulia)
    api.patch(f"{LE}/customers/{customer.account}/attributes", {"PREF_CATEGORY": "Shoes"})
    body = api.get(f"{LE}/customers/{customer.account}").json()
    assert body["account"] == customer.account
    assert body["email"] == customer.email
    assert set(body["consent"]) == {"email", "phone", "sms"}
    assert [a["code"] for a in body["attributes"]] == [
        "BIRTHDAY",
        "ANNIVERSARY",
        "PREF_CATEGORY",
        "FAV_BRAND",
        "RING_SIZE",
    ]
    assert [p["code"] for p in body["properties"]] == ["BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY"]
    assert body["properties"][2]["value"] == "Shoes"
    assert body["books"] == [{"id": "CB-000001", "owner": "giulia", "primary": True}]


def test_unknown_customer_is_404(as_worker, giulia):
    assert_error(as_worker(giulia).get(f"{LE}/customers/NOPE"), 404, "not_found")


def test_customer_details_without_the_grant_is_403(as_worker, store, customers):
    viewer = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])
    assert_error(as_worker(viewer).get(f"{LE}/customers/{customers[0].account}"), 403, "forbidden")


def test_setting_attribute_values(as_worker, giulia, customers):
    customer = customers[0]
    response = as_worker(giulia).patch(
        f"{LE}/customers/{customer.account}/attributes",
        {"PREF_CATEGORY": "shoes", "BIRTHDAY": "1985-06-14", "RING_SIZE": 52.5},
    )
    assert response.status_code == 200, response.content
    values = {a["code"]: a["value"] for a in response.json()["attributes"]}
    assert values["PREF_CATEGORY"] == "Shoes"
    assert values["BIRTHDAY"] == "1985-06-14"
    assert values["RING_SIZE"] == 52.5
    assert AttributeValue.objects.get(customer=customer, attribute__code="BIRTHDAY").value_date == (
        dt.date(1985, 6, 14)
    )
    cleared = as_worker(giulia).patch(
        f"{LE}/customers/{customer.account}/attributes", {"RING_SIZE": None}
    )
    assert {a["code"]: a["value"] for a in cleared.json()["attributes"]}["RING_SIZE"] is None


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"RING_SIZE": 99}, "RING_SIZE", "max"),
        ({"PREF_CATEGORY": "Bicycles"}, "PREF_CATEGORY", "allowed_values"),
        ({"BIRTHDAY": "14/06/1985"}, "BIRTHDAY", "type"),
        ({"NOPE": "x"}, "NOPE", "not_in_group"),
        ({"FAV_BRAND": "a\x00b"}, "FAV_BRAND", "control_character"),
    ],
)
def test_a_bad_attribute_value_is_422_and_sets_nothing(
    as_worker, giulia, customers, body, field, rule
):
    customer = customers[0]
    response = as_worker(giulia).patch(
        f"{LE}/customers/{customer.account}/attributes", {"FAV_BRAND": "Acme", **body}
    )
    error = assert_error(response, 422, "invalid", field=field)
    assert error["details"]["rule"] == rule
    assert not AttributeValue.objects.filter(customer=customer).exists()


def test_setting_attributes_without_the_grant_is_403(as_worker, store, customers):
    viewer = WorkerFactory.create(stores=[store], operations=[Operation.READ_CUSTOMER_DETAILS])
    error = assert_error(
        as_worker(viewer).patch(
            f"{LE}/customers/{customers[0].account}/attributes", {"FAV_BRAND": "Acme"}
        ),
        403,
        "forbidden",
    )
    assert error["details"]["operation"] == "edit_customer_attributes"


def test_setting_attributes_of_an_unknown_customer_is_404(as_worker, giulia):
    assert_error(
        as_worker(giulia).patch(f"{LE}/customers/NOPE/attributes", {"FAV_BRAND": "Acme"}),
        404,
        "not_found",
    )


def test_the_attribute_group(as_worker, giulia):
    body = as_worker(giulia).get(LE + "/attributes").json()
    assert [a["code"] for a in body] == [
        "BIRTHDAY",
        "ANNIVERSARY",
        "PREF_CATEGORY",
        "FAV_BRAND",
        "RING_SIZE",
    ]
    category = body[2]
    assert category["refinable"] is True
    assert category["display_order"] == 3
    assert category["allowed_values"][:2] == ["Handbags", "Shoes"]
    ring = body[4]
    assert ring["refinable"] is False
    assert (ring["unit"], ring["min_value"], ring["max_value"]) == ("mm", 40, 75)


def test_the_attribute_group_of_an_unknown_legal_entity_is_404(as_worker, giulia):
    assert_error(as_worker(giulia).get("/legal-entities/ZZ/attributes"), 404, "not_found")


@pytest.mark.parametrize("path", ["/nope", "/legal-entities/ITJW/nothing", "/me/"])
def test_unknown_routes_are_404_in_the_error_shape(as_worker, giulia, path):
    api = as_worker(giulia)
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.post(path, {}), 404, "not_found")


def test_the_openapi_document_is_complete(anonymous):
    schema = anonymous.get("/openapi.json").json()
    paths = schema["paths"]
    assert len(paths) == 31
    book = paths["/api/v1/legal-entities/{le}/client-book"]["get"]
    names = {p["name"] for p in book["parameters"]}
    assert {"le", "q", "sort", "cursor", "limit", "attr", "upcoming"} <= names
    # The exports (R-IO-3) take the same filters and answer a file in one of two types.
    for export in ("client-book/export", "stores/{store}/client-books/export"):
        operation = paths[f"/api/v1/legal-entities/{{le}}/{export}"]["get"]
        assert {"format", "q", "sort", "attr", "upcoming"} <= {
            p["name"] for p in operation["parameters"]
        }
        assert set(operation["responses"]["200"]["content"]) == {
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    # The purchase history (R-SALE-2) is a page like the others.
    purchases = paths["/api/v1/legal-entities/{le}/customers/{account}/purchases"]["get"]
    assert {"le", "account", "cursor", "limit"} <= {p["name"] for p in purchases["parameters"]}
    for path, path_item in paths.items():
        if path == "/api/v1/me":
            continue
        # A job is the caller's own or not found: no legal entity to be forbidden.
        expected = (
            {"401", "404", "422"}
            if path.startswith("/api/v1/jobs/")
            else {"401", "403", "404", "422"}
        )
        for operation in path_item.values():
            codes = set(map(str, operation["responses"]))
            assert expected <= codes, path
            assert codes & {"200", "201", "202", "204"}, path
    add = paths["/api/v1/legal-entities/{le}/client-book/customers"]["post"]
    assert "409" in map(str, add["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in add["parameters"])
    assert anonymous.get("/docs").status_code == 200
