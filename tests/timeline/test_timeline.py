"""Activity types, activities, notes and the customer timeline (SPEC §7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clienteling.clientbooks import services as books
from clienteling.core.errors import Forbidden, Invalid, NotFound
from clienteling.timeline import selectors, services
from clienteling.timeline.models import Activity, ActivityType, BookEvent, Note, NoteChange

pytestmark = pytest.mark.django_db


def record(actor, customer, type_code="PHONE", subject="Called about the new collection", **kw):
    return services.activity_record(
        actor=actor, customer=customer, type_code=type_code, subject=subject, **kw
    )


# --- R-ACT-1: activity types -------------------------------------------------------------


def test_only_active_types_are_offered_for_new_activities(legal_entity, activity_types):
    """R-ACT-1: a retired type leaves the list of types offered."""
    retired = activity_types["EMAIL"]
    retired.active = False
    services.activity_type_save(activity_type=retired)
    offered = [t.code for t in selectors.activity_types(legal_entity=legal_entity)]
    assert offered == ["VISIT", "PHONE", "APPOINTMENT"]
    every = selectors.activity_types(legal_entity=legal_entity, include_retired=True)
    assert [t.code for t in every] == ["VISIT", "EMAIL", "PHONE", "APPOINTMENT"]


def test_a_retired_type_keeps_its_history(giulia, customers, activity_types):
    """R-ACT-1: activities of a type recorded before it retired stay on the timeline."""
    record(giulia, customers[0], type_code="EMAIL", subject="Sent the lookbook")
    email = activity_types["EMAIL"]
    email.active = False
    services.activity_type_save(activity_type=email)
    page = selectors.timeline(actor=giulia, customer=customers[0])
    assert [e.item.subject for e in page.items] == ["Sent the lookbook"]


def test_recording_an_activity_of_a_retired_type_is_refused(giulia, customers, activity_types):
    """R-ACT-1: a retired type is refused for new activities, naming the field."""
    email = activity_types["EMAIL"]
    email.active = False
    services.activity_type_save(activity_type=email)
    with pytest.raises(Invalid) as error:
        record(giulia, customers[0], type_code="EMAIL")
    assert (error.value.field, error.value.rule) == ("type", "retired")
    assert not Activity.objects.exists()


def test_activity_type_codes_are_unique_per_legal_entity(legal_entity, activity_types):
    """R-ACT-1: the database refuses a second PHONE in the same legal entity."""
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityType.objects.create(legal_entity=legal_entity, code="PHONE", name="Phone")


def test_a_changed_type_is_read_at_the_next_request_not_from_a_stale_cache(
    legal_entity, activity_types
):
    """R-ACT-4: the cached list follows a change at once (in this process; the two-process
    case is tests/timeline/test_cache_processes.py)."""
    assert "Phone call" in [t.name for t in selectors.activity_types(legal_entity=legal_entity)]
    phone = activity_types["PHONE"]
    phone.name = "Telephone"
    services.activity_type_save(activity_type=phone)
    names = [t.name for t in selectors.activity_types(legal_entity=legal_entity)]
    assert "Telephone" in names and "Phone call" not in names


def test_activity_types_are_read_from_the_cache_between_changes(
    legal_entity, activity_types, django_assert_num_queries
):
    """R-ACT-4: what every request reads costs no query once cached."""
    selectors.activity_types(legal_entity=legal_entity)
    with django_assert_num_queries(0):
        selectors.activity_types(legal_entity=legal_entity)


# --- R-ACT-2: activities -----------------------------------------------------------------


def test_an_activity_records_type_time_subject_author_and_store(
    giulia, store, customers, activity_types
):
    """R-ACT-2: type, when, subject, description, who and at which store."""
    when = timezone.now() - dt.timedelta(hours=2)
    activity = record(
        giulia,
        customers[0],
        type_code="VISIT",
        subject="Tried the Aurora ring",
        description="Size 52; wants it in rose gold.",
        occurred_at=when,
        store=store,
    )
    activity.refresh_from_db()
    assert (activity.type.code, activity.occurred_at, activity.author, activity.store) == (
        "VISIT",
        when,
        giulia,
        store,
    )
    assert activity.description == "Size 52; wants it in rose gold."


def test_an_appointment_sits_at_its_scheduled_start_and_is_upcoming_until_then(
    giulia, customers, activity_types
):
    """R-ACT-2: an appointment has a scheduled start and duration; it shows as upcoming."""
    start = timezone.now() + dt.timedelta(days=3)
    record(giulia, customers[0], subject="Anniversary gift", type_code="PHONE")
    appointment = record(
        giulia,
        customers[0],
        type_code="APPOINTMENT",
        subject="Private viewing",
        scheduled_start=start,
        duration_minutes=45,
    )
    assert appointment.occurred_at == start
    page = selectors.timeline(actor=giulia, customer=customers[0])
    assert [(e.item.subject, e.upcoming) for e in page.items] == [
        ("Private viewing", True),
        ("Anniversary gift", False),
    ]
    assert selectors.upcoming_appointments(actor=giulia, customer=customers[0]) == [appointment]


@pytest.mark.parametrize(
    ("type_code", "extra", "field", "rule"),
    [
        ("APPOINTMENT", {}, "scheduled_start", "required"),
        (
            "APPOINTMENT",
            {"scheduled_start": "soon", "duration_minutes": 0},
            "duration_minutes",
            "range",
        ),
        (
            "PHONE",
            {"scheduled_start": "soon", "duration_minutes": 30},
            "scheduled_start",
            "not_appointment",
        ),
        ("FAX", {}, "type", "unknown"),
    ],
)
def test_an_incomplete_or_wrong_activity_is_refused_and_nothing_is_saved(
    giulia, customers, activity_types, type_code, extra, field, rule
):
    """R-ACT-2: unknown type, appointment without time, schedule on a non-appointment."""
    if extra.get("scheduled_start") == "soon":
        extra = {**extra, "scheduled_start": timezone.now() + dt.timedelta(days=1)}
    with pytest.raises(Invalid) as error:
        record(giulia, customers[0], type_code=type_code, **extra)
    assert (error.value.field, error.value.rule) == (field, rule)
    assert not Activity.objects.exists()


@pytest.mark.parametrize("subject", ["", "   ", "x" * 201])
def test_an_activity_needs_a_subject_of_reasonable_length(
    giulia, customers, activity_types, subject
):
    """R-ACT-2: a missing or overlong subject is refused, naming the field."""
    with pytest.raises(Invalid) as error:
        record(giulia, customers[0], subject=subject)
    assert error.value.field == "subject"
    assert not Activity.objects.exists()


def test_a_past_activity_cannot_be_dated_in_the_future(giulia, customers, activity_types):
    """R-ACT-2: only appointments lie ahead."""
    with pytest.raises(Invalid) as error:
        record(giulia, customers[0], occurred_at=timezone.now() + dt.timedelta(days=1))
    assert error.value.field == "occurred_at"


def test_any_offset_is_stored_as_the_same_moment(giulia, customers, activity_types):
    """R-ACT-2: an offset beyond what the database accepts (-20:09) is still that moment."""
    local = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone(-dt.timedelta(hours=20, minutes=9)))

    activity = record(giulia, customers[0], occurred_at=local)

    activity.refresh_from_db()
    assert activity.occurred_at == local
    assert activity.occurred_at.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("occurred_at", {"occurred_at": dt.datetime(1333, 6, 8, 23, 17, tzinfo=dt.UTC)}),
        ("occurred_at", {"occurred_at": dt.datetime(2026, 1, 1, 9)}),  # no offset
        (
            "scheduled_start",
            {
                "type_code": "APPOINTMENT",
                "scheduled_start": timezone.now() + dt.timedelta(days=6 * 366),
                "duration_minutes": 30,
            },
        ),
    ],
)
def test_times_out_of_range_are_refused_naming_the_field(
    giulia, customers, activity_types, field, kwargs
):
    with pytest.raises(Invalid) as error:
        record(giulia, customers[0], **kwargs)

    assert error.value.field == field
    assert not Activity.objects.exists()


def test_an_activity_at_a_store_the_author_does_not_work_in_is_refused(
    giulia, customers, activity_types, legal_entity
):
    """R-ACT-2: the store is one of the author's."""
    from tests.factories import StoreFactory

    elsewhere = StoreFactory.create(legal_entity=legal_entity, code="RM01")
    with pytest.raises(Invalid) as error:
        record(giulia, customers[0], store=elsewhere)
    assert error.value.field == "store"


def test_the_database_refuses_an_appointment_without_a_duration(giulia, customers, activity_types):
    """R-ACT-2: the schedule invariant holds even past the service."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(
            legal_entity=customers[0].legal_entity,
            customer=customers[0],
            type=activity_types["APPOINTMENT"],
            occurred_at=timezone.now(),
            subject="Fitting",
            author=giulia,
            scheduled_start=timezone.now(),
        )


# --- R-ACT-3: the timeline ---------------------------------------------------------------


def test_the_timeline_mixes_activities_notes_and_book_events_newest_first(
    giulia, legal_entity, customers, activity_types
):
    """R-ACT-3: one view of everything that happened with the customer."""
    customer = customers[0]
    books.client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=[customer])
    record(giulia, customer, subject="First call")
    services.note_create(actor=giulia, customer=customer, text="Prefers yellow gold.")
    page = selectors.timeline(actor=giulia, customer=customer)
    assert [e.kind for e in page.items] == ["note", "activity", "book_event"]
    event = page.items[-1].item
    assert (event.kind, event.owner, event.actor) == ("added", giulia, giulia)
    assert page.next_cursor is None


def test_the_timeline_pages_through_a_long_history_without_gaps_or_repeats(
    giulia, customers, activity_types
):
    """R-ACT-3: keyset pages walk every entry exactly once, also with equal timestamps."""
    customer = customers[0]
    same_time = timezone.now() - dt.timedelta(days=1)
    for n in range(7):
        record(giulia, customer, subject=f"call {n}", occurred_at=same_time)
        services.note_create(actor=giulia, customer=customer, text=f"note {n}")
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        page = selectors.timeline(actor=giulia, customer=customer, cursor=cursor, limit=4)
        seen.extend((e.kind, e.id) for e in page.items)
        assert len(page.items) <= 4
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 14 and len(set(seen)) == 14
    everything = selectors.timeline(actor=giulia, customer=customer, limit=50)
    assert [(e.kind, e.id) for e in everything.items] == seen


def test_a_timeline_page_costs_the_same_queries_whatever_the_history(
    giulia, legal_entity, customers, activity_types
):
    """R-ACT-3: no query per entry."""
    customer = customers[0]
    books.client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=[customer])
    record(giulia, customer)
    services.note_create(actor=giulia, customer=customer, text="hello")
    with CaptureQueriesContext(transaction.get_connection()) as few:
        selectors.timeline(actor=giulia, customer=customer)
    for n in range(30):
        record(giulia, customer, subject=f"call {n}")
        services.note_create(actor=giulia, customer=customer, text=f"note {n}")
    books.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customer]
    )
    with CaptureQueriesContext(transaction.get_connection()) as many:
        page = selectors.timeline(actor=giulia, customer=customer)
    assert len(page.items) == 50
    assert len(many) == len(few)


def test_reassigning_and_removing_are_on_the_timeline_with_who_and_whom(
    giulia, marco, manager, legal_entity, customers, activity_types
):
    """R-ACT-3: client-book events: moved from marco to giulia by sara, then removed."""
    customer = customers[0]
    books.client_book_add_customers(actor=marco, legal_entity=legal_entity, customers=[customer])
    books.customers_reassign(
        actor=manager, legal_entity=legal_entity, customers=[customer], to_worker=giulia
    )
    books.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customer]
    )
    events = [
        (
            e.kind,
            e.owner.username,
            e.previous_owner.username if e.previous_owner else None,
            e.actor.username if e.actor else None,
        )
        for e in BookEvent.objects.filter(customer=customer).order_by("id")
    ]
    assert events == [
        ("added", "marco", None, "marco"),
        ("reassigned", "giulia", "marco", "sara"),
        ("removed", "giulia", None, "giulia"),
    ]


# --- R-NOTE-1, R-NOTE-2: notes and who sees them -----------------------------------------


def test_a_note_keeps_its_author_and_time(giulia, customers):
    """R-NOTE-1: free text with author and time."""
    before = timezone.now()
    note = services.note_create(actor=giulia, customer=customers[0], text="  Allergic to nickel. ")
    assert (note.text, note.author) == ("Allergic to nickel.", giulia)
    assert before <= note.created_at <= timezone.now()


def test_an_empty_note_is_refused(giulia, customers):
    """R-NOTE-1: a note has text."""
    with pytest.raises(Invalid) as error:
        services.note_create(actor=giulia, customer=customers[0], text="   ")
    assert error.value.field == "text"
    assert not Note.objects.exists()


def test_the_author_edits_a_note_within_a_day_and_the_change_is_recorded(giulia, customers):
    """R-NOTE-1: the previous text is kept."""
    note = services.note_create(actor=giulia, customer=customers[0], text="Size 52")
    services.note_update(actor=giulia, note=note, text="Size 53")
    note.refresh_from_db()
    assert note.text == "Size 53" and note.edited_at is not None
    change = NoteChange.objects.get(note=note)
    assert (change.kind, change.previous_text, change.changed_by) == ("edited", "Size 52", giulia)


def test_the_author_deletes_a_note_and_it_leaves_the_timeline_but_not_the_record(giulia, customers):
    """R-NOTE-1: a deleted note is gone from view; what it said is kept."""
    note = services.note_create(actor=giulia, customer=customers[0], text="Call after 6pm")
    services.note_delete(actor=giulia, note=note)
    assert selectors.timeline(actor=giulia, customer=customers[0]).items == []
    assert NoteChange.objects.get(note=note).previous_text == "Call after 6pm"


def test_someone_else_may_not_change_a_note(giulia, marco, customers):
    """R-NOTE-1: only the author changes a note."""
    note = services.note_create(actor=giulia, customer=customers[0], text="VIP")
    with pytest.raises(Forbidden):
        services.note_update(actor=marco, note=note, text="not VIP")
    with pytest.raises(Forbidden):
        services.note_delete(actor=marco, note=note)
    note.refresh_from_db()
    assert note.text == "VIP" and note.deleted_at is None


def test_a_note_older_than_a_day_can_no_longer_be_changed(giulia, customers):
    """R-NOTE-1: after a day the note is part of the record."""
    note = services.note_create(actor=giulia, customer=customers[0], text="Old")
    Note.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1, minutes=1)
    )
    with pytest.raises(Forbidden):
        services.note_update(actor=giulia, note=note, text="New")
    assert Note.objects.get(pk=note.pk).text == "Old"


def test_every_reader_of_the_legal_entity_sees_every_note_and_activity(
    giulia, marco, carla, legal_entity, customers, activity_types
):
    """R-NOTE-2: giulia writes on a customer in marco's book; marco and carla see it."""
    customer = customers[0]
    books.client_book_add_customers(actor=marco, legal_entity=legal_entity, customers=[customer])
    record(giulia, customer, subject="Phoned about the watch")
    services.note_create(actor=giulia, customer=customer, text="Wants the Luna watch")
    for reader in (marco, carla):
        kinds = [e.kind for e in selectors.timeline(actor=reader, customer=customer).items]
        assert kinds == ["note", "activity", "book_event"], reader


def test_a_worker_of_another_legal_entity_finds_no_customer(
    giulia, stranger, customers, activity_types
):
    """R-NOTE-2: nothing across legal entities: not the timeline, not a new note."""
    services.note_create(actor=giulia, customer=customers[0], text="Private")
    with pytest.raises(NotFound):
        selectors.timeline(actor=stranger, customer=customers[0])
    with pytest.raises(NotFound):
        services.note_create(actor=stranger, customer=customers[0], text="Hello")
    assert Note.objects.count() == 1


def test_a_worker_without_the_details_grant_may_not_read_or_write(
    legal_entity, store, customers, activity_types
):
    """R-PERM-3: notes and activities need the customer-details grant."""
    from clienteling.organization.access import Operation
    from tests.factories import WorkerFactory

    clerk = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])
    with pytest.raises(Forbidden):
        selectors.timeline(actor=clerk, customer=customers[0])
    with pytest.raises(Forbidden):
        record(clerk, customers[0])
    assert not Activity.objects.exists()
