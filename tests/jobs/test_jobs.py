"""Background jobs (R-JOB-1): queued in the database, run by django-tasks-db's worker, retried
with backoff, ended with a reason; seen through the API by whoever started them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from clienteling.jobs import services
from clienteling.jobs.models import Job
from clienteling.jobs.services import job_run
from tests.jobs.kinds import RUNS, start

# The worker closes its connection after each task, as it must in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_backoff(monkeypatch):
    """Retries at once, so that one batch of the worker sees every attempt."""
    monkeypatch.setattr(services, "BACKOFF", (0, 0, 0))


def work(django_capture_on_commit_callbacks, *jobs_to_start) -> None:
    """Queue the jobs as a committed request would, then let the real worker empty the queue."""
    with django_capture_on_commit_callbacks(execute=True):
        for kind, legal_entity, arguments in jobs_to_start:
            start(kind, legal_entity, **arguments)
    call_command("jobs_worker", "--batch", verbosity=0)


def test_a_job_is_queued_in_the_database_and_run_by_the_worker(
    legal_entity, django_capture_on_commit_callbacks
):
    work(django_capture_on_commit_callbacks, ("test.count", legal_entity, {"n": 1234}))
    job = Job.objects.get()
    assert (job.status, job.processed, job.total, job.accepted, job.attempts) == (
        "done",
        1234,
        1234,
        1234,
        1,
    )
    assert job.started_at and job.finished_at and job.error == ""
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_failing_job_is_retried_then_succeeds(
    legal_entity, no_backoff, django_capture_on_commit_callbacks
):
    work(
        django_capture_on_commit_callbacks,
        ("test.flaky", legal_entity, {"name": "once", "fail": 1}),
    )
    job = Job.objects.get()
    assert (job.status, job.attempts, job.error) == ("done", 2, "")
    # Counts are those of the run that succeeded, not a sum over attempts.
    assert (job.processed, job.accepted, job.rejected) == (2, 1, 1)
    assert DBTaskResult.objects.count() == 2


def test_a_job_that_keeps_failing_gives_up_and_says_why(
    legal_entity, no_backoff, django_capture_on_commit_callbacks
):
    work(
        django_capture_on_commit_callbacks,
        ("test.flaky", legal_entity, {"name": "always", "fail": 99}),
    )
    job = Job.objects.get()
    assert job.status == "failed" and job.attempts == services.MAX_ATTEMPTS == 3
    assert job.error == "gave up after 3 attempts: ConnectionError: run 3: the network is away"
    assert job.finished_at is not None
    assert RUNS["always"] == 3


def test_a_retry_waits_for_its_backoff(legal_entity, django_capture_on_commit_callbacks):
    work(
        django_capture_on_commit_callbacks,
        ("test.flaky", legal_entity, {"name": "later", "fail": 1}),
    )
    job = Job.objects.get()
    assert job.status == "queued" and job.attempts == 1
    assert job.error.startswith("attempt 1 failed (ConnectionError: run 1: the network is away)")
    waiting = DBTaskResult.objects.get(status="READY")
    assert (waiting.run_after - waiting.enqueued_at).total_seconds() >= services.BACKOFF[0] - 1


def test_bad_input_fails_at_once_with_the_reason(
    legal_entity, no_backoff, django_capture_on_commit_callbacks
):
    work(django_capture_on_commit_callbacks, ("test.bad-input", legal_entity, {}))
    job = Job.objects.get()
    assert (job.status, job.attempts, job.error) == ("failed", 1, "The file has no header row.")


def test_a_job_delivered_again_after_it_ended_is_not_run_again(legal_entity):
    job = start("test.flaky", legal_entity, name="twice", fail=0)
    job_run(job.pk)
    job_run(job.pk)
    assert RUNS["twice"] == 1
    assert Job.objects.get().attempts == 1


def test_an_unknown_kind_is_refused_before_anything_is_queued(legal_entity):
    with pytest.raises(ValueError, match="no job of kind"):
        start("no.such.kind", legal_entity)
    assert not Job.objects.exists()
