"""Today (R-TODAY-1): an associate's birthdays and anniversaries for 14 days, follow-ups due
or overdue, appointments today and this week, and the customers not contacted for HQ's days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clienteling.attributes.models import Attribute, AttributeGroup, AttributeGroupMember, DataType
from clienteling.clientbooks.models import ClientelingParameters, Membership
from clienteling.clientbooks.services import client_book_remove_customers
from clienteling.core.errors import FeatureDisabled, Forbidden
from clienteling.customers.models import Customer
from clienteling.engagement import selectors, services
from clienteling.engagement.models import EngagementParameters
from clienteling.timeline.services import activities_import, activity_record
from tests.engagement.conftest import customers_in_book, set_values
from tests.factories import book_add

pytestmark = pytest.mark.django_db


def dates_of(page):
    return [
        (d.customer.account, d.attribute.code, d.occasion, d.in_days, d.when) for d in page.dates
    ]


def test_birthdays_across_new_year_are_counted_in_days_from_today(giulia, legal_entity, clock):
    """R-TODAY-1: on 28 December, dates from today to 11 January show, soonest first, with the
    next year's occasions in the new year; yesterday's and the 15th day's do not."""
    clock(dt.datetime(2026, 12, 28, 10, 0))
    a, b, c, d, e = customers_in_book(giulia, legal_entity, 5)
    set_values(legal_entity, [
        (a, "BIRTHDAY", "1980-12-28"),
        (b, "BIRTHDAY", "1975-01-03"),
        (c, "ANNIVERSARY", "2010-01-11"),
        (d, "BIRTHDAY", "1990-01-12"),
        (e, "BIRTHDAY", "1984-12-27"),
    ])  # fmt: skip

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert page.today == dt.date(2026, 12, 28)
    assert dates_of(page) == [
        (a.account, "BIRTHDAY", dt.date(2026, 12, 28), 0, "today"),
        (b.account, "BIRTHDAY", dt.date(2027, 1, 3), 6, "in 6 days"),
        (c.account, "ANNIVERSARY", dt.date(2027, 1, 11), 14, "in 14 days"),
    ]


def test_today_is_the_legal_entitys_day_not_the_servers(giulia, legal_entity, clock):
    """R-TODAY-1: at 23:30 UTC on 31 December it is already 1 January in Rome."""
    clock(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC))
    (a,) = customers_in_book(giulia, legal_entity, 1)
    set_values(legal_entity, [(a, "BIRTHDAY", "1970-01-01")])

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert dates_of(page) == [(a.account, "BIRTHDAY", dt.date(2027, 1, 1), 0, "today")]


@pytest.mark.parametrize(
    ("now", "occasion", "in_days"),
    [
        (dt.datetime(2027, 2, 27, 9, 0), dt.date(2027, 2, 28), 1),  # no 29 February in 2027
        (dt.datetime(2027, 2, 28, 9, 0), dt.date(2027, 2, 28), 0),
        (dt.datetime(2028, 2, 27, 9, 0), dt.date(2028, 2, 29), 2),  # 2028 has one
        (dt.datetime(2027, 2, 16, 9, 0), dt.date(2027, 2, 28), 12),
    ],
)
def test_a_29_february_birthday_falls_on_28_february_in_other_years(
    giulia, legal_entity, clock, now, occasion, in_days
):
    """R-TODAY-1: 29 February is celebrated on 28 February in a year without one, as the
    client book's upcoming filter counts it (R-BOOK-7)."""
    clock(now)
    (leapling,) = customers_in_book(giulia, legal_entity, 1)
    set_values(legal_entity, [(leapling, "BIRTHDAY", "1984-02-29")])

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [(d.occasion, d.in_days) for d in page.dates] == [(occasion, in_days)]


def test_a_29_february_birthday_is_gone_on_1_march(giulia, legal_entity, clock):
    """R-TODAY-1: on 1 March of a non-leap year the occasion has passed."""
    clock(dt.datetime(2027, 3, 1, 9, 0))
    (leapling,) = customers_in_book(giulia, legal_entity, 1)
    set_values(legal_entity, [(leapling, "BIRTHDAY", "1984-02-29")])

    assert selectors.today_page(actor=giulia, legal_entity=legal_entity).dates == []


def test_only_the_callers_book_shows(giulia, marco, legal_entity, clock):
    """R-TODAY-1: another associate's customers are not on the caller's Today."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    (mine,) = customers_in_book(giulia, legal_entity, 1)
    (theirs,) = customers_in_book(marco, legal_entity, 1)
    set_values(legal_entity, [(mine, "BIRTHDAY", "1980-06-02"), (theirs, "BIRTHDAY", "1980-06-02")])

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [d.customer.account for d in page.dates] == [mine.account]


def test_follow_ups_due_and_overdue_show_and_done_ones_do_not(giulia, legal_entity, clock):
    """R-TODAY-1: due today and overdue, soonest first; not tomorrow's, not done ones."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b, c, d = customers_in_book(giulia, legal_entity, 4)
    for customer, due in ((a, 1), (b, 3), (c, 5), (d, 1)):
        services.follow_ups_create(
            actor=giulia, legal_entity=legal_entity, customer_ids=[customer.pk],
            subject=f"Call {customer.account}", due=dt.date(2026, 6, due),
        )  # fmt: skip
    done = selectors.follow_ups(actor=giulia, legal_entity=legal_entity).rows[-1]
    services.follow_up_done(actor=giulia, follow_up=done)
    clock(dt.datetime(2026, 6, 3, 9, 0))

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [(f.customer.account, f.due) for f in page.follow_ups] == [
        (x.account, dt.date(2026, 6, n))
        for x, n in ((a, 1), (d, 1), (b, 3))
        if x.pk != done.customer_id
    ]
    assert c.account not in [f.customer.account for f in page.follow_ups]


def test_appointments_today_and_this_week_show(giulia, legal_entity, store, activity_types, clock):
    """R-TODAY-1: the caller's appointments from today to six days ahead, in time order."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b, c = customers_in_book(giulia, legal_entity, 3)
    booked = [
        services.appointment_book(
            actor=giulia,
            customer=customer,
            start=dt.datetime(2026, 6, day, 11, 0),
            duration_minutes=30,
            store=store,
            purpose="Ring sizing",
        )
        for customer, day in ((b, 6), (a, 1), (c, 8))
    ]

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [x.pk for x in page.appointments] == [booked[1].pk, booked[0].pk]


def test_customers_not_contacted_for_hqs_days_show_longest_first(
    giulia, legal_entity, activity_types, clock
):
    """R-TODAY-1: with HQ's 30 days, a customer last seen 40 days ago and one never contacted
    show (never first); one seen 10 days ago does not."""
    EngagementParameters.objects.create(legal_entity=legal_entity, quiet_days=30)
    clock(dt.datetime(2026, 6, 1, 9, 0))
    recent, old, never = customers_in_book(giulia, legal_entity, 3)
    for customer, days in ((recent, 10), (old, 40)):
        activity_record(
            actor=giulia, customer=customer, type_code="PHONE", subject="Call",
            occurred_at=dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC) - dt.timedelta(days=days),
        )  # fmt: skip

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [q.customer.account for q in page.quiet] == [never.account, old.account]
    assert page.quiet[0].last_contact is None and page.quiet[1].last_contact is not None
    assert (page.quiet_days, page.quiet_total) == (30, 2)


def test_today_needs_the_book_grant_and_the_switch(clerk, giulia, legal_entity):
    """R-TODAY-1: Today is the client book's: refused without the grant, or with the switch off."""
    with pytest.raises(Forbidden):
        selectors.today_page(actor=clerk, legal_entity=legal_entity)
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(enabled=False)
    with pytest.raises(FeatureDisabled):
        selectors.today_page(actor=giulia, legal_entity=legal_entity)


# --- At scale: each list ordered and cut in SQL, queries constant in the book (R-SCALE-1) ---


def date_attribute(code: str, *, refinable: bool = False) -> Attribute:
    """A date attribute added to the client book group after the slots were given out: read
    from the values table, as the dates beyond the four date slots are."""
    attribute = Attribute.objects.create(
        code=code, name=code.title(), data_type=DataType.DATE, can_be_refined=refinable
    )
    group = AttributeGroup.objects.get(code="CLIENTBOOK")
    AttributeGroupMember.objects.create(group=group, attribute=attribute, display_order=50)
    return attribute


def today_queries(actor, legal_entity) -> int:
    with CaptureQueriesContext(connection) as captured:
        selectors.today_page(actor=actor, legal_entity=legal_entity)
    return len(captured)


def fill(giulia, legal_entity, count: int) -> None:
    """``count`` customers more, each with a birthday and a name day in the window, an open
    follow-up and a contact long ago."""
    made = customers_in_book(giulia, legal_entity, count)
    set_values(legal_entity, [
        row for c in made for row in ((c, "BIRTHDAY", "1980-06-03"), (c, "NAME_DAY", "2000-06-05"))
    ])  # fmt: skip
    services.follow_ups_create(
        actor=giulia, legal_entity=legal_entity, customer_ids=[c.pk for c in made],
        subject="Call", due=dt.date(2026, 6, 1),
    )  # fmt: skip
    for customer in made:
        activity_record(
            actor=giulia, customer=customer, type_code="PHONE", subject="Call",
            occurred_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC),
        )  # fmt: skip


def test_today_runs_as_many_queries_for_a_book_of_50_as_of_5(
    giulia, legal_entity, activity_types, clock
):
    """R-SCALE-1: Today's queries do not grow with the book, nor with what it lists: dates in
    a slot and beyond the slots, follow-ups, quiet customers."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    date_attribute("NAME_DAY", refinable=True)
    fill(giulia, legal_entity, 5)
    small = today_queries(giulia, legal_entity)
    fill(giulia, legal_entity, 45)

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert (len(page.dates), page.dates_total, page.quiet_total) == (100, 100, 50)
    assert today_queries(giulia, legal_entity) == small


def test_dates_beyond_the_slots_sort_with_the_slotted_ones(giulia, legal_entity, clock):
    """R-TODAY-1: a date attribute without a filter slot (read from the values table) is
    ordered with those in slots: by day, then name, then attribute."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    date_attribute("NAME_DAY")
    a, b, c = customers_in_book(giulia, legal_entity, 3)
    set_values(legal_entity, [
        (c, "NAME_DAY", "2001-06-02"),
        (b, "BIRTHDAY", "1980-06-02"),
        (a, "NAME_DAY", "2001-06-04"),
        (a, "ANNIVERSARY", "2010-06-02"),
        (b, "NAME_DAY", "2001-06-02"),
    ])  # fmt: skip

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [(d.customer.account, d.attribute.code, d.in_days) for d in page.dates] == sorted(
        [
            (a.account, "ANNIVERSARY", 1),
            (b.account, "BIRTHDAY", 1),
            (b.account, "NAME_DAY", 1),
            (c.account, "NAME_DAY", 1),
            (a.account, "NAME_DAY", 3),
        ],
        key=lambda row: (row[2], sort_name_of(row[0]), row[0], row[1]),
    )
    assert (page.dates_total, page.dates_more) == (5, [])


def sort_name_of(account: str) -> str:
    return Customer.objects.get(account=account).sort_name


def test_a_29_february_birthday_sorts_by_name_with_28_february_ones(giulia, legal_entity, clock):
    """R-TODAY-1: in a year without 29 February, its birthdays fall on the 28th and sort by
    name among that day's, in a slot and in the values table alike."""
    clock(dt.datetime(2027, 2, 27, 9, 0))
    date_attribute("NAME_DAY")
    a, b, c = customers_in_book(giulia, legal_entity, 3)
    set_values(legal_entity, [
        (c, "BIRTHDAY", "1984-02-29"),
        (a, "BIRTHDAY", "1990-02-28"),
        (b, "NAME_DAY", "2000-02-29"),
    ])  # fmt: skip

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    expected = sorted([a, b, c], key=lambda x: (x.sort_name, x.pk))
    assert [d.customer.account for d in page.dates] == [x.account for x in expected]
    assert {(d.occasion, d.in_days) for d in page.dates} == {(dt.date(2027, 2, 28), 1)}


def test_a_long_list_of_dates_is_cut_and_says_how_many_more_with_the_books_filter(
    giulia, legal_entity, clock, monkeypatch
):
    """R-TODAY-1: beyond the first dates, Today says how many more of each attribute there
    are, with the client book filter that lists them (``upcoming.CODE=14``) where the
    attribute filters the book."""
    monkeypatch.setattr(selectors, "TODAY_LIMIT", 2)
    clock(dt.datetime(2026, 6, 1, 9, 0))
    date_attribute("NAME_DAY")
    a, b, c, d = customers_in_book(giulia, legal_entity, 4)
    set_values(legal_entity, [
        (a, "BIRTHDAY", "1980-06-01"),
        (b, "BIRTHDAY", "1980-06-02"),
        (c, "BIRTHDAY", "1980-06-03"),
        (d, "BIRTHDAY", "1980-06-09"),
        (d, "NAME_DAY", "2000-06-10"),
    ])  # fmt: skip

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [x.customer.account for x in page.dates] == [a.account, b.account]
    assert page.dates_total == 5
    assert [(m.attribute.code, m.count, m.query) for m in page.dates_more] == [
        ("BIRTHDAY", 2, "upcoming.BIRTHDAY=14"),
        ("NAME_DAY", 1, ""),
    ]


def test_the_last_contact_comes_from_every_way_an_activity_is_recorded(
    giulia, marco, legal_entity, activity_types, store, clock
):
    """R-TODAY-1: the quiet list reads each card row's last contact; it moves with a recorded
    activity, a booked appointment (from when it was booked, not its start ahead), an imported
    activity, and a customer added to a book carries the contact recorded before."""
    EngagementParameters.objects.create(legal_entity=legal_entity, quiet_days=30)
    now = clock(dt.datetime(2026, 6, 1, 9, 0))
    called, booked, imported, moved, never = customers_in_book(giulia, legal_entity, 5)
    activity_record(
        actor=giulia, customer=called, type_code="PHONE", subject="Call",
        occurred_at=now - dt.timedelta(days=2),
    )  # fmt: skip
    services.appointment_book(
        actor=giulia, customer=booked, start=now + dt.timedelta(days=3), duration_minutes=30,
        store=store, purpose="Fitting",
    )  # fmt: skip
    assert activities_import(
        legal_entity=legal_entity,
        rows=[{
            "account": imported.account, "type": "VISIT", "subject": "Visit",
            "occurred_at": now - dt.timedelta(days=5), "description": "",
            "worker": giulia.user.username, "store": "",
        }],
    ) == {}  # fmt: skip
    # moved: contacted by marco while in marco's book, then moved to giulia's.
    client_book_remove_customers(actor=giulia, legal_entity=legal_entity, customers=[moved])
    book_add(marco, moved, legal_entity=legal_entity)
    activity_record(
        actor=marco, customer=moved, type_code="PHONE", subject="Call",
        occurred_at=now - dt.timedelta(days=1),
    )  # fmt: skip
    client_book_remove_customers(actor=marco, legal_entity=legal_entity, customers=[moved])
    book_add(giulia, moved, legal_entity=legal_entity)

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    assert [q.customer.account for q in page.quiet] == [never.account]
    assert page.quiet_total == 1
    rows = dict(
        Membership.objects.filter(book__owner=giulia).values_list("customer", "last_contact")
    )
    assert rows[booked.pk] == now
    assert rows[moved.pk] == now - dt.timedelta(days=1)
    # An older activity recorded later does not move the last contact back.
    activity_record(
        actor=giulia, customer=called, type_code="PHONE", subject="Earlier call",
        occurred_at=now - dt.timedelta(days=60),
    )  # fmt: skip
    assert Membership.objects.get(customer=called).last_contact == now - dt.timedelta(days=2)


def test_the_migration_fills_the_last_contact_of_rows_already_there(
    giulia, legal_entity, activity_types, store, clock
):
    """The migration that adds the column fills it from the activities on record, with the
    rule the services keep (an appointment counts from its booking), in this database's SQL."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps as django_apps
    from django.db import connection

    migration = importlib.import_module("clienteling.clientbooks.migrations.0004_last_contact")
    now = clock(dt.datetime(2026, 6, 1, 9, 0))
    called, booked, never = customers_in_book(giulia, legal_entity, 3)
    activity_record(
        actor=giulia, customer=called, type_code="PHONE", subject="Call",
        occurred_at=now - dt.timedelta(days=2),
    )  # fmt: skip
    services.appointment_book(
        actor=giulia, customer=booked, start=now + dt.timedelta(days=3), duration_minutes=30,
        store=store, purpose="Fitting",
    )  # fmt: skip
    kept = dict(Membership.objects.values_list("customer", "last_contact"))
    Membership.objects.update(last_contact=None)

    # The schema editor's execute, without its DDL set-up (SQLite refuses that in a test's
    # transaction): the function runs only statements.
    editor = SimpleNamespace(connection=connection, execute=connection.cursor().execute)
    migration.fill_last_contact(django_apps, editor)

    assert dict(Membership.objects.values_list("customer", "last_contact")) == kept
    assert kept[called.pk] == now - dt.timedelta(days=2)
    assert kept[booked.pk] == now and kept[never.pk] is None


def test_quiet_customers_are_cut_and_counted(
    giulia, legal_entity, activity_types, clock, monkeypatch
):
    """R-TODAY-1: the quiet list is cut; the count is of every quiet customer of the book."""
    monkeypatch.setattr(selectors, "QUIET_LIMIT", 2)
    EngagementParameters.objects.create(legal_entity=legal_entity, quiet_days=30)
    clock(dt.datetime(2026, 6, 1, 9, 0))
    made = customers_in_book(giulia, legal_entity, 4)
    activity_record(
        actor=giulia, customer=made[0], type_code="PHONE", subject="Call",
        occurred_at=dt.datetime(2026, 5, 30, 9, 0, tzinfo=dt.UTC),
    )  # fmt: skip

    page = selectors.today_page(actor=giulia, legal_entity=legal_entity)

    never = sorted(made[1:], key=lambda x: (x.sort_name, x.pk))
    assert [q.customer.account for q in page.quiet] == [x.account for x in never[:2]]
    assert page.quiet_total == 3
