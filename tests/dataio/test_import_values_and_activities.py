"""Importing attribute values and past activities (R-IO-2): the rules of the store app and the
API, per line; a second run of the same file changes nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from clienteling.attributes.models import AttributeValue
from clienteling.clientbooks.models import Membership
from clienteling.timeline.models import Activity
from tests.dataio.conftest import csv_bytes, run_import
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db


def values_of(customer) -> dict[str, object]:
    return {
        v.attribute.code: v.value
        for v in AttributeValue.objects.filter(customer=customer).select_related("attribute")
    }


def test_attribute_values_are_set_cleared_and_refused_by_the_attribute_rules(
    legal_entity, other_legal_entity, giulia
):
    """R-IO-1, R-IO-2, R-ATTR-4: each reason names the column; the card's filter slot follows."""
    anna = CustomerFactory.create(legal_entity=legal_entity, account="IT1")
    book_add(giulia, anna)
    CustomerFactory.create(legal_entity=other_legal_entity, account="LT1")
    data = csv_bytes(
        "account,attribute,value",
        "IT1,PREF_CATEGORY,handbags",
        "IT1,BIRTHDAY,1980-02-29",
        "IT1,RING_SIZE,52.5",
        "IT1,RING_SIZE,99",
        "IT1,NOPE,1",
        "LT1,RING_SIZE,50",
        "IT1,BIRTHDAY,29/02/1980",
        "IT1,PREF_CATEGORY,Boats",
        "IT1,FAV_BRAND,x",
    )
    outcome, rows = run_import(legal_entity, "attribute-values", data)
    assert (outcome.imported, outcome.rejected) == (4, 5)
    assert [row.split(",")[:2] for row in rows[1:]] == [
        ["5", "value"],
        ["6", "attribute"],
        ["7", "account"],
        ["8", "value"],
        ["9", "value"],
    ]
    assert "at most 75" in rows[1]
    assert values_of(anna) == {
        "PREF_CATEGORY": "Handbags",
        "BIRTHDAY": dt.date(1980, 2, 29),
        "RING_SIZE": pytest.approx(52.5),
        "FAV_BRAND": "x",
    }
    card = Membership.objects.get(customer=anna)
    assert "handbags" in {getattr(card, f"text_{n}") for n in (1, 2, 3)}
    # An empty value clears; importing the same file twice changes nothing more.
    run_import(
        legal_entity, "attribute-values", csv_bytes("account,attribute,value", "IT1,FAV_BRAND,")
    )
    assert "FAV_BRAND" not in values_of(anna)
    again, _rows = run_import(legal_entity, "attribute-values", data)
    assert again.imported == 4 and AttributeValue.objects.filter(customer=anna).count() == 4


def test_activities_are_recorded_once_with_the_rules_of_the_timeline(
    legal_entity, other_legal_entity, store, giulia, activity_types
):
    """R-IO-1, R-IO-2, R-ACT-2: type, time, worker and store are checked; a re-run adds nothing."""
    CustomerFactory.create(legal_entity=legal_entity, account="IT1")
    header = "account,type,occurred_at,subject,description,worker,store"
    data = csv_bytes(
        header,
        "IT1,VISIT,2025-03-01T10:00:00+01:00,Tried rings,Liked the gold ones,giulia,MI01",
        "IT1,PHONE,2025-03-02,,,giulia,",
        "IT1,APPOINTMENT,2025-03-03T10:00,Fitting,,giulia,",
        "IT1,FAX,2025-03-03T10:00,,,giulia,",
        "IT1,VISIT,yesterday,,,giulia,",
        "IT1,VISIT,2999-01-01,,,giulia,",
        "IT1,VISIT,2025-03-01,,,nobody,",
        "IT1,VISIT,2025-03-01,,,giulia,XX01",
        "IT2,VISIT,2025-03-01,,,giulia,",
    )
    outcome, rows = run_import(legal_entity, "activities", data)
    assert (outcome.imported, outcome.rejected) == (2, 7)
    assert [row.split(",")[:2] for row in rows[1:]] == [
        ["4", "type"],
        ["5", "type"],
        ["6", "occurred_at"],
        ["7", "occurred_at"],
        ["8", "worker"],
        ["9", "store"],
        ["10", "account"],
    ]
    visit, call = Activity.objects.order_by("occurred_at")
    assert (visit.subject, visit.description, visit.store, visit.author) == (
        "Tried rings",
        "Liked the gold ones",
        store,
        giulia,
    )
    rome = zoneinfo.ZoneInfo("Europe/Rome")
    assert visit.occurred_at == dt.datetime(2025, 3, 1, 10, tzinfo=rome)
    # A date alone is midnight where the legal entity is; no subject takes the type's name.
    assert call.occurred_at == dt.datetime(2025, 3, 2, tzinfo=rome)
    assert call.subject == "Phone call"
    again, _rows = run_import(legal_entity, "activities", data)
    assert again.imported == 2 and Activity.objects.count() == 2


def test_book_assignments_add_and_move_customers_with_the_card_rows_and_timeline(
    legal_entity, other_legal_entity, store, giulia, marco, carla
):
    """R-IO-2, R-BOOK-2: exclusive mode moves a customer from another book; the store view and
    the timeline follow; a worker who may not hold a book, or of another legal entity, is
    refused; a second run changes nothing."""
    from clienteling.clientbooks.models import StoreEntry
    from clienteling.timeline.models import BookEvent
    from tests.factories import WorkerFactory

    anna, bruno, carla_customer = (
        CustomerFactory.create(legal_entity=legal_entity, account=f"IT{n}") for n in (1, 2, 3)
    )
    book_add(marco, bruno)
    book_add(giulia, carla_customer)
    WorkerFactory.create(user__username="lina", legal_entity=other_legal_entity)
    data = csv_bytes(
        "account,worker",
        "IT1,giulia",
        "IT2,giulia",
        "IT3,giulia",
        "IT9,giulia",
        "IT1,nobody",
        "IT1,lina",
        "IT1,carla",
    )
    outcome, rows = run_import(legal_entity, "book-assignments", data)
    assert (outcome.imported, outcome.rejected) == (3, 4)
    assert [row.split(",")[:2] for row in rows[1:]] == [
        ["5", "account"],
        ["6", "worker"],
        ["7", "worker"],
        ["8", "worker"],
    ]
    books = dict(Membership.objects.values_list("customer__account", "book__owner__user__username"))
    assert books == {"IT1": "giulia", "IT2": "giulia", "IT3": "giulia"}
    shown = set(
        StoreEntry.objects.filter(store=store).values_list(
            "customer__account", "owner__user__username"
        )
    )
    assert shown == {("IT1", "giulia"), ("IT2", "giulia"), ("IT3", "giulia")}
    events = {(e.customer.account, e.kind, e.actor) for e in BookEvent.objects.filter(actor=None)}
    assert events == {("IT1", "added", None), ("IT2", "reassigned", None)}
    again, _rows = run_import(legal_entity, "book-assignments", data)
    assert again.imported == 3
    assert Membership.objects.count() == 3 and BookEvent.objects.filter(actor=None).count() == 2
    assert anna.book_memberships.get().is_primary


def test_book_assignments_in_shared_mode_add_beside_and_need_clienteling_on(
    legal_entity, giulia, marco
):
    """R-IO-2, R-BOOK-2, R-FEAT-1."""
    from clienteling.clientbooks.models import ClientelingParameters, MembershipMode
    from clienteling.core.errors import FeatureDisabled

    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(
        membership_mode=MembershipMode.SHARED
    )
    bruno = CustomerFactory.create(legal_entity=legal_entity, account="IT2")
    book_add(marco, bruno)
    outcome, _rows = run_import(
        legal_entity, "book-assignments", csv_bytes("account,worker", "IT2,giulia")
    )
    assert outcome.imported == 1
    held = dict(Membership.objects.values_list("book__owner__user__username", "is_primary"))
    assert held == {"marco": True, "giulia": False}
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(enabled=False)
    with pytest.raises(FeatureDisabled):
        run_import(legal_entity, "book-assignments", csv_bytes("account,worker", "IT2,giulia"))


def test_sales_lines_import_by_transaction_and_line_with_their_rejects(legal_entity, store):
    """R-IO-2, R-SALE-1: the sales kind goes through sales_upsert; a second run adds nothing."""
    from clienteling.sales.models import SaleLine

    CustomerFactory.create(legal_entity=legal_entity, account="IT1")
    data = csv_bytes(
        "transaction,line,account,sold_at,store,category,amount,currency",
        "T1,1,IT1,2026-03-01,MI01,Handbags,1850.00,",
        "T1,2,IT1,2026-03-01T11:30:00+01:00,MI01,Shoes,-90.50,EUR",
        "T2,1,IT9,2026-03-02,,Shoes,10,",
        "T2,2,IT1,2026-03-02,XX01,Shoes,10,",
        "T2,3,IT1,2026-03-02,,Shoes,ten,",
        "T2,4,IT1,2026-03-02,,Shoes,10,ZZZ",
    )
    outcome, rows = run_import(legal_entity, "sales", data)
    assert (outcome.imported, outcome.rejected) == (2, 4)
    assert [row.split(",")[:2] for row in rows[1:]] == [
        ["4", "account"],
        ["5", "store"],
        ["6", "amount"],
        ["7", "currency"],
    ]
    again, _rows = run_import(legal_entity, "sales", data)
    assert again.imported == 2 and SaleLine.objects.count() == 2
    assert sorted(SaleLine.objects.values_list("amount", flat=True)) == [
        pytest.approx(-90.5),
        pytest.approx(1850),
    ]
