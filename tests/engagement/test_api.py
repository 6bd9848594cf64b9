"""The API of acting on the book (R-TODAY-1, R-TASK-1, R-APPT-1, R-OUT-1, R-OUT-2): each path's
status codes, another legal entity's ids not found, bad input a 422 naming the field, and no
500 for huge numbers or NUL."""

from __future__ import annotations

import datetime as dt

import pytest

from clienteling.engagement import services
from clienteling.engagement.models import Appointment, FollowUp, Outreach
from tests.api.conftest import assert_error
from tests.engagement.conftest import customers_in_book, set_values
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LE = "/legal-entities/ITJW"


@pytest.fixture
def api(as_worker, giulia):
    return as_worker(giulia)


@pytest.fixture
def booked(giulia, legal_entity, clock):
    clock(dt.datetime(2026, 6, 1, 9, 0))
    return customers_in_book(giulia, legal_entity, 3)


def test_today_answers_the_four_lists(api, booked, legal_entity, store):
    """R-TODAY-1: GET /today: dates with "when", follow-ups, appointments, quiet customers."""
    a, b, _c = booked
    set_values(legal_entity, [(a, "BIRTHDAY", "1980-06-04")])
    api.post(f"{LE}/follow-ups", {"customers": [b.account], "subject": "Call", "due": "2026-06-01"})
    api.post(f"{LE}/appointments", {
        "customer": a.account, "start": "2026-06-01T16:00:00", "duration_minutes": 30,
        "store": "MI01", "purpose": "Fitting",
    })  # fmt: skip

    response = api.get(f"{LE}/today")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"dates", "follow_ups", "appointments", "quiet"}
    assert [(d["customer"]["account"], d["in_days"], d["when"]) for d in body["dates"]] == [
        (a.account, 3, "in 3 days")
    ]
    assert [f["customer"]["account"] for f in body["follow_ups"]] == [b.account]
    assert body["appointments"][0]["start"].startswith("2026-06-01T14:00:00")
    # b and c have nothing on their timeline; booking a's appointment was a contact.
    assert body["quiet_total"] == 2
    assert {q["customer"]["account"] for q in body["quiet"]} == {b.account, _c.account}


def test_today_of_another_legal_entity_is_not_found(api, other_legal_entity):
    """R-TODAY-1: a legal entity the caller does not work for is not found."""
    assert_error(api.get("/legal-entities/LTFA/today"), 404, "not_found")


def test_follow_ups_by_filter_list_and_done(api, booked, legal_entity):
    """R-TASK-1: POST with the book's filter → 201 created; GET lists them; done → 200 and
    gone from the open list; undone brings it back."""
    a, b, _c = booked
    set_values(legal_entity, [(a, "PREF_CATEGORY", "Shoes"), (b, "PREF_CATEGORY", "Shoes")])

    created = api.post(f"{LE}/follow-ups", {
        "filter": "attr.PREF_CATEGORY=Shoes", "subject": "New shoes", "due": "2026-06-02",
    })  # fmt: skip
    listed = api.get(f"{LE}/follow-ups").json()
    first = listed["items"][0]["id"]
    done = api.post(f"{LE}/follow-ups/{first}/done")
    after = api.get(f"{LE}/follow-ups").json()
    undone = api.post(f"{LE}/follow-ups/{first}/undone")

    assert created.status_code == 201 and created.json() == {"created": 2}
    assert len(listed["items"]) == 2 and listed["next_cursor"] is None
    assert done.status_code == 200 and done.json()["done"] is True
    assert [i["id"] for i in after["items"]] != [i["id"] for i in listed["items"]]
    assert len(after["items"]) == 1
    assert undone.status_code == 200 and undone.json()["done"] is False


def test_another_associates_or_legal_entitys_follow_up_is_not_found(
    as_worker, api, booked, legal_entity, marco, rasa, other_store, clock
):
    """R-TASK-1: ids of another associate, or of another legal entity, answer 404."""
    api.post(
        f"{LE}/follow-ups",
        {"customers": [booked[0].account], "subject": "Call", "due": "2026-06-02"},
    )
    mine = FollowUp.objects.get().pk
    (foreign,) = customers_in_book(rasa, other_store.legal_entity, 1)
    services.follow_ups_create(
        actor=rasa, legal_entity=other_store.legal_entity, customer_ids=[foreign.pk],
        subject="Call", due=dt.date(2026, 6, 2),
    )  # fmt: skip
    theirs = FollowUp.objects.get(owner=rasa).pk

    assert_error(as_worker(marco).post(f"{LE}/follow-ups/{mine}/done"), 404, "not_found")
    assert_error(api.post(f"{LE}/follow-ups/{theirs}/done"), 404, "not_found")
    assert_error(api.post(f"/legal-entities/LTFA/follow-ups/{theirs}/done"), 404, "not_found")
    assert_error(api.post(f"{LE}/follow-ups/{2**62}/done"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customers": ["X1"], "subject": "", "due": "2026-06-02"}, "subject"),
        ({"customers": ["X1"], "subject": "Call", "due": "2026-13-40"}, "due"),
        ({"customers": ["X1"], "subject": "Call", "due": "99999-01-01"}, "due"),
        ({"customers": ["X1"], "subject": "Call", "due": "2026-05-01"}, "due"),
        ({"subject": "Call", "due": "2026-06-02"}, "customers"),
        (
            {"customers": ["X1"], "filter": "q=a", "subject": "Call", "due": "2026-06-02"},
            "customers",
        ),
        ({"filter": "attr.RING_SIZE=3", "subject": "Call", "due": "2026-06-02"}, "attr.RING_SIZE"),
        ({"filter": "q=%00", "subject": "Call", "due": "2026-06-02"}, "filter"),
        ({"filter": "", "scope": "everyone", "subject": "Call", "due": "2026-06-02"}, "scope"),
    ],
)
def test_bad_follow_ups_are_422_naming_the_field(api, booked, body, field):
    """R-TASK-1: bad input is a 422 naming the field, never a 500, and nothing is made."""
    if body.get("customers") == ["X1"]:
        body["customers"] = [booked[0].account]
    response = api.post(f"{LE}/follow-ups", body)
    error = assert_error(response, 422, "invalid")
    assert field in (error["field"] or ""), error
    assert not FollowUp.objects.exists()


def test_nul_in_a_body_is_refused(api, booked):
    """R-TASK-1: NUL in a field is a 422 naming it, not a 500."""
    response = api.post(
        f"{LE}/follow-ups",
        {"customers": [booked[0].account], "subject": "Ca\x00ll", "due": "2026-06-02"},
    )
    assert_error(response, 422, "invalid")


def test_appointments_book_list_conflict_and_ics(api, booked, legal_entity, store, activity_types):
    """R-APPT-1: 201 with the id; 409 when the caller is already booked; lists for the day
    and the week; the .ics is text/calendar."""
    a, b, _c = booked
    body = {"customer": a.account, "start": "2026-06-02T10:00:00+02:00",
            "duration_minutes": 60, "store": "MI01", "purpose": "Private viewing"}  # fmt: skip

    made = api.post(f"{LE}/appointments", body)
    clash = api.post(f"{LE}/appointments", {**body, "customer": b.account,
                                             "start": "2026-06-02T10:30:00+02:00"})  # fmt: skip
    day = api.get(f"{LE}/appointments", {"day": "2026-06-02"})
    week = api.get(f"{LE}/appointments", {"span": "week"})
    store_day = api.get(f"{LE}/appointments", {"day": "2026-06-02", "store": "MI01"})
    calendar = api.get(f"{LE}/appointments/{made.json()['id']}/ics")

    assert made.status_code == 201, made.content
    assert made.json()["duration_minutes"] == 60
    assert_error(clash, 409, "conflict", "start")
    assert [x["id"] for x in day.json()] == [made.json()["id"]]
    assert [x["id"] for x in week.json()] == [made.json()["id"]]
    assert [x["id"] for x in store_day.json()] == [made.json()["id"]]
    assert calendar.status_code == 200
    assert calendar["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT\r\n" in calendar.content
    assert Appointment.objects.count() == 1


def test_an_appointment_is_cancelled_once_by_whom_may_and_its_time_is_free(
    api, as_worker, marco, manager, booked, legal_entity, store, activity_types, clock
):
    """R-APPT-1: POST …/cancel: 200 with cancelled_at, again the same; a colleague is refused
    403; the day list leaves it out and the time books again; an ended one is a 422."""
    a, b, c = booked
    body = {"customer": a.account, "start": "2026-06-02T10:00:00+02:00",
            "duration_minutes": 60, "store": "MI01", "purpose": "Private viewing"}  # fmt: skip
    made = api.post(f"{LE}/appointments", body).json()["id"]

    refused = as_worker(marco).post(f"{LE}/appointments/{made}/cancel", {})
    first = api.post(f"{LE}/appointments/{made}/cancel", {})
    again = api.post(f"{LE}/appointments/{made}/cancel", {})
    rebooked = api.post(f"{LE}/appointments", {**body, "customer": b.account})
    day = api.get(f"{LE}/appointments", {"day": "2026-06-02"})
    other = as_worker(manager).post(f"{LE}/appointments/{rebooked.json()['id']}/cancel", {})

    assert_error(refused, 403, "forbidden")
    assert first.status_code == 200, first.content
    assert first.json()["cancelled_at"] is not None
    moment = dt.datetime.fromisoformat
    assert moment(again.json()["cancelled_at"]) == moment(first.json()["cancelled_at"])
    assert rebooked.status_code == 201, rebooked.content
    assert [x["id"] for x in day.json()] == [rebooked.json()["id"]]
    assert other.status_code == 200 and other.json()["cancelled_at"] is not None
    late = api.post(f"{LE}/appointments", {**body, "customer": c.account,
                                           "start": "2026-06-01T10:00:00+02:00"}).json()["id"]  # fmt: skip
    clock(dt.datetime(2026, 6, 1, 12, 0))
    assert_error(api.post(f"{LE}/appointments/{late}/cancel", {}), 422, "invalid", "id")
    assert_error(api.post(f"{LE}/appointments/999999999/cancel", {}), 404, "not_found")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_minutes": 10**20}, "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"start": "not a time"}, "start"),
        ({"start": "2026-05-01T10:00:00"}, "start"),
        ({"purpose": ""}, "purpose"),
        ({"customer": "bad account!"}, "customer"),
    ],
)
def test_bad_bookings_are_422_naming_the_field(api, booked, change, field):
    """R-APPT-1: bad input is a 422 naming the field, never a 500."""
    body = {"customer": booked[0].account, "start": "2026-06-02T10:00:00",
            "duration_minutes": 30, "store": "MI01", "purpose": "Fitting", **change}  # fmt: skip
    error = assert_error(api.post(f"{LE}/appointments", body), 422, "invalid")
    assert field in (error["field"] or ""), error


def test_another_legal_entitys_appointment_and_store_are_not_found(
    api, booked, rasa, other_store, other_legal_entity, clock
):
    """R-APPT-1: an appointment id of another legal entity is 404; so is a store not the caller's."""
    foreign = CustomerFactory.create(legal_entity=other_legal_entity)
    theirs = services.appointment_book(
        actor=rasa, customer=foreign, start=dt.datetime(2026, 6, 2, 10, 0),
        duration_minutes=30, store=other_store, purpose="Fitting",
    )  # fmt: skip

    assert_error(api.get(f"{LE}/appointments/{theirs.pk}/ics"), 404, "not_found")
    body = {"customer": booked[0].account, "start": "2026-06-02T10:00:00",
            "duration_minutes": 30, "store": "VL01", "purpose": "Fitting"}  # fmt: skip
    assert_error(api.post(f"{LE}/appointments", body), 404, "not_found", "store")
    assert_error(api.get(f"{LE}/appointments/{2**62}/ics"), 404, "not_found")


def test_outreach_queued_counted_and_read_back(api, booked, legal_entity, templates):
    """R-OUT-1: 202 with recipients and skipped by reason; GET /outreach/{id} says how far it
    got; the outcomes are counted per associate and template (R-OUT-2)."""
    a, b, c = booked
    for customer, consent, address in (
        (a, True, "a@example.com"),
        (b, False, "b@example.com"),
        (c, True, ""),
    ):
        customer.consent_email, customer.email = consent, address
        customer.save()

    queued = api.post(
        f"{LE}/outreach", {"template": "BIRTHDAY", "customers": [a.account, b.account, c.account]}
    )
    state = api.get(f"{LE}/outreach/{queued.json()['id']}")
    outcomes = api.get(f"{LE}/outreach/outcomes")

    assert queued.status_code == 202, queued.content
    assert queued.json()["recipients"] == 1
    assert queued.json()["skipped"] == {"no_consent": 1, "no_email": 1, "no_phone": 0}
    assert state.status_code == 200
    assert state.json()["status"] == "queued" and state.json()["queued"] == 1
    assert outcomes.status_code == 200 and outcomes.json()["window_days"] == 14


def test_bad_outreach_is_422_and_foreign_ids_404(api, booked, templates, marco, as_worker):
    """R-OUT-1: an unknown template names the field; another's outreach is not found."""
    error = assert_error(
        api.post(f"{LE}/outreach", {"template": "NOPE", "customers": [booked[0].account]}),
        422,
        "invalid",
    )
    assert error["field"] == "template"
    assert_error(
        api.post(f"{LE}/outreach", {"template": "BIRTHDAY", "customers": ["UNKNOWN1"]}),
        404,
        "not_found",
    )
    made = api.post(f"{LE}/outreach", {"template": "BIRTHDAY", "customers": [booked[0].account]})
    assert made.status_code == 202
    assert_error(as_worker(marco).get(f"{LE}/outreach/{made.json()['id']}"), 404, "not_found")
    assert_error(api.get(f"{LE}/outreach/{2**62}"), 404, "not_found")
    assert Outreach.objects.count() == 1


def test_overdue_per_associate_is_for_a_manager(api, as_worker, manager, booked, clerk):
    """R-TASK-1: the manager gets the store's associates with their overdue counts; a
    worker without the store books grant is refused naming it."""
    listed = as_worker(manager).get(f"{LE}/stores/MI01/follow-ups/overdue")
    refused = as_worker(clerk).get(f"{LE}/stores/MI01/follow-ups/overdue")

    assert listed.status_code == 200
    assert "giulia" in [row["username"] for row in listed.json()]
    assert_error(refused, 403, "forbidden")
    assert_error(api.get(f"{LE}/stores/VL01/follow-ups/overdue"), 404, "not_found")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (f"{LE}/appointments", {"day": "9999-12-31", "span": "week"}, "day"),
        (f"{LE}/appointments", {"day": "0001-01-01"}, "day"),
        (f"{LE}/appointments", {"span": "month"}, "span"),
        (f"{LE}/outreach/outcomes", {"since": "9999-12-31"}, "since"),
        # A number is no day, even one pydantic would read as a timestamp.
        (f"{LE}/outreach/outcomes", {"since": "4.66e-174"}, "since"),
        (f"{LE}/appointments", {"day": "1700000000"}, "day"),
        (f"{LE}/appointments", {"day": "2026-02-30"}, "day"),
        (f"{LE}/follow-ups", {"cursor": "WyJub3QgYSBkYXRlIiwxXQ"}, "cursor"),  # ["not a date",1]
        (f"{LE}/follow-ups", {"limit": "100000000000000000000"}, "limit"),
    ],
)
def test_huge_or_forged_query_values_are_422(api, booked, path, params, field):
    """R-APPT-1, R-TASK-1, R-OUT-2: days beyond the calendar, forged cursors and huge limits
    are a 422 naming the parameter, never a 500."""
    error = assert_error(api.get(path, params), 422, "invalid")
    assert field in (error["field"] or ""), error


def test_today_says_how_many_dates_it_leaves_out(api, booked, legal_entity, monkeypatch):
    """R-TODAY-1: beyond the first dates, GET /today counts the rest by attribute, with the
    client book filter that lists them."""
    from clienteling.engagement import selectors

    monkeypatch.setattr(selectors, "TODAY_LIMIT", 1)
    a, b, _c = booked
    set_values(legal_entity, [(a, "BIRTHDAY", "1980-06-04"), (b, "BIRTHDAY", "1980-06-05")])

    body = api.get(f"{LE}/today").json()

    assert [d["customer"]["account"] for d in body["dates"]] == [a.account]
    assert body["dates_total"] == 2
    assert body["dates_more"] == [
        {"attribute": "BIRTHDAY", "label": "Birthday", "count": 1, "filter": "upcoming.BIRTHDAY=14"}
    ]
