"""``seed_scale --sales N``: N sales lines per customer of the scale data set, in bulk."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.customers.models import Customer
from clienteling.sales.models import SaleLine

pytestmark = pytest.mark.django_db


def test_sales_lines_per_customer_are_generated_on_request():
    """R-SALE-1, R-SALE-3, R-SCALE-1: every customer gets N lines, two to a receipt, each line
    once; the cards of the customers in books get their purchase facts."""
    out = io.StringIO()

    call_command("seed_scale", "--customers", "1000", "--sales", "3", stdout=out)

    assert SaleLine.objects.count() == 3000
    counts = set(
        SaleLine.objects.values("customer").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert counts == {3}
    assert SaleLine.objects.values("transaction", "line").distinct().count() == 3000
    assert SaleLine.objects.filter(store__isnull=True).exists()
    assert "sales lines 3,000/3,000" in out.getvalue()
    # The cards carry the facts of those sales (R-SALE-3).
    cards = Membership.objects.filter(legal_entity__code="SCALE")
    assert cards.exists() and not cards.filter(last_purchase=None).exists()
    assert not StoreEntry.objects.filter(last_purchase=None).exists()


def test_without_the_option_there_are_no_sales():
    """R-SCALE-1: the pages of cards need none; generating them is a choice."""
    call_command("seed_scale", "--customers", "1000", stdout=io.StringIO())

    assert Customer.objects.exists() and not SaleLine.objects.exists()


def test_a_negative_number_of_lines_is_refused():
    """R-SCALE-1: a clear message, nothing generated."""
    with pytest.raises(CommandError, match="--sales"):
        call_command("seed_scale", "--customers", "1000", "--sales", "-1", stdout=io.StringIO())
