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


def test_a_legal_entity_the_caller_does_not_work_for_is_404_and_nothing_is_kept(
    as_worker, giulia, rasa, customers
):
    """The caller is checked before any answer is replayed or kept: a worker who does not
    work for the legal entity gets 404, every time, and no record is written."""
    api = as_worker(rasa)
    for _ in range(2):
        response = api.post(ADD, {"customers": [customers[0].account]}, **{"Idempotency-Key": "x"})
        assert_error(response, 404, "not_found")
    assert not IdempotencyRecord.objects.filter(owner=rasa).exists()


def test_a_created_answer_is_kept_with_its_status(as_worker, giulia, customers):
    api = as_worker(giulia)
    notes = f"/legal-entities/ITJW/customers/{customers[0].account}/notes"
    first = api.post(notes, {"text": "Once"}, **{"Idempotency-Key": "n-1"})
    assert first.status_code == 201
    record = IdempotencyRecord.objects.get(owner=giulia, key="n-1")
    assert (record.status, record.response_body["text"]) == (201, "Once")
    # An answer kept before it recorded 201 (it said 200 for every success) replays as 201.
    IdempotencyRecord.objects.filter(pk=record.pk).update(status=200)
    retry = api.post(notes, {"text": "Once"}, **{"Idempotency-Key": "n-1"})
    assert (retry.status_code, retry.json()) == (201, first.json())
