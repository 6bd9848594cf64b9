"""R-ERR-1: no input breaks a store-app page. Every query parameter and form field of the
store app, with NUL and other control characters, overlong text, wrong types, huge numbers
and unusual Unicode, as each kind of user: never a server error."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from tests.factories import book_add

pytestmark = pytest.mark.django_db

NASTY = [
    "\x00",
    "a\x01b",
    "\x7f",
    "x" * 5000,
    "-1",
    "0",
    "1e999999999",
    "-1e999999999",
    "99999999999999999999999999",
    "NaN",
    "true",
    "2026-02-30",
    "0000-00-00T25:61",
    "\uff19\uff19",  # full-width digits
    "Nicco\u0300lo",
    "\u202egnp.exe",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "😀" * 50,
    "",
]
LIST_PARAMS = [
    "q",
    "sort",
    "owner",
    "cursor",
    "limit",
    "attr.PREF_CATEGORY",
    "attr.BIRTHDAY.min",
    "attr.BIRTHDAY.max",
    "attr.RING_SIZE",
    "attr.NOPE",
    "upcoming.BIRTHDAY",
    "upcoming.ANNIVERSARY",
]
SEARCH_PARAMS = ["q", "all_stores"]
CUSTOMER_FORMS = {
    "add": [],
    "remove": [],
    "attributes": ["attr-PREF_CATEGORY", "attr-BIRTHDAY", "attr-RING_SIZE", "attr-FAV_BRAND"],
    "activity": [
        "type",
        "subject",
        "description",
        "occurred_at",
        "scheduled_start",
        "duration_minutes",
    ],
    "note": ["text"],
    "note-edit": ["note", "text"],
    "note-delete": ["note"],
    "nonsense": [],
}
REASSIGN_FIELDS = ["customers", "to_worker", "scope", "query", "confirm"]


@pytest.fixture(params=["giulia", "marco", "manager", "carla", "rasa"])
def user(request, client, giulia, marco, manager, carla, rasa, customers, activity_types):
    book_add(giulia, *customers[:3])
    worker = request.getfixturevalue(request.param)
    client.force_login(worker.user)
    return client


def no_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code)


def test_card_pages_and_search_take_any_query(user):
    for name, params in (
        ("storeapp:book", LIST_PARAMS),
        ("storeapp:store_books", LIST_PARAMS),
        ("storeapp:search", SEARCH_PARAMS),
    ):
        for param, value in itertools.product(params, NASTY):
            no_server_error(user.get(reverse(name), {param: value}), (name, param, value))


def test_customer_page_forms_take_any_value(user, customers):
    url = reverse("storeapp:customer", args=[customers[0].account])
    for action, fields in CUSTOMER_FORMS.items():
        for field, value in itertools.product(fields or ["-"], NASTY):
            data = {"action": action, field: value, "next": value}
            no_server_error(user.post(url, data), (action, field, value))


def test_customer_and_timeline_addresses_take_any_account(user):
    for value in NASTY:
        if not value or "\x00" in value or "/" in value:
            continue
        no_server_error(user.get(f"/customers/{value}/"), value)
        no_server_error(user.get(f"/customers/{value}/timeline/", {"cursor": value}), value)


def test_reassign_takes_any_value(user, customers):
    for field, value in itertools.product(REASSIGN_FIELDS, NASTY):
        data = {"customers": [customers[0].account], "to_worker": "giulia", field: value}
        no_server_error(user.get(reverse("storeapp:reassign"), data), ("GET", field, value))
        no_server_error(
            user.post(reverse("storeapp:reassign"), {**data, "confirm": "yes"}),
            ("POST", field, value),
        )


def test_switch_takes_any_legal_entity_and_store(user):
    for value in NASTY:
        no_server_error(
            user.post(reverse("storeapp:switch"), {"legal_entity": value, "store": value}), value
        )


ACTION_PAGES = {
    "storeapp:follow_up_new": ["subject", "due", "note"],
    "storeapp:appointment_new": ["start", "duration_minutes", "store", "purpose"],
    "storeapp:outreach_new": ["template"],
}


def test_acting_on_the_book_takes_any_value(user, customers):
    """R-TASK-1, R-APPT-1, R-OUT-1: the selection (account, scope, filter, sent) and every
    field of the follow-up, appointment and e-mail forms."""
    for value in NASTY:
        no_server_error(user.get(reverse("storeapp:today")), value)
        no_server_error(user.get(reverse("storeapp:outreach_new"), {"sent": value}), value)
        no_server_error(user.get("/appointments/new/", {"account": value}), value)
        for name in ACTION_PAGES:
            for query in (
                {"account": value},
                {"scope": value, "filter": value},
                {"scope": "store", "filter": f"attr.BIRTHDAY.min={value}&q={value}"},
            ):
                no_server_error(user.get(reverse(name), query), (name, query))
    for name, fields in ACTION_PAGES.items():
        url = f"{reverse(name)}?account={customers[0].account}"
        for field, value in itertools.product(fields, NASTY):
            no_server_error(user.post(url, {field: value}), (name, field, value))
    account = customers[0].account
    for field, value in itertools.product(CUSTOMER_FORMS["activity"], NASTY[:6]):
        data = {"action": "activity", "type": "APPOINTMENT", "subject": "x", field: value}
        no_server_error(user.post(f"/customers/{account}/", data), ("activity", field, value))
