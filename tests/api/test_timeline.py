"""Activity types, activities, notes and the timeline in the API (SPEC §7, CONTRACT.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clienteling.clientbooks.services import client_book_add_customers
from clienteling.engagement.models import Appointment
from clienteling.organization.access import Operation
from clienteling.timeline import services
from clienteling.timeline.models import Activity, Note
from tests.api.conftest import assert_error
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db
LE = "/legal-entities/ITJW"


def path(customer, what: str = "activities") -> str:
    return f"{LE}/customers/{customer.account}/{what}"


def test_activity_types_lists_the_active_types_in_display_order(as_worker, giulia, activity_types):
    """R-ACT-1: retired types are not offered."""
    retired = activity_types["EMAIL"]
    retired.active = False
    services.activity_type_save(activity_type=retired)
    body = as_worker(giulia).get(f"{LE}/activity-types").json()
    assert [(t["code"], t["is_appointment"]) for t in body] == [
        ("VISIT", False),
        ("PHONE", False),
        ("APPOINTMENT", True),
    ]


def test_recording_an_activity_answers_201_with_it(as_worker, giulia, customers, activity_types):
    """R-ACT-2: type, subject, description, store; author is the caller."""
    response = as_worker(giulia).post(
        path(customers[0]),
        {
            "type": "VISIT",
            "subject": "Tried the Aurora ring",
            "description": "Size 52",
            "store": "MI01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["author"], body["store"], body["upcoming"]) == (
        "VISIT",
        "giulia",
        "MI01",
        False,
    )
    assert Activity.objects.get().subject == "Tried the Aurora ring"


@pytest.mark.parametrize(
    ("missing", "field"),
    [("scheduled_start", "scheduled_start"), ("duration_minutes", "duration_minutes")],
)
def test_an_appointment_needs_its_schedule(
    as_worker, giulia, customers, activity_types, missing, field
):
    """R-ACT-2: an appointment without its start or duration is a 422 naming the field."""
    body = {
        "type": "APPOINTMENT",
        "subject": "Private viewing",
        "scheduled_start": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        "duration_minutes": 45,
        "store": "MI01",
    }
    del body[missing]
    assert_error(as_worker(giulia).post(path(customers[0]), body), 422, "invalid", field)
    assert not Activity.objects.exists()
    assert not Appointment.objects.exists()


def test_an_appointment_activity_is_booked_and_upcoming(
    as_worker, giulia, customers, activity_types
):
    """R-ACT-2 and R-APPT-1: an appointment type recorded through the API is booked."""
    start = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    response = as_worker(giulia).post(
        path(customers[0]),
        {
            "type": "APPOINTMENT",
            "subject": "Private viewing",
            "scheduled_start": start.isoformat(),
            "duration_minutes": 45,
            "store": "MI01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["upcoming"] is True and body["duration_minutes"] == 45
    assert dt.datetime.fromisoformat(body["scheduled_start"]) == start
    appointment = Appointment.objects.get()
    assert (appointment.associate, appointment.start) == (giulia, start)
    assert appointment.activity_id == body["id"]


def test_an_appointment_activity_cannot_double_book(as_worker, giulia, customers, activity_types):
    """R-APPT-1: the activities endpoint is no way around the double-booking check."""
    start = timezone.now() + dt.timedelta(days=2)
    api = as_worker(giulia)
    first = {
        "type": "APPOINTMENT",
        "subject": "Private viewing",
        "scheduled_start": start.isoformat(),
        "duration_minutes": 60,
        "store": "MI01",
    }
    assert api.post(path(customers[0]), first).status_code == 201
    overlapping = first | {"scheduled_start": (start + dt.timedelta(minutes=30)).isoformat()}
    assert_error(api.post(path(customers[1]), overlapping), 409, "conflict", "start")
    assert Appointment.objects.count() == 1 and Activity.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"type": "FAX", "subject": "x"}, 422, "type"),
        ({"type": "PHONE", "subject": "   "}, 422, "subject"),
        ({"type": "PHONE"}, 422, "subject"),
        (
            {"type": "PHONE", "subject": "x", "occurred_at": "2026-11-01T10:00:00"},
            422,
            "occurred_at",
        ),
        ({"type": "PHONE", "subject": "x", "store": "RM99"}, 404, "store"),
        # Found by schemathesis: an offset PostgreSQL does not take, in the year 1333.
        (
            {"type": "EMAIL", "subject": "x", "occurred_at": "1333-06-08T23:17:02-20:09"},
            422,
            "occurred_at",
        ),
    ],
)
def test_bad_activities_are_refused_naming_the_field(
    as_worker, giulia, customers, activity_types, body, status, field
):
    """§13: unknown type, blank or missing subject, a time without offset, a foreign store."""
    response = as_worker(giulia).post(path(customers[0]), body)
    assert_error(response, status, "invalid" if status == 422 else "not_found", field)
    assert not Activity.objects.exists()


def test_the_timeline_mixes_activities_notes_and_book_events(
    as_worker, giulia, marco, legal_entity, customers, activity_types
):
    """R-ACT-3, R-NOTE-2: marco reads what giulia recorded on his customer."""
    customer = customers[0]
    client_book_add_customers(actor=marco, legal_entity=legal_entity, customers=[customer])
    api = as_worker(giulia)
    api.post(path(customer), {"type": "PHONE", "subject": "Called"})
    api.post(path(customer, "notes"), {"text": "Prefers rose gold"})
    body = as_worker(marco).get(path(customer), {"limit": 2}).json()
    assert [e["kind"] for e in body["items"]] == ["note", "activity"]
    assert body["items"][0]["note"]["author"] == "giulia"
    assert body["items"][1]["activity"]["subject"] == "Called"
    rest = as_worker(marco).get(path(customer), {"cursor": body["next_cursor"]}).json()
    assert [e["kind"] for e in rest["items"]] == ["book_event"]
    assert rest["items"][0]["book_event"] == {
        "kind": "added",
        "book": rest["items"][0]["book_event"]["book"],
        "owner": "marco",
        "previous_owner": None,
        "by": "marco",
    }
    assert rest["next_cursor"] is None


def test_notes_are_listed_newest_first_and_written_with_201(as_worker, giulia, marco, customers):
    """R-NOTE-1: author and time."""
    api = as_worker(giulia)
    first = api.post(path(customers[0], "notes"), {"text": "First"})
    assert first.status_code == 201 and first.json()["author"] == "giulia"
    as_worker(marco).post(path(customers[0], "notes"), {"text": "Second"})
    body = api.get(path(customers[0], "notes")).json()
    assert [(n["text"], n["author"]) for n in body["items"]] == [
        ("Second", "marco"),
        ("First", "giulia"),
    ]


def test_the_author_corrects_and_deletes_a_note_others_may_not(as_worker, giulia, marco, customers):
    """R-NOTE-1: only the author, within a day; the change is recorded."""
    note_id = as_worker(giulia).post(path(customers[0], "notes"), {"text": "Size 52"}).json()["id"]
    url = f"{path(customers[0], 'notes')}/{note_id}"
    assert_error(as_worker(marco).patch(url, {"text": "Size 53"}), 403, "forbidden")
    fixed = as_worker(giulia).patch(url, {"text": "Size 53"})
    assert fixed.status_code == 200 and fixed.json()["edited_at"] is not None
    gone = as_worker(giulia).client.delete(f"/api/v1{url}", headers=as_worker(giulia).headers)
    assert gone.status_code == 204
    assert Note.objects.get().deleted_at is not None
    assert_error(as_worker(giulia).patch(url, {"text": "again"}), 404, "not_found")


def test_a_retried_note_with_the_same_key_is_written_once(as_worker, giulia, customers):
    """R-API-1: Idempotency-Key on POST."""
    api = as_worker(giulia)
    headers = {"Idempotency-Key": "note-1"}
    first = api.post(path(customers[0], "notes"), {"text": "Once"}, **headers)
    again = api.post(path(customers[0], "notes"), {"text": "Once"}, **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Note.objects.count() == 1


def test_a_worker_of_another_legal_entity_gets_404(as_worker, customers, activity_types):
    """Tenancy: another legal entity's customer does not exist for the caller."""
    from tests.factories import LegalEntityFactory, StoreFactory, clienteling_setup

    other = LegalEntityFactory.create(code="LTFA")
    clienteling_setup(other)
    rasa = WorkerFactory.create(
        user__username="rasa", stores=[StoreFactory.create(legal_entity=other)]
    )
    assert_error(as_worker(rasa).get(path(customers[0])), 404, "not_found")
    assert_error(
        as_worker(rasa).post(path(customers[0], "notes"), {"text": "hello"}), 404, "not_found"
    )


def test_without_the_details_grant_the_timeline_is_403(as_worker, store, customers):
    """R-PERM-3: the customer-details grant."""
    clerk = WorkerFactory.create(stores=[store], operations=[Operation.VIEW_OWN_BOOK])
    assert_error(as_worker(clerk).get(path(customers[0])), 403, "forbidden")


def test_unauthenticated_calls_are_401(anonymous, customers):
    assert_error(anonymous.get(path(customers[0])), 401, "unauthenticated")
    assert_error(anonymous.get(f"{LE}/activity-types"), 401, "unauthenticated")
