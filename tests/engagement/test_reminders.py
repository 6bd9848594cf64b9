"""Reminders (R-TASK-2): HQ's lead time per date attribute; a daily job makes one follow-up
per customer and occasion for the book's owner, never twice, even run twice or late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from clienteling.attributes.models import Attribute
from clienteling.clientbooks.services import customers_reassign
from clienteling.engagement.models import FollowUp, ReminderRule
from clienteling.engagement.services import reminders_create
from tests.engagement.conftest import customers_in_book, set_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def birthday_rule(legal_entity):
    return ReminderRule.objects.create(
        legal_entity=legal_entity, attribute=Attribute.objects.get(code="BIRTHDAY"), lead_days=14
    )


def test_the_job_run_twice_creates_each_reminder_once(giulia, legal_entity, birthday_rule, clock):
    """R-TASK-2: birthdays within the 14 days' lead get one follow-up each for the owner; a
    second run the same day, and the next day's run, add none."""
    clock(dt.datetime(2026, 6, 1, 6, 0))
    soon, later, far = customers_in_book(giulia, legal_entity, 3)
    set_values(legal_entity, [
        (soon, "BIRTHDAY", "1980-06-03"), (later, "BIRTHDAY", "1970-06-15"),
        (far, "BIRTHDAY", "1990-06-16"),
    ])  # fmt: skip

    first = reminders_create(legal_entity=legal_entity)
    second = reminders_create(legal_entity=legal_entity)
    clock(dt.datetime(2026, 6, 2, 6, 0))
    next_day = reminders_create(legal_entity=legal_entity)

    assert (first, second, next_day) == (2, 0, 1)  # the next day reaches 16 June
    rows = FollowUp.objects.order_by("occasion")
    assert [(r.customer_id, r.owner_id, r.occasion) for r in rows] == [
        (soon.pk, giulia.pk, dt.date(2026, 6, 3)),
        (later.pk, giulia.pk, dt.date(2026, 6, 15)),
        (far.pk, giulia.pk, dt.date(2026, 6, 16)),
    ]


def test_the_command_for_cron_is_idempotent(giulia, legal_entity, birthday_rule, clock, capsys):
    """R-TASK-2: `manage.py create_reminders`, run twice, reports what it made each time."""
    clock(dt.datetime(2026, 6, 1, 6, 0))
    (customer,) = customers_in_book(giulia, legal_entity, 1)
    set_values(legal_entity, [(customer, "BIRTHDAY", "1980-06-03")])

    call_command("create_reminders")
    call_command("create_reminders", "--legal-entity", "ITJW")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "ITJW: 1 reminders created, 0 outreach outcomes",
        "ITJW: 0 reminders created, 0 outreach outcomes",
    ]
    assert FollowUp.objects.count() == 1


def test_a_late_run_still_reminds_of_occasions_to_come(giulia, legal_entity, birthday_rule, clock):
    """R-TASK-2: a job that did not run for a week catches up on occasions not yet passed."""
    clock(dt.datetime(2026, 6, 8, 6, 0))
    passed, coming = customers_in_book(giulia, legal_entity, 2)
    set_values(
        legal_entity, [(passed, "BIRTHDAY", "1980-06-07"), (coming, "BIRTHDAY", "1980-06-09")]
    )

    assert reminders_create(legal_entity=legal_entity) == 1
    assert FollowUp.objects.get().customer_id == coming.pk


def test_a_reassigned_customer_is_not_reminded_twice(
    giulia, marco, manager, legal_entity, birthday_rule, clock
):
    """R-TASK-2: once per occasion, whoever owns the book: after a reassignment the new
    owner gets no second reminder of the same birthday."""
    clock(dt.datetime(2026, 6, 1, 6, 0))
    (customer,) = customers_in_book(giulia, legal_entity, 1)
    set_values(legal_entity, [(customer, "BIRTHDAY", "1980-06-03")])
    reminders_create(legal_entity=legal_entity)
    customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=[customer], to_worker=marco
    )

    assert reminders_create(legal_entity=legal_entity) == 0
    assert FollowUp.objects.get().owner_id == giulia.pk


def test_29_february_is_reminded_on_the_28th_occasion(giulia, legal_entity, birthday_rule, clock):
    """R-TASK-2: in a year without 29 February the occasion is 28 February, as the filters
    count it, and it is made once."""
    clock(dt.datetime(2027, 2, 20, 6, 0))
    (leapling,) = customers_in_book(giulia, legal_entity, 1)
    set_values(legal_entity, [(leapling, "BIRTHDAY", "1984-02-29")])

    assert reminders_create(legal_entity=legal_entity) == 1
    clock(dt.datetime(2027, 2, 28, 6, 0))
    assert reminders_create(legal_entity=legal_entity) == 0
    assert FollowUp.objects.get().occasion == dt.date(2027, 2, 28)


def test_customers_in_no_book_and_inactive_rules_make_nothing(
    giulia, legal_entity, birthday_rule, clock
):
    """R-TASK-2: a reminder is for the owner of the customer's book; no book, no owner."""
    from tests.factories import CustomerFactory

    clock(dt.datetime(2026, 6, 1, 6, 0))
    loose = CustomerFactory.create(legal_entity=legal_entity)
    set_values(legal_entity, [(loose, "BIRTHDAY", "1980-06-03")])
    (booked,) = customers_in_book(giulia, legal_entity, 1)
    set_values(legal_entity, [(booked, "BIRTHDAY", "1980-06-03")])
    birthday_rule.active = False
    birthday_rule.save()

    assert reminders_create(legal_entity=legal_entity) == 0
    birthday_rule.active = True
    birthday_rule.save()
    assert reminders_create(legal_entity=legal_entity) == 1
    assert FollowUp.objects.get().customer_id == booked.pk
