"""R-SALE-2 in the API: the purchase history page and the summary in the customer's details."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clienteling.organization.access import Operation
from clienteling.sales.services import sales_upsert
from tests.api.conftest import ApiClient, assert_error, token_for
from tests.factories import WorkerFactory
from tests.sales.conftest import row

pytestmark = pytest.mark.django_db

CUSTOMER = "/legal-entities/ITJW/customers/IT000042"


@pytest.fixture
def api():
    return lambda worker: ApiClient(token_for(worker))


@pytest.fixture
def bought(legal_entity, store, buyer):
    """Three lines of two sales in the last weeks, one of them online, one in dollars."""
    now = timezone.now()
    lines = [
        row(transaction="MI01-1", line="1", sold_at=(now - dt.timedelta(days=20)).isoformat(),
            amount="1850.00", category="Jewellery"),
        row(transaction="MI01-1", line="2", sold_at=(now - dt.timedelta(days=20)).isoformat(),
            amount="120.50", category="Shoes", product_name="Suede loafers"),
        row(transaction="WEB-7", line="1", sold_at=(now - dt.timedelta(days=2)).isoformat(),
            store="", amount="300.00", currency="USD", category="Watches"),
    ]  # fmt: skip
    assert sales_upsert(legal_entity=legal_entity, lines=lines) == {}


def test_the_purchase_history_is_a_page_newest_first(api, giulia, bought):
    """R-SALE-2: the page shape of the API, amounts as decimal text."""
    page = api(giulia).get(CUSTOMER + "/purchases").json()

    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert [(i["transaction"], i["line"]) for i in page["items"]] == [
        ("WEB-7", 1),
        ("MI01-1", 1),
        ("MI01-1", 2),
    ]
    online, first = page["items"][0], page["items"][1]
    assert set(first) == {
        "transaction", "line", "sold_at", "store", "product", "product_name", "category",
        "quantity", "amount", "currency",
    }  # fmt: skip
    assert (first["store"], first["amount"], first["currency"]) == ("MI01", "1850.00", "EUR")
    assert (online["store"], online["currency"]) == (None, "USD")


def test_the_purchase_history_pages_with_a_cursor(api, giulia, bought):
    """R-SALE-2: limit= and cursor= as on every page."""
    client = api(giulia)
    first = client.get(CUSTOMER + "/purchases", {"limit": 2}).json()
    rest = client.get(CUSTOMER + "/purchases", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert len(first["items"]) == 2 and first["next_cursor"]
    assert [(i["transaction"], i["line"]) for i in rest["items"]] == [("MI01-1", 2)]
    assert rest["next_cursor"] is None


def test_a_forged_cursor_is_invalid(api, giulia, bought):
    """R-SALE-2, R-ERR-1: a cursor of another list is a 422, not a server error."""
    response = api(giulia).get(CUSTOMER + "/purchases", {"cursor": "WzEsMl0"})

    assert_error(response, 422, "invalid", "cursor")


def test_the_customers_details_carry_the_purchase_summary(api, giulia, bought):
    """R-SALE-2: last purchase, visits and spend in 12 months, lifetime spend, favourite
    category; dollars are left out of the euro sums and counted."""
    body = api(giulia).get(CUSTOMER).json()

    summary = body["purchase_summary"]
    local = timezone.localtime(timezone.now() - dt.timedelta(days=2)).date()
    assert summary == {
        "last_purchase": local.isoformat(),
        "visits_12m": 2,
        "spend_12m": "1970.50",
        "lifetime_spend": "1970.50",
        "favourite_category": "Jewellery",
        "currency": "EUR",
        "other_currency_lines": 1,
    }


def test_a_customer_without_purchases_has_an_empty_summary(api, giulia, buyer):
    """R-SALE-2: nulls and zeros, never a missing key."""
    summary = api(giulia).get(CUSTOMER).json()["purchase_summary"]

    assert summary["last_purchase"] is None
    assert (summary["spend_12m"], summary["lifetime_spend"]) == ("0.00", "0.00")
    assert api(giulia).get(CUSTOMER + "/purchases").json() == {"items": [], "next_cursor": None}


def test_another_legal_entitys_customer_is_not_found(api, rasa, bought):
    """R-SALE-2, R-ERR-3: rasa (LTFA) does not see ITJW, nor its customers from LTFA."""
    assert_error(api(rasa).get(CUSTOMER + "/purchases"), 404, "not_found")
    response = api(rasa).get("/legal-entities/LTFA/customers/IT000042/purchases")
    assert_error(response, 404, "not_found", "customer")


def test_reading_purchases_without_the_details_grant_is_forbidden(api, store, bought):
    """R-SALE-2, R-PERM-3: the grant of reading customer details."""
    worker = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])

    body = assert_error(api(worker).get(CUSTOMER + "/purchases"), 403, "forbidden")

    assert body["details"]["operation"] == "read_customer_details"
