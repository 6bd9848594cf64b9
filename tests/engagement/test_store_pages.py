"""The store app's pages for acting on the book (R-TODAY-1, R-TASK-1, R-APPT-1, R-OUT-1):
Today with one tap to the customer and to a follow-up done; a follow-up on a book selection;
booking, with a double booking shown beside the start; sending an e-mail with the counts."""

from __future__ import annotations

import datetime as dt

import pytest

from clienteling.engagement import services
from clienteling.engagement.models import Appointment, FollowUp, Outreach
from tests.engagement.conftest import customers_in_book, set_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_giulia(client, giulia):
    client.force_login(giulia.user)
    return client


def test_today_page_links_each_entry_and_marks_done_in_one_tap(
    as_giulia, giulia, legal_entity, clock
):
    """R-TODAY-1: a birthday in 3 days says so and links to the customer; a due follow-up has
    a Done button that marks it done."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b = customers_in_book(giulia, legal_entity, 2)
    set_values(legal_entity, [(a, "BIRTHDAY", "1980-06-04")])
    services.follow_ups_create(
        actor=giulia, legal_entity=legal_entity, customer_ids=[b.pk], subject="Call back",
        due=dt.date(2026, 6, 1),
    )  # fmt: skip
    row = FollowUp.objects.get()

    page = as_giulia.get("/today/")
    done = as_giulia.post(f"/follow-ups/{row.pk}/done/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "in 3 days" in text and f"/customers/{a.account}/" in text
    assert "Call back" in text and f"/follow-ups/{row.pk}/done/" in text
    assert done.status_code == 302
    row.refresh_from_db()
    assert row.done_at is not None


def test_a_follow_up_on_a_book_selection(as_giulia, giulia, legal_entity, clock):
    """R-TASK-1: the form acts on the customers the book's filter shows."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b, _c = customers_in_book(giulia, legal_entity, 3)
    set_values(legal_entity, [(a, "PREF_CATEGORY", "Shoes"), (b, "PREF_CATEGORY", "Shoes")])
    url = "/follow-ups/new/?scope=book&filter=attr.PREF_CATEGORY%3DShoes"

    form = as_giulia.get(url)
    made = as_giulia.post(url, {"subject": "New shoes", "due": "2026-06-03", "note": ""})
    refused = as_giulia.post(url, {"subject": "New shoes", "due": "2026-05-01", "note": ""})

    assert form.status_code == 200 and "2 customers" in form.content.decode()
    # Typed in the app's language, as its hint says (R-UX-2); ISO is taken too.
    assert 'name="due" value="01/06/2026"' in form.content.decode()
    assert "dd/mm/yyyy" in form.content.decode()
    assert made.status_code == 302
    assert set(FollowUp.objects.values_list("customer_id", flat=True)) == {a.pk, b.pk}
    assert refused.status_code == 422
    assert "past" in refused.content.decode()


def test_booking_shows_a_double_booking_beside_the_start(
    as_giulia, giulia, legal_entity, store, clock
):
    """R-APPT-1: the second booking at the same time is refused on the form, nothing booked."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b = customers_in_book(giulia, legal_entity, 2)
    body = {"start": "2026-06-02T10:00", "duration_minutes": "60", "store": "MI01",
            "purpose": "Fitting"}  # fmt: skip

    first = as_giulia.post(f"/appointments/new/?account={a.account}", body)
    second = as_giulia.post(f"/appointments/new/?account={b.account}", body)
    calendar = as_giulia.get(f"/appointments/{Appointment.objects.get().pk}/ics/")

    assert first.status_code == 302
    assert second.status_code == 422
    assert "already has an appointment" in second.content.decode()
    assert Appointment.objects.count() == 1
    assert calendar["Content-Type"].startswith("text/calendar")


def test_an_appointment_on_today_is_cancelled_there_and_its_time_is_free(
    as_giulia, giulia, legal_entity, store, clock
):
    """R-APPT-1: Today's appointment has a Cancel button (it asks first, in app.js); after it
    Today says what was cancelled and lists it no more; a GET changes nothing."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    (a,) = customers_in_book(giulia, legal_entity, 1)
    booked = services.appointment_book(
        actor=giulia, customer=a, start=dt.datetime(2026, 6, 1, 16, 0), duration_minutes=30,
        store=store, purpose="Fitting",
    )  # fmt: skip
    cancel = f"/appointments/{booked.pk}/cancel/"

    before = as_giulia.get("/today/").content.decode()
    looked = as_giulia.get(cancel)
    done = as_giulia.post(cancel, follow=True)

    assert f'action="{cancel}"' in before and "data-confirm=" in before
    assert looked.status_code == 405
    assert done.status_code == 200
    text = done.content.decode()
    assert f"Cancelled: Fitting, {a.display_name}" in text
    assert cancel not in text
    booked.refresh_from_db()
    assert booked.cancelled_by == giulia


def test_sending_an_email_shows_who_gets_it_and_who_is_left_out(
    as_giulia, giulia, legal_entity, templates, clock
):
    """R-OUT-1: the counts before sending; the messages are queued for the background job."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b = customers_in_book(giulia, legal_entity, 2)
    a.consent_email, b.consent_email = True, False
    a.save()
    b.save()

    page = as_giulia.get("/outreach/new/?scope=book&filter=")
    sent = as_giulia.post("/outreach/new/?scope=book&filter=", {"template": "BIRTHDAY"})
    outreach = Outreach.objects.get()
    shown = as_giulia.get(sent["Location"])
    again = as_giulia.get(sent["Location"])

    assert page.status_code == 200 and "BIRTHDAY" in page.content.decode()
    # Posted, then redirected: reloading shows the progress and sends nothing again.
    assert sent.status_code == 302 and sent["Location"] == f"/outreach/new/?sent={outreach.pk}"
    text = shown.content.decode()
    assert "1 customer will receive it." in text
    assert "no consent to e-mail: 1" in text
    assert 'data-status="queued"' in text and "Sending: 0 of 1 so far." in text
    assert f'hx-get="/outreach/new/?sent={outreach.pk}"' in text  # refreshed while it runs
    assert again.status_code == 200
    assert Outreach.objects.count() == 1 and outreach.recipients == 1


def test_the_progress_of_an_outreach_is_only_its_senders(
    client, as_giulia, giulia, marco, legal_entity, templates
):
    """R-OUT-1: another associate, or a made-up number, is told it is not found."""
    (a,) = customers_in_book(giulia, legal_entity, 1, consent_email=True)
    as_giulia.post(f"/outreach/new/?account={a.account}", {"template": "BIRTHDAY"})
    outreach = Outreach.objects.get()
    client.force_login(marco.user)

    for sent in (str(outreach.pk), "0", "x", "9" * 30):
        assert client.get(f"/outreach/new/?sent={sent}").status_code == 404


def test_the_customer_page_links_to_the_three_actions(as_giulia, giulia, legal_entity):
    """R-TASK-1, R-APPT-1, R-OUT-1: a follow-up, a booking and an e-mail, one tap from the
    customer; a follow-up made there leads back to the customer."""
    (a,) = customers_in_book(giulia, legal_entity, 1)
    account = a.account

    page = as_giulia.get(f"/customers/{account}/").content.decode()
    made = as_giulia.post(
        f"/follow-ups/new/?account={account}",
        {"subject": "Call back", "due": str(dt.date.today() + dt.timedelta(days=7)), "note": ""},
    )

    for path in ("/follow-ups/new/", "/appointments/new/", "/outreach/new/"):
        assert f'href="{path}?account={account}"' in page
    assert made.status_code == 302 and made["Location"] == f"/customers/{account}/"


def test_the_book_pages_offer_a_follow_up_and_an_e_mail_for_all_that_match(
    client, as_giulia, giulia, manager, legal_entity
):
    """R-TASK-1, R-OUT-1: beside the export, for the filter shown (book, and store view)."""
    customers_in_book(giulia, legal_entity, 2)
    book = as_giulia.get("/book/?q=a&sort=name").content.decode()
    client.force_login(manager.user)
    store = client.get("/store-books/?q=a").content.decode()

    assert 'href="/follow-ups/new/?scope=book&amp;filter=q%3Da%26sort%3Dname"' in book
    assert 'href="/outreach/new/?scope=book&amp;filter=q%3Da%26sort%3Dname"' in book
    assert 'href="/follow-ups/new/?scope=store&amp;filter=q%3Da"' in store
    assert 'href="/outreach/new/?scope=store&amp;filter=q%3Da"' in store


def test_a_selection_reads_its_dates_as_the_book_page_does(as_giulia, giulia, legal_entity):
    """R-TASK-1, R-BOOK-7: a date range typed in the app's format selects what the book shows."""
    a, b = customers_in_book(giulia, legal_entity, 2)
    set_values(legal_entity, [(a, "BIRTHDAY", "1980-06-04"), (b, "BIRTHDAY", "1990-06-04")])
    query = "attr.BIRTHDAY.min=01/01/1985&attr.BIRTHDAY.max=31/12/1995"
    book = as_giulia.get(f"/book/?{query}").content.decode()

    form = as_giulia.get("/follow-ups/new/", {"scope": "book", "filter": query})

    assert book.count('<li class="card"') == 1
    assert form.status_code == 200
    assert "1 customer of the selection" in form.content.decode()


def test_the_due_date_is_typed_in_the_app_language(as_giulia, giulia, legal_entity, clock):
    """R-UX-2, R-TASK-1: in Italian the due date reads and is typed as 03/06/2026."""
    clock(dt.datetime(2026, 6, 1, 9, 0))
    (a,) = customers_in_book(giulia, legal_entity, 1)
    url = f"/follow-ups/new/?account={a.account}"

    form = as_giulia.get(url, HTTP_ACCEPT_LANGUAGE="it")
    made = as_giulia.post(
        url, {"subject": "Richiamare", "due": "03/06/2026", "note": ""}, HTTP_ACCEPT_LANGUAGE="it"
    )

    assert 'name="due" value="01/06/2026"' in form.content.decode()
    assert made.status_code == 302
    assert FollowUp.objects.get().due == dt.date(2026, 6, 3)


def test_today_links_the_dates_it_leaves_out_to_the_filtered_book(
    as_giulia, giulia, legal_entity, clock, monkeypatch
):
    """R-TODAY-1: a cut list of dates ends with "and N more", linked to the client book
    filtered to the same dates."""
    from clienteling.engagement import selectors

    monkeypatch.setattr(selectors, "TODAY_LIMIT", 1)
    clock(dt.datetime(2026, 6, 1, 9, 0))
    a, b, c = customers_in_book(giulia, legal_entity, 3)
    set_values(legal_entity, [
        (a, "BIRTHDAY", "1980-06-02"), (b, "BIRTHDAY", "1980-06-03"), (c, "BIRTHDAY", "1980-06-04"),
    ])  # fmt: skip

    text = as_giulia.get("/today/").content.decode()

    assert "and 2 more" in text
    assert 'href="/book/?upcoming.BIRTHDAY=14"' in text
    book = as_giulia.get("/book/?upcoming.BIRTHDAY=14")
    assert book.status_code == 200
    assert all(x.account in book.content.decode() for x in (a, b, c))
