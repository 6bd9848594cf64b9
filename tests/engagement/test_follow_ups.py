"""Follow-ups (R-TASK-1): on a customer or on every customer of a filtered selection; done and
undone on the timeline; overdue ones per associate for the manager."""

from __future__ import annotations

import datetime as dt

import pytest

from clienteling.core.errors import Forbidden, Invalid, NotFound
from clienteling.engagement import selectors, services
from clienteling.engagement.models import FollowUp
from clienteling.timeline.models import Activity
from clienteling.timeline.selectors import timeline
from tests.engagement.conftest import customers_in_book, set_values

pytestmark = pytest.mark.django_db


def test_a_follow_up_on_every_customer_of_a_selection_of_1000(giulia, legal_entity, clock):
    """R-TASK-1: the book filter 'likes shoes' selects 1,000 of 1,200 customers; each of the
    1,000, and only they, gets one follow-up for the associate, in one write."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    customers = customers_in_book(giulia, legal_entity, 1200)
    set_values(legal_entity, [
        (c, "PREF_CATEGORY", "Shoes" if i < 1000 else "Watches") for i, c in enumerate(customers)
    ])  # fmt: skip

    ids = selectors.selection_customer_ids(
        actor=giulia, legal_entity=legal_entity, query="attr.PREF_CATEGORY=Shoes"
    )
    created = services.follow_ups_create(
        actor=giulia, legal_entity=legal_entity, customer_ids=ids,
        subject="New shoe collection", due=dt.date(2026, 6, 5), note="Invite to the preview",
    )  # fmt: skip

    assert created == 1000
    rows = FollowUp.objects.filter(legal_entity=legal_entity)
    assert rows.count() == 1000
    assert set(rows.values_list("customer_id", flat=True)) == {c.pk for c in customers[:1000]}
    assert set(rows.values_list("owner_id", "subject", "due")) == {
        (giulia.pk, "New shoe collection", dt.date(2026, 6, 5))
    }


def test_a_selection_means_what_the_book_page_means(giulia, marco, legal_entity, clock):
    """R-TASK-1: the filter is the book page's query string: only the caller's book, every
    criterion combined with AND, the same upcoming-date rule."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b, c = customers_in_book(giulia, legal_entity, 3)
    (other,) = customers_in_book(marco, legal_entity, 1)
    set_values(legal_entity, [
        (a, "PREF_CATEGORY", "Shoes"), (a, "BIRTHDAY", "1980-06-10"),
        (b, "PREF_CATEGORY", "Shoes"), (b, "BIRTHDAY", "1980-07-10"),
        (c, "PREF_CATEGORY", "Watches"), (c, "BIRTHDAY", "1980-06-10"),
        (other, "PREF_CATEGORY", "Shoes"), (other, "BIRTHDAY", "1980-06-10"),
    ])  # fmt: skip

    ids = selectors.selection_customer_ids(
        actor=giulia,
        legal_entity=legal_entity,
        query="attr.PREF_CATEGORY=shoes&upcoming.BIRTHDAY=14",
    )

    assert ids == [a.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("attr.RING_SIZE=50", "attr.RING_SIZE"),  # not refinable
        ("attr.NOPE=1", "attr.NOPE"),
        ("upcoming.BIRTHDAY=9999", "upcoming.BIRTHDAY"),
        ("q=%00", "filter"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(giulia, legal_entity, query, field):
    """R-TASK-1: a filter the book page would refuse is refused the same way."""
    with pytest.raises(Invalid) as refused:
        selectors.selection_customer_ids(actor=giulia, legal_entity=legal_entity, query=query)
    assert refused.value.field == field


def test_the_store_scope_needs_the_store_books_grant(clerk, store, legal_entity):
    """R-TASK-1: the store's books are a manager's selection; an associate without the grant
    is refused naming the operation."""
    with pytest.raises(Forbidden) as refused:
        selectors.selection_customer_ids(
            actor=clerk, legal_entity=legal_entity, query="", scope="store", store=store
        )
    assert refused.value.operation == "view_store_client_books"


def test_done_and_undone_are_recorded_on_the_timeline(giulia, legal_entity, clock):
    """R-TASK-1: marking done puts an entry on the customer's timeline; done twice is one
    entry; opening it again is another entry."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    (customer,) = customers_in_book(giulia, legal_entity, 1)
    services.follow_ups_create(
        actor=giulia, legal_entity=legal_entity, customer_ids=[customer.pk],
        subject="Send the lookbook", due=dt.date(2026, 6, 2),
    )  # fmt: skip
    row = FollowUp.objects.get()

    services.follow_up_done(actor=giulia, follow_up=row)
    services.follow_up_done(actor=giulia, follow_up=row)
    services.follow_up_undone(actor=giulia, follow_up=row)

    row.refresh_from_db()
    assert row.done_at is None
    entries = [
        (e.item.type.code, e.item.subject)
        for e in timeline(actor=giulia, customer=customer).items
        if e.kind == "activity"
    ]
    assert sorted(entries) == [
        ("FOLLOWUP_DONE", "Send the lookbook"),
        ("FOLLOWUP_REOPENED", "Send the lookbook"),
    ]


def test_only_the_owner_marks_a_follow_up_done(giulia, marco, legal_entity, clock):
    """R-TASK-1: another associate's follow-up is not found, and nothing is recorded."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    (customer,) = customers_in_book(giulia, legal_entity, 1)
    services.follow_ups_create(
        actor=giulia, legal_entity=legal_entity, customer_ids=[customer.pk],
        subject="Call", due=dt.date(2026, 6, 2),
    )  # fmt: skip
    row = FollowUp.objects.get()

    with pytest.raises(NotFound):
        services.follow_up_done(actor=marco, follow_up=row)
    with pytest.raises(NotFound):
        selectors.follow_up_get(actor=marco, legal_entity=legal_entity, follow_up_id=row.pk)
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("subject", "due", "field", "rule"),
    [
        ("", dt.date(2026, 6, 2), "subject", "required"),
        ("x" * 201, dt.date(2026, 6, 2), "subject", "max_length"),
        ("Call", dt.date(2026, 5, 31), "due", "not_past"),
        ("Call", dt.date(2040, 1, 1), "due", "range"),
    ],
)
def test_bad_follow_ups_are_refused_naming_the_field(
    giulia, legal_entity, clock, subject, due, field, rule
):
    """R-TASK-1: a subject is required and short; the due day is from today to five years."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    (customer,) = customers_in_book(giulia, legal_entity, 1)
    with pytest.raises(Invalid) as refused:
        services.follow_ups_create(
            actor=giulia, legal_entity=legal_entity, customer_ids=[customer.pk],
            subject=subject, due=due,
        )  # fmt: skip
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert not FollowUp.objects.exists()


def test_a_manager_sees_overdue_follow_ups_per_associate(
    giulia, marco, manager, clerk, store, legal_entity, clock
):
    """R-TASK-1: per associate of the store, the open follow-ups past their due day."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    mine = customers_in_book(giulia, legal_entity, 3)
    theirs = customers_in_book(marco, legal_entity, 1)
    services.follow_ups_create(
        actor=giulia, legal_entity=legal_entity, customer_ids=[c.pk for c in mine],
        subject="Call", due=dt.date(2026, 6, 1),
    )  # fmt: skip
    services.follow_ups_create(
        actor=marco, legal_entity=legal_entity, customer_ids=[theirs[0].pk],
        subject="Call", due=dt.date(2026, 6, 10),
    )  # fmt: skip
    services.follow_up_done(actor=giulia, follow_up=FollowUp.objects.filter(owner=giulia)[0])
    clock(dt.datetime(2026, 6, 3, 9, 0))

    rows = selectors.overdue_follow_ups_by_associate(
        actor=manager, legal_entity=legal_entity, store=store
    )

    counts = {r.username: r.overdue for r in rows}
    assert counts["giulia"] == 2 and counts["marco"] == 0
    assert rows[0].username == "giulia"
    with pytest.raises(Forbidden):
        selectors.overdue_follow_ups_by_associate(
            actor=clerk, legal_entity=legal_entity, store=store
        )
