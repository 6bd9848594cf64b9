"""The timeline on the customer's details in the store app (R-ACT-2, R-ACT-3, R-NOTE-1)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from clienteling.clientbooks.models import ClientelingParameters
from clienteling.engagement.models import Appointment
from clienteling.timeline import services
from clienteling.timeline.models import Activity, Note

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_of(client):
    def open_page(worker, customer):
        client.force_login(worker.user)
        return reverse("storeapp:customer", args=[customer.account])

    return open_page


def test_recording_a_phone_call_puts_it_on_the_timeline(
    client, page_of, giulia, store, customers, activity_types
):
    """R-ACT-2, R-ACT-3: the form records type, subject, author and the current store."""
    url = page_of(giulia, customers[0])
    response = client.post(
        url,
        {"action": "activity", "type": "PHONE", "subject": "Asked about the Luna watch"},
        follow=True,
    )
    assert "Activity recorded." in response.content.decode()
    activity = Activity.objects.get()
    assert (activity.type.code, activity.author, activity.store) == ("PHONE", giulia, store)
    assert 'data-kind="activity"' in response.content.decode()
    assert "Asked about the Luna watch" in response.content.decode()


def test_the_activity_form_offers_booking_instead_of_the_appointment_type(
    client, page_of, giulia, customers, activity_types
):
    """R-APPT-1, R-ACT-2: with clienteling on, the form does not offer the appointment type
    (booking checks the associate is free; recording would not) and links to booking."""
    url = page_of(giulia, customers[0])
    page = client.get(url).content.decode()
    offered = re.findall(r'<option value="([A-Z_]+)" data-appointment', page)
    assert offered and "APPOINTMENT" not in offered and "PHONE" in offered
    booking = f"/appointments/new/?account={customers[0].account}"
    assert f'href="{booking}" data-testid="book-instead"' in page
    assert 'name="scheduled_start"' not in page


def test_an_appointment_type_posted_anyway_is_booked_and_never_twice(
    client, page_of, giulia, customers, activity_types
):
    """R-APPT-1: the form does not offer appointment types; a crafted post of one is booked
    as an appointment at the current store, through the double-booking check."""
    url = page_of(giulia, customers[0])
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    post = {
        "action": "activity",
        "type": "APPOINTMENT",
        "subject": "Private viewing",
        "scheduled_start": start.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "45",
    }
    assert client.post(url, post).status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.associate, appointment.start, appointment.purpose) == (
        giulia,
        start,
        "Private viewing",
    )

    again = client.post(page_of(giulia, customers[1]), post, follow=True)
    assert "already has an appointment at that time" in again.content.decode()
    assert Appointment.objects.count() == 1 and Activity.objects.count() == 1


def test_with_clienteling_off_an_appointment_is_still_recorded_as_an_activity(
    client, page_of, giulia, customers, activity_types, legal_entity
):
    """R-ACT-2: with clienteling off there is no booking to go through; the form records an
    appointment at its scheduled start, read in the legal entity's time zone, as before."""
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(enabled=False)
    url = page_of(giulia, customers[0])
    start = (timezone.localtime() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    assert 'name="scheduled_start"' in client.get(url).content.decode()
    client.post(
        url,
        {
            "action": "activity",
            "type": "APPOINTMENT",
            "subject": "Private viewing",
            "scheduled_start": start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "45",
        },
    )
    activity = Activity.objects.get()
    assert activity.scheduled_start == start
    page = client.get(url).content.decode()
    assert "Upcoming appointments" in page and "upcoming" in page


def test_a_bad_time_is_refused_with_the_field_named(
    client, page_of, giulia, customers, activity_types
):
    """§13: bad input is a readable message, never a server error."""
    url = page_of(giulia, customers[0])
    response = client.post(
        url,
        {"action": "activity", "type": "PHONE", "subject": "Call", "occurred_at": "yesterday"},
    )
    assert response.status_code == 422
    assert "Enter a date and time" in response.content.decode()


def test_a_note_is_written_changed_and_deleted_by_its_author(client, page_of, giulia, customers):
    """R-NOTE-1: write, correct, withdraw."""
    url = page_of(giulia, customers[0])
    client.post(url, {"action": "note", "text": "Prefers rose gold"})
    note = Note.objects.get()
    page = client.get(url).content.decode()
    assert "Prefers rose gold" in page and "Change or delete" in page
    client.post(url, {"action": "note-edit", "note": note.id, "text": "Prefers white gold"})
    assert "Prefers white gold" in client.get(url).content.decode()
    client.post(url, {"action": "note-delete", "note": note.id})
    page = client.get(url).content.decode()
    assert "Prefers white gold" not in page
    assert Note.objects.get().deleted_at is not None


def test_another_associate_sees_the_note_but_may_not_change_it(
    client, page_of, giulia, marco, customers
):
    """R-NOTE-2: every reader sees every note; only the author changes it."""
    note = services.note_create(actor=giulia, customer=customers[0], text="Anniversary in May")
    url = page_of(marco, customers[0])
    page = client.get(url).content.decode()
    assert "Anniversary in May" in page and "Change or delete" not in page
    response = client.post(url, {"action": "note-delete", "note": note.id}, follow=True)
    assert "Only the author may change a note." in response.content.decode()
    assert Note.objects.get().deleted_at is None


def test_the_timeline_shows_more_pages_on_request(
    client, page_of, giulia, customers, activity_types
):
    """R-ACT-3: paged; "Show more" continues after the last entry."""
    for n in range(55):
        services.note_create(actor=giulia, customer=customers[0], text=f"note number {n}")
    url = page_of(giulia, customers[0])
    page = client.get(url).content.decode()
    assert page.count('data-kind="note"') == 50
    assert "note number 54" in page and "note number 4<" not in page
    more = reverse("storeapp:customer_timeline", args=[customers[0].account])
    cursor = page.split(f"{more}?cursor=")[1].split('"')[0]
    rest = client.get(f"{more}?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert rest.count('data-kind="note"') == 5
    assert "note number 0" in rest


def test_customer_service_sees_contact_notes_and_activities_but_no_book_operations(
    client, page_of, giulia, marco, carla, legal_entity, customers, activity_types
):
    """R-NOTE-1, R-NOTE-2, R-PERM-2: the customer-service view of a customer."""
    from clienteling.clientbooks import services as books

    books.client_book_add_customers(
        actor=marco, legal_entity=legal_entity, customers=[customers[0]]
    )
    services.activity_record(
        actor=giulia, customer=customers[0], type_code="PHONE", subject="Phoned about repairs"
    )
    services.note_create(actor=giulia, customer=customers[0], text="Ring resized")
    page = client.get(page_of(carla, customers[0])).content.decode()
    assert customers[0].email in page
    assert "Phoned about repairs" in page and "Ring resized" in page
    assert "Add to my client book" not in page and "Remove from my client book" not in page


def test_customer_service_without_a_store_searches_the_whole_legal_entity(client, carla, customers):
    """R-SRCH-1: a worker with no store has every store of the legal entity to search."""
    client.force_login(carla.user)
    page = client.get(reverse("storeapp:search"), {"q": customers[0].account}).content.decode()
    assert customers[0].account in page
    assert "You search every store of the legal entity" in page
