"""The demo's sales (CONTRACT.md "Demo additions"): a few purchases per customer over three
years, some in the last 30 days; the same on every run, and not written twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Max, Min

from clienteling.demo.sales import seed_sales
from clienteling.sales.models import SaleLine
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shoppers(legal_entity, store, rome):
    return CustomerFactory.create_batch(60, legal_entity=legal_entity)


def lines():
    return list(
        SaleLine.objects.order_by("transaction", "line").values_list(
            "transaction", "line", "customer__account", "sold_at", "amount", "category"
        )
    )


def test_every_customer_has_a_few_purchases_over_three_years(legal_entity, shoppers):
    """R-SALE-1, R-SALE-2: data for the customer page, the cards and the measures."""
    today = dt.date.today()

    written = seed_sales(legal_entity, today=today)

    assert written == SaleLine.objects.count() > len(shoppers)
    per_customer = SaleLine.objects.values("customer").annotate(n=Count("id"))
    assert len(per_customer) == len(shoppers)
    span = SaleLine.objects.aggregate(first=Min("sold_at"), last=Max("sold_at"))
    assert (today - span["first"].date()).days > 2 * 365
    assert (today - span["last"].date()).days <= 30
    recent = SaleLine.objects.filter(sold_at__date__gte=today - dt.timedelta(days=30))
    assert recent.values("customer").distinct().count() >= 3
    assert SaleLine.objects.filter(store__isnull=True).exists()  # online orders


def test_the_demo_sales_are_the_same_on_every_run_and_not_written_twice(legal_entity, shoppers):
    """R-SALE-1: seeded random; a second run finds them and writes nothing."""
    today = dt.date(2026, 11, 24)
    seed_sales(legal_entity, today=today)
    first = lines()

    assert seed_sales(legal_entity, today=today) == 0
    assert lines() == first

    SaleLine.objects.all().delete()
    seed_sales(legal_entity, today=today)
    assert lines() == first
