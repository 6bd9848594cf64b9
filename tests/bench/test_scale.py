"""The scale data set and ``manage.py bench`` (R-SCALE-1), at a small size.

The figures themselves come from ``make bench``; these tests hold the generator to the shape
the benchmark relies on and the benchmark to what it reports.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Avg, Count

from clienteling.attributes.models import AttributeGroupMember, AttributeValue
from clienteling.clientbooks import selectors
from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Store, Worker

pytestmark = pytest.mark.django_db

SMALL = 1000


@pytest.fixture
def scale():
    out = io.StringIO()
    call_command("seed_scale", "--customers", str(SMALL), stdout=out)
    return LegalEntity.objects.get(code="SCALE"), out.getvalue()


def test_generates_the_shape_in_proportion_and_shows_progress(scale):
    entity, output = scale
    assert Customer.objects.filter(legal_entity=entity).count() == SMALL
    assert Store.objects.filter(legal_entity=entity).count() == 5
    assert Worker.objects.filter(legal_entities=entity).count() == 50
    assert AttributeGroupMember.objects.filter(group__code="CLIENTBOOK").count() == 30
    per_customer = (
        AttributeValue.objects.filter(legal_entity=entity)
        .values("customer_id")
        .annotate(n=Count("id"))
        .aggregate(avg=Avg("n"))["avg"]
    )
    assert 9 <= per_customer <= 11
    bench = Worker.objects.get(user__username="bench")
    assert Membership.objects.filter(book__owner=bench).count() == 100
    assert StoreEntry.objects.filter(store__code="S0001").count() == SMALL
    assert f"customers {SMALL:,}/{SMALL:,}" in output
    assert "done in" in output


def test_refuses_to_generate_twice(scale):
    with pytest.raises(CommandError, match="already in this database"):
        call_command("seed_scale", "--customers", str(SMALL), stdout=io.StringIO())
    assert Customer.objects.filter(legal_entity=scale[0]).count() == SMALL


def test_bulk_rows_read_like_rows_the_services_write(scale):
    """The card rows are written in bulk: the filters must find exactly the customers whose
    attribute values match, as they would after additions through the store app."""
    entity, _ = scale
    bench = Worker.objects.select_related("user").get(user__username="bench")
    params = {"attr.PREF_CATEGORY": "Handbags", "attr.ANNIVERSARY.min": "1980-01-01"}
    card_filter = selectors.card_filter_parse(legal_entity=entity, params=params)
    page = selectors.client_book_cards(
        actor=bench, legal_entity=entity, card_filter=card_filter, limit=50
    )
    in_book = Membership.objects.filter(book__owner=bench).values("customer_id")
    handbags = AttributeValue.objects.filter(
        customer_id__in=in_book, attribute__code="PREF_CATEGORY", value_text="Handbags"
    ).values("customer_id")
    expected = AttributeValue.objects.filter(
        customer_id__in=handbags,
        attribute__code="ANNIVERSARY",
        value_date__gte=dt.date(1980, 1, 1),
    ).count()
    assert expected > 0
    assert page.total == expected
    assert all(len(card.properties) == 3 for card in page.items)

    unfiltered = selectors.client_book_cards(
        actor=bench,
        legal_entity=entity,
        card_filter=selectors.card_filter_parse(legal_entity=entity, params={}),
        limit=50,
    )
    names = [card.name for card in unfiltered.items]
    assert len(names) == 50
    assert unfiltered.total == 100


def test_bench_reports_every_measure_with_constant_queries(scale):
    out = io.StringIO()
    call_command(
        "bench",
        "--runs",
        "3",
        "--json",
        "--import-customers",
        "3000",
        "--import-sales",
        "6000",
        stdout=out,
    )
    output = out.getvalue()
    report = json.loads(output[output.index("\n{") :])
    # R-IO-2: each import ran in its own process on a scratch database, every line accepted.
    imports = {m["kind"]: m for m in report["imports"]}
    assert set(imports) == {"customers", "sales", "customers again (all updates)"}
    for measured in imports.values():
        assert measured["last_line"] == f"imported {measured['lines']}, rejected 0"
        assert measured["seconds"] > 0 and measured["peak_mb"] > 50
    assert imports["sales"]["lines"] == 6000
    measures = {r["measure"].split(" ", 1)[0]: r for r in report["results"]}
    assert set(measures) >= {"(a)", "(b)", "(c)", "(c2)", "(d)", "(e)", "timeline"}
    for name in ("(a)", "(b)", "(c)", "(c2)", "(d)", "timeline"):
        result = measures[name]
        assert result["queries_10"] == result["queries_50"], name
        assert result["p50_ms"] > 0 and result["floor_ms"] > 0
    assert measures["(a)"]["cards"] == 50
    assert measures["timeline"]["matches"] >= 10_000
    # The reassignment is measured and rolled back: the book is as generated.
    bench = Worker.objects.get(user__username="bench")
    assert Membership.objects.filter(book__owner=bench).count() == 100
    assert "| (a) client book, 50 cards |" in output
