"""Idempotency-Key: a retry returns the first answer without doing the work again."""

from __future__ import annotations

from clienteling.api.models import IdempotencyRecord
from clienteling.clientbooks.models import Membership
from clienteling.timeline.models import BookEvent
from tests.api.conftest import assert_error

ADD = "/legal-entities/ITJW/client-book/customers"
REMOVE = "/legal-entities/ITJW/client-book/remove"


def test_a_retry_returns_the_first_response_and_does_the_work_once(as_worker, giulia, customers):
    api = as_worker(giulia)
    body = {"customers": [customers[0].account]}
    first = api.post(ADD, body, **{"Idempotency-Key": "add-1"})
    assert first.status_code == 200
    events = BookEvent.objects.count()
    retry = api.post(ADD, body, **{"Idempotency-Key": "add-1"})
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.json()["added"] == [customers[0].account]  # a fresh call would add nothing
    assert Membership.objects.filter(book__owner=giulia).count() == 1
    assert BookEvent.objects.count() == events
    assert IdempotencyRecord.objects.filter(owner=giulia, key="add-1").count() == 1


def test_a_retried_remove_answers_as_the_first_time(as_worker, giulia, customers):
    api = as_worker(giulia)
    api.post(ADD, {"customers": [customers[0].account]})
    body = {"customers": [customers[0].account]}
    first = api.post(REMOVE, body, **{"Idempotency-Key": "rm-1"})
    retry = api.post(REMOVE, body, **{"Idempotency-Key": "rm-1"})
    assert first.json() == retry.json() == {"removed": 1}
    without_key = api.post(REMOVE, body)
    assert_error(without_key, 422, "invalid", field="customers")


def test_an_error_answer_is_replayed_too(as_worker, giulia, customers):
    api = as_worker(giulia)
    first = api.post(REMOVE, {"customers": [customers[0].account]}, **{"Idempotency-Key": "k"})
    assert_error(first, 422, "invalid", field="customers")
    retry = api.post(REMOVE, {"customers": [customers[0].account]}, **{"Idempotency-Key": "k"})
    assert (retry.status_code, retry.json()) == (422, first.json())


def test_the_same_key_with_another_body_is_422(as_worker, giulia, customers):
    api = as_worker(giulia)
    api.post(ADD, {"customers": [customers[0].account]}, **{"Idempotency-Key": "k-2"})
    response = api.post(ADD, {"customers": [customers[1].account]}, **{"Idempotency-Key": "k-2"})
    error = assert_error(response, 422, "invalid", field="Idempotency-Key")
    assert error["details"]["rule"] == "reused_with_different_request"
    assert not Membership.objects.filter(customer=customers[1]).exists()


def test_keys_belong_to_their_owner(as_worker, giulia, marco, customers):
    as_worker(giulia).post(ADD, {"customers": [customers[0].account]}, **{"Idempotency-Key": "s"})
    response = as_worker(marco).post(
        ADD, {"customers": [customers[1].account]}, **{"Idempotency-Key": "s"}
    )
    assert response.status_code == 200
    assert response.json()["book"]["owner"] == "marco"


def test_a_malformed_key_is_422(as_worker, giulia, customers):
    response = as_worker(giulia).post(
        ADD, {"customers": [customers[0].account]}, **{"Idempotency-Key": "x" * 201}
    )
    assert_error(response, 422, "invalid", field="Idempotency-Key")
