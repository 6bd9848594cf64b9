"""Appointments (R-APPT-1): booked with a start, duration, store and purpose; listed per
associate and per store for a day and a week; never two at once for an associate; an .ics
download; on the timeline through the appointment activity type."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from clienteling.core.errors import Conflict, Forbidden, Invalid, NotFound
from clienteling.customers.models import Customer
from clienteling.engagement import ics, selectors, services
from clienteling.engagement.models import Appointment
from clienteling.organization.models import Store, Worker
from clienteling.timeline.selectors import timeline
from tests.clientbooks.test_concurrency import run_together
from tests.factories import CustomerFactory

ROME = zoneinfo.ZoneInfo("Europe/Rome")


def book(actor, customer, store, start, minutes=60, purpose="Private viewing"):
    return services.appointment_book(
        actor=actor, customer=customer, start=start, duration_minutes=minutes, store=store,
        purpose=purpose,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_booking_is_on_the_timeline_with_the_appointment_type(
    giulia, legal_entity, store, activity_types, clock
):
    """R-APPT-1: the booking is an activity of HQ's appointment type at its start, so the
    existing appointments' history and the new ones read alike."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    customer = CustomerFactory.create(legal_entity=legal_entity)

    booked = book(giulia, customer, store, dt.datetime(2026, 6, 2, 15, 0, tzinfo=ROME), 45)

    entry = timeline(actor=giulia, customer=customer).items[0]
    assert entry.item.pk == booked.activity_id
    assert entry.item.type.code == "APPOINTMENT" and entry.upcoming
    assert entry.item.scheduled_start == booked.start
    assert (entry.item.duration_minutes, entry.item.subject) == (45, "Private viewing")


@pytest.mark.django_db
def test_a_start_without_an_offset_is_the_legal_entitys_local_time(
    giulia, legal_entity, store, clock
):
    """R-APPT-1: 15:00 with no offset is 15:00 in Rome (13:00 UTC in summer)."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    customer = CustomerFactory.create(legal_entity=legal_entity)

    booked = book(giulia, customer, store, dt.datetime(2026, 6, 2, 15, 0))

    assert booked.start == dt.datetime(2026, 6, 2, 13, 0, tzinfo=dt.UTC)
    assert booked.end - booked.start == dt.timedelta(hours=1)


@pytest.mark.django_db
def test_an_associate_cannot_be_double_booked(giulia, marco, legal_entity, store, clock):
    """R-APPT-1: an overlapping booking of the same associate is a conflict naming the one in
    the way; back-to-back, or another associate at the same time, is fine."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b, c, d = CustomerFactory.create_batch(4, legal_entity=legal_entity)
    first = book(giulia, a, store, dt.datetime(2026, 6, 2, 10, 0))

    with pytest.raises(Conflict) as refused:
        book(giulia, b, store, dt.datetime(2026, 6, 2, 10, 30))
    book(giulia, c, store, dt.datetime(2026, 6, 2, 11, 0))
    book(marco, d, store, dt.datetime(2026, 6, 2, 10, 0))

    assert refused.value.details["appointment"] == first.pk
    assert Appointment.objects.filter(associate=giulia).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_double_booking_race_leaves_one_appointment(monkeypatch):
    """R-APPT-1: two requests booking one associate at the same moment: one wins, the other
    is a conflict. On PostgreSQL the service's own check is switched off here, so that the
    exclusion constraint alone decides; SQLite serialises the writers and the check decides."""
    from tests.factories import LegalEntityFactory, StoreFactory, WorkerFactory, clienteling_setup

    legal_entity = LegalEntityFactory.create(code="ITJW")
    clienteling_setup(legal_entity)
    store = StoreFactory.create(legal_entity=legal_entity, code="MI01")
    giulia = WorkerFactory.create(user__username="giulia", stores=[store])
    customers = CustomerFactory.create_batch(2, legal_entity=legal_entity)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        monkeypatch.setattr(services, "_overlapping", lambda *args: None)

    def call(customer_id: int):
        def run():
            actor = Worker.objects.select_related("user").get(pk=giulia.pk)
            return book(
                actor, Customer.objects.get(pk=customer_id), Store.objects.get(pk=store.pk), start
            )

        return run

    results = run_together(call(customers[0].pk), call(customers[1].pk))

    assert sorted(type(r).__name__ for r in results) == ["Appointment", "Conflict"]
    assert Appointment.objects.filter(associate=giulia).count() == 1
    if on_postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT contype FROM pg_constraint WHERE conname = 'appointment_no_double_booking'"
            )
            assert cursor.fetchone() == ("x",)  # an exclusion constraint


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "minutes", "purpose", "field", "rule"),
    [
        (dt.datetime(2026, 5, 31, 10, 0), 30, "Fitting", "start", "not_past"),
        (dt.datetime(2029, 1, 1, 10, 0), 30, "Fitting", "start", "range"),
        (dt.datetime(2026, 6, 2, 10, 0), 0, "Fitting", "duration_minutes", "range"),
        (dt.datetime(2026, 6, 2, 10, 0), 721, "Fitting", "duration_minutes", "range"),
        (dt.datetime(2026, 6, 2, 10, 0), 30, "  ", "purpose", "required"),
    ],
)
def test_bad_bookings_are_refused_naming_the_field(
    giulia, legal_entity, store, clock, start, minutes, purpose, field, rule
):
    """R-APPT-1: a start from now to two years ahead, 1 to 720 minutes, a purpose."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    customer = CustomerFactory.create(legal_entity=legal_entity)
    with pytest.raises(Invalid) as refused:
        book(giulia, customer, store, start, minutes, purpose)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_store_the_associate_does_not_work_in_is_not_found(giulia, legal_entity, rome, clock):
    """R-APPT-1: one books at one's own stores."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    customer = CustomerFactory.create(legal_entity=legal_entity)
    with pytest.raises(NotFound):
        book(giulia, customer, rome, dt.datetime(2026, 6, 2, 10, 0))


@pytest.mark.django_db
def test_day_and_week_lists_per_associate_and_per_store(
    giulia, marco, manager, legal_entity, store, clock
):
    """R-APPT-1: the caller's day, the caller's week, the store's day and one associate's."""
    clock(dt.datetime(2026, 6, 1, 8, 0))
    a, b, c, d = CustomerFactory.create_batch(4, legal_entity=legal_entity)
    g1 = book(giulia, a, store, dt.datetime(2026, 6, 1, 10, 0))
    g2 = book(giulia, b, store, dt.datetime(2026, 6, 5, 10, 0))
    book(giulia, c, store, dt.datetime(2026, 6, 8, 10, 0))  # the next week
    m1 = book(marco, d, store, dt.datetime(2026, 6, 1, 9, 0))

    def ids(**kwargs):
        return [x.pk for x in selectors.appointments_list(legal_entity=legal_entity, **kwargs)]

    assert ids(actor=giulia) == [g1.pk]
    assert ids(actor=giulia, span="week") == [g1.pk, g2.pk]
    assert ids(actor=manager, store=store) == [m1.pk, g1.pk]
    assert ids(actor=manager, store=store, associate=marco) == [m1.pk]
    assert ids(actor=giulia, day=dt.date(2026, 6, 5)) == [g2.pk]


@pytest.mark.django_db
def test_the_ics_is_one_rfc_5545_event(giulia, legal_entity, store, clock):
    """R-APPT-1: VCALENDAR with one VEVENT in UTC, CRLF line ends, escaped text, folded lines."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    customer = CustomerFactory.create(
        legal_entity=legal_entity, first_name="Niccolò", last_name="Rossi, jr."
    )
    booked = book(
        giulia, customer, store, dt.datetime(2026, 6, 2, 15, 0), 90, "Sizing; " + "é" * 60
    )

    text = ics.appointment_ics(booked, host="example.com")

    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART:20260602T130000Z\r\n" in unfolded
    assert "DTEND:20260602T143000Z\r\n" in unfolded
    assert "SUMMARY:Sizing\\; " + "é" * 60 + ": Niccolò Rossi\\, jr.\r\n" in unfolded
    assert f"UID:appointment-{booked.pk}-ITJW@example.com\r\n" in unfolded
    assert unfolded.count("BEGIN:VEVENT") == 1


@pytest.mark.django_db
def test_a_cancelled_appointment_frees_its_time_and_says_so(
    giulia, legal_entity, store, activity_types, clock
):
    """R-APPT-1: cancelling keeps the appointment, marked, with a timeline entry naming who
    cancelled it; its time can be booked again (on PostgreSQL past the exclusion constraint
    too); the lists leave it out; its .ics says CANCELLED; cancelling again changes nothing."""
    now = clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b = CustomerFactory.create_batch(2, legal_entity=legal_entity)
    first = book(giulia, a, store, dt.datetime(2026, 6, 1, 15, 0))

    cancelled = services.appointment_cancel(actor=giulia, appointment=first)
    again = services.appointment_cancel(actor=giulia, appointment=first)
    second = book(giulia, b, store, dt.datetime(2026, 6, 1, 15, 0))

    assert (cancelled.cancelled_at, cancelled.cancelled_by) == (now, giulia)
    assert again.cancelled_at == now
    assert [x.pk for x in selectors.appointments_list(actor=giulia, legal_entity=legal_entity)] == [
        second.pk
    ]
    today = selectors.today_page(actor=giulia, legal_entity=legal_entity)
    assert [x.pk for x in today.appointments] == [second.pk]
    entries = [e.item for e in timeline(actor=giulia, customer=a).items]
    said = [e for e in entries if e.type.code == "APPT_CANCELLED"]
    assert len(said) == 1 and said[0].author == giulia and said[0].subject == "Private viewing"
    first.refresh_from_db()
    text = ics.appointment_ics(first).replace("\r\n ", "")
    assert "STATUS:CANCELLED\r\n" in text and "SEQUENCE:1\r\n" in text


@pytest.mark.django_db
def test_the_associate_booked_or_a_manager_of_the_store_cancels(
    giulia, marco, manager, paolo, legal_entity, store, clock
):
    """R-APPT-1: another associate of the store, or one of another store, cannot cancel
    giulia's appointment (they may read it: forbidden, not hidden); the store's manager can."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    booked = book(giulia, CustomerFactory.create(legal_entity=legal_entity), store,
                  dt.datetime(2026, 6, 2, 10, 0))  # fmt: skip

    for other in (marco, paolo):
        with pytest.raises(Forbidden):
            services.appointment_cancel(actor=other, appointment=booked)
    booked.refresh_from_db()
    assert booked.cancelled_at is None

    assert services.appointment_cancel(actor=manager, appointment=booked).cancelled_by == manager


@pytest.mark.django_db
def test_an_appointment_that_has_ended_cannot_be_cancelled(giulia, legal_entity, store, clock):
    """R-APPT-1: once over, an appointment is history: cancelling it is refused, named."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    booked = book(giulia, CustomerFactory.create(legal_entity=legal_entity), store,
                  dt.datetime(2026, 6, 1, 10, 0), 60)  # fmt: skip
    clock(dt.datetime(2026, 6, 1, 11, 30))

    with pytest.raises(Invalid) as refused:
        services.appointment_cancel(actor=giulia, appointment=booked)

    assert (refused.value.field, refused.value.rule) == ("id", "ended")
    booked.refresh_from_db()
    assert booked.cancelled_at is None


@pytest.mark.django_db
def test_a_cancelled_appointment_needs_who_cancelled_it_in_the_database(
    giulia, legal_entity, store, clock
):
    """The pair (cancelled at, cancelled by) is both or neither, held by a CHECK constraint."""
    from django.db import IntegrityError, transaction

    clock(dt.datetime(2026, 6, 1, 9, 0))
    booked = book(giulia, CustomerFactory.create(legal_entity=legal_entity), store,
                  dt.datetime(2026, 6, 2, 10, 0))  # fmt: skip

    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=booked.pk).update(cancelled_at=dt.datetime.now(dt.UTC))
