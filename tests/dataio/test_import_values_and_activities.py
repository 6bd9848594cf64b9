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
    """R-IO-2, R-ATTR-4: each reason names the column; the card's filter slot follows."""
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
    """R-IO-2, R-ACT-2: type, time, worker and store are checked; a re-run adds nothing."""
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
