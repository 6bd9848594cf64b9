"""Starting, running, retrying and ending background jobs (R-JOB-1).

A job's work is a function registered for its kind (``@job_kind``, in an app's ``jobs.py``).
The queue is django-tasks' (the database by default, Redis with ``TASKS_BACKEND=redis``); its
one task, ``jobs.tasks.run_job``, calls :func:`job_run`. django-tasks has no retries of its
own, so a failure is retried here: the task is queued again to run after a backoff, and after
``MAX_ATTEMPTS`` the job fails saying why it gave up. Bad input (a ``DomainError``) fails at
once: running it again would fail the same way. The work must be safe to run again from the
start (imports upsert by natural key).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.core.errors import DomainError
from clienteling.jobs.models import Job
from clienteling.organization.models import LegalEntity

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# Seconds to wait before attempt 2, 3, …: long enough for a database or network to return.
BACKOFF = (10, 60, 300)
# A job's row is written at most this often while it runs (the last count always is).
PROGRESS_EVERY = 0.5

Work = Callable[[Job, "Progress"], None]
KINDS: dict[str, Work] = {}


def job_kind(name: str) -> Callable[[Work], Work]:
    """Register the work of a kind of job."""

    def register(work: Work) -> Work:
        KINDS[name] = work
        return work

    return register


class Progress:
    """How far a running job is; written to its row at most every PROGRESS_EVERY seconds, so
    a job of a million lines costs a few hundred small updates, not a million."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.processed = self.accepted = self.rejected = 0
        self._written = 0.0

    def total(self, total: int) -> None:
        Job.objects.filter(pk=self.job.pk).update(total=total)
        self.job.total = total

    def advance(self, processed: int = 0, *, accepted: int = 0, rejected: int = 0) -> None:
        self.processed += processed
        self.accepted += accepted
        self.rejected += rejected
        if time.monotonic() - self._written >= PROGRESS_EVERY:
            self.flush()

    def set(self, processed: int, *, accepted: int, rejected: int) -> None:
        """The counts so far, for work that keeps its own."""
        self.advance(
            processed - self.processed,
            accepted=accepted - self.accepted,
            rejected=rejected - self.rejected,
        )

    def flush(self) -> None:
        Job.objects.filter(pk=self.job.pk).update(
            processed=self.processed, accepted=self.accepted, rejected=self.rejected
        )
        self._written = time.monotonic()


def job_start(
    *,
    kind: str,
    legal_entity: LegalEntity,
    started_by: Any = None,
    arguments: dict[str, Any] | None = None,
    input_file: File[bytes] | None = None,
    input_name: str = "input",
) -> Job:
    """Record a job and queue it when the transaction commits (so a worker finds the row)."""
    if kind not in KINDS:
        raise ValueError(f"no job of kind {kind!r} is registered")
    job = Job(
        kind=kind,
        legal_entity=legal_entity,
        started_by=started_by if getattr(started_by, "pk", None) else None,
        arguments=arguments or {},
    )
    if input_file is not None:
        job.input_file.save(input_name, input_file, save=False)
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int, run_after: dt.datetime | None = None) -> None:
    from clienteling.jobs.tasks import run_job

    task = run_job.using(run_after=run_after) if run_after else run_job
    task.enqueue(job_id)


def job_run(job_id: int) -> None:
    """Run the job's work once; what the worker calls. A job already ended is left alone, so a
    task delivered twice changes nothing."""
    job = Job.objects.select_related("legal_entity").filter(pk=job_id).first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), timezone.now()),
        processed=0,
        accepted=0,
        rejected=0,
    )
    job.refresh_from_db()
    progress = Progress(job)
    try:
        KINDS[job.kind](job, progress)
    except DomainError as error:
        progress.flush()
        _end(job, Job.Status.FAILED, str(error.message))
    except Exception as error:
        logger.exception("job %s (%s), attempt %s, failed", job.pk, job.kind, job.attempts)
        progress.flush()
        reason = _reason(error)
        if job.attempts >= MAX_ATTEMPTS:
            _end(
                job,
                Job.Status.FAILED,
                _("gave up after %(attempts)s attempts: %(reason)s")
                % {"attempts": job.attempts, "reason": reason},
            )
            return
        wait = BACKOFF[min(job.attempts, len(BACKOFF)) - 1]
        retry_at = timezone.now() + dt.timedelta(seconds=wait)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.QUEUED,
            error=(
                _("attempt %(attempt)s failed (%(reason)s); retrying at %(time)s UTC")
                % {"attempt": job.attempts, "reason": reason, "time": f"{retry_at:%H:%M:%S}"}
            )[:500],
        )
        _enqueue(job.pk, run_after=retry_at)
    else:
        progress.flush()
        _end(job, Job.Status.DONE, "")


def _end(job: Job, status: str, error: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=status, error=error[:500], finished_at=timezone.now()
    )


def _reason(error: BaseException) -> str:
    """A short reason: the exception's kind and the first line of its text."""
    text = (str(error).strip().splitlines() or [""])[0][:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def job_result_save(job: Job, name: str, content: File[bytes]) -> None:
    """Keep the job's result file (an import's rejects, an export)."""
    job.result_file.save(name, content, save=False)
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)
