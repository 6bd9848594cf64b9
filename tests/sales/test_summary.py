"""R-SALE-2: the purchase history, newest first, and what it tells, to those who may read it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clienteling.core.errors import Forbidden, NotFound
from clienteling.organization.access import Operation
from clienteling.sales.selectors import purchase_summary, purchases
from clienteling.sales.services import sales_upsert
from tests.factories import CustomerFactory, WorkerFactory
from tests.sales.conftest import row

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 31)


@pytest.fixture
def sell(legal_entity, store, buyer):
    """``sell(sold_at, amount, **columns)``: one more line of the buyer's, through the service."""
    count = 0

    def add(sold_at: str, amount: str, **changes: str) -> None:
        nonlocal count
        count += 1
        lines = [row(transaction=f"T{count:04d}", sold_at=sold_at, amount=amount, **changes)]
        assert sales_upsert(legal_entity=legal_entity, lines=lines) == {}

    return add


def test_a_customer_without_purchases_has_an_empty_summary(giulia, buyer):
    """R-SALE-2: nothing bought, nothing to tell."""
    summary = purchase_summary(actor=giulia, customer=buyer, today=TODAY)

    assert summary.last_purchase is None
    assert (summary.visits_12m, summary.spend_12m, summary.lifetime_spend) == (0, 0, 0)
    assert (summary.favourite_category, summary.other_currency_lines) == (None, 0)
    assert summary.currency == "EUR"


def test_the_12_months_end_today_and_begin_the_day_after_a_year_ago(giulia, buyer, sell):
    """R-SALE-2: 31 March 2026 counts from 1 April 2025 00:00 to 31 March 2026 23:59, Rome."""
    sell("2025-03-31T23:59:59+02:00", "1000.00")  # the day before the window
    sell("2025-04-01T00:00:00+02:00", "200.00")  # its first moment
    sell("2026-03-31T23:30:00+02:00", "30.50")  # late on the last day (21:30 UTC)

    summary = purchase_summary(actor=giulia, customer=buyer, today=TODAY)

    assert summary.spend_12m == Decimal("230.50")
    assert summary.visits_12m == 2
    assert summary.lifetime_spend == Decimal("1230.50")
    assert summary.last_purchase == dt.date(2026, 3, 31)


def test_visits_are_distinct_local_days_with_a_purchase(giulia, buyer, sell):
    """R-SALE-2: two receipts on one day are one visit; a day of returns only is none;
    days are the legal entity's, not UTC's."""
    sell("2026-01-10T11:00:00+01:00", "100.00")
    sell("2026-01-10T17:00:00+01:00", "50.00")  # the same afternoon: the same visit
    sell("2026-02-02T23:30:00+01:00", "80.00")  # 22:30 UTC on 2 February …
    sell("2026-02-03T00:30:00+01:00", "90.00")  # … and 23:30 UTC: two days in Rome
    sell("2026-03-05T10:00:00+01:00", "-100.00", quantity="-1")  # a return only

    summary = purchase_summary(actor=giulia, customer=buyer, today=TODAY)

    assert summary.visits_12m == 3
    assert summary.spend_12m == Decimal("220.00")
    assert summary.last_purchase == dt.date(2026, 2, 3)


def test_lines_in_another_currency_are_left_out_of_the_sums_and_counted(giulia, buyer, sell):
    """R-SALE-2: dollars are not added to euros; how many lines were left out is told."""
    sell("2026-01-10T11:00:00+01:00", "100.00")
    sell("2026-02-10T11:00:00+01:00", "900.00", currency="USD", category="Watches")
    sell("2024-02-10T11:00:00+01:00", "50.00", currency="GBP")

    summary = purchase_summary(actor=giulia, customer=buyer, today=TODAY)

    assert summary.spend_12m == Decimal("100.00")
    assert summary.lifetime_spend == Decimal("100.00")
    assert summary.other_currency_lines == 2
    assert summary.favourite_category == "Jewellery"
    # A purchase abroad is still a visit and a purchase.
    assert summary.visits_12m == 2
    assert summary.last_purchase == dt.date(2026, 2, 10)


def test_the_favourite_category_is_the_most_spent_in_24_months(giulia, buyer, sell):
    """R-SALE-2: by spend in the last 24 months, returns subtracting; older lines and lines
    without a category do not count."""
    sell("2025-01-10T11:00:00+01:00", "900.00", category="Shoes")
    sell("2025-01-11T11:00:00+01:00", "-600.00", category="Shoes", quantity="-1")
    sell("2025-06-10T11:00:00+02:00", "500.00", category="Handbags")
    sell("2023-06-10T11:00:00+02:00", "9000.00", category="Watches")  # over 24 months ago
    sell("2026-03-10T11:00:00+01:00", "4000.00", category="")

    summary = purchase_summary(actor=giulia, customer=buyer, today=TODAY)

    assert summary.favourite_category == "Handbags"


def test_a_tie_between_categories_goes_to_the_first_by_name(giulia, buyer, sell):
    """R-SALE-2: the same spend in two categories: the first alphabetically, every time."""
    sell("2026-01-10T11:00:00+01:00", "0.10", category="Shoes")
    sell("2026-01-11T11:00:00+01:00", "0.20", category="Shoes")
    sell("2026-01-12T11:00:00+01:00", "0.30", category="Handbags")

    assert purchase_summary(actor=giulia, customer=buyer, today=TODAY).favourite_category == (
        "Handbags"
    )


def test_amounts_add_up_to_the_cent(giulia, buyer, sell):
    """R-SALE-2: 0.10 + 0.20 is 0.30, on SQLite too."""
    for amount in ("0.10", "0.20", "1234567.89"):
        sell("2026-01-10T11:00:00+01:00", amount)

    summary = purchase_summary(actor=giulia, customer=buyer, today=TODAY)

    assert str(summary.spend_12m) == "1234568.19"
    assert str(summary.lifetime_spend) == "1234568.19"


def test_the_history_is_newest_first_with_the_lines_of_a_sale_in_order(
    legal_entity, store, giulia, buyer
):
    """R-SALE-2: newest first, paged; one sale's lines stay in their order."""
    lines = [
        row(transaction="A", line="1", sold_at="2026-01-10T11:00:00+01:00"),
        row(transaction="B", line="2", sold_at="2026-02-10T11:00:00+01:00"),
        row(transaction="B", line="1", sold_at="2026-02-10T11:00:00+01:00"),
        row(transaction="C", line="1", sold_at="2026-03-10T11:00:00+01:00"),
    ]
    sales_upsert(legal_entity=legal_entity, lines=lines)

    first = purchases(actor=giulia, customer=buyer, limit=2)
    rest = purchases(actor=giulia, customer=buyer, cursor=first.next_cursor, limit=2)

    assert [(s.transaction, s.line) for s in first.rows] == [("C", 1), ("B", 1)]
    assert [(s.transaction, s.line) for s in rest.rows] == [("B", 2), ("A", 1)]
    assert rest.next_cursor is None


def test_the_history_shows_only_that_customers_lines(legal_entity, store, giulia, buyer):
    """R-SALE-2: another customer's purchases are theirs."""
    other = CustomerFactory.create(legal_entity=legal_entity, account="IT000043")
    sales_upsert(
        legal_entity=legal_entity,
        lines=[row(line="1"), row(line="2", account=other.account)],
    )

    assert [s.customer_id for s in purchases(actor=giulia, customer=buyer).rows] == [buyer.pk]


def test_a_customer_of_another_legal_entity_is_not_found(rasa, buyer, sell):
    """R-SALE-2, R-ORG-1: rasa works for LTFA; ITJW's customers do not exist for her."""
    sell("2026-01-10T11:00:00+01:00", "100.00")

    with pytest.raises(NotFound):
        purchase_summary(actor=rasa, customer=buyer)
    with pytest.raises(NotFound):
        purchases(actor=rasa, customer=buyer)


def test_reading_purchases_needs_the_customer_details_grant(store, buyer):
    """R-SALE-2, R-PERM-3: the same rule as reading the customer's details."""
    no_details = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])

    with pytest.raises(Forbidden):
        purchase_summary(actor=no_details, customer=buyer)
    with pytest.raises(Forbidden):
        purchases(actor=no_details, customer=buyer)
