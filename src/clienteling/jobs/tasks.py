"""The one task on the queue: run a job by its id (see services)."""

from __future__ import annotations

from django_tasks import task

from clienteling.jobs.services import job_run


@task()
def run_job(job_id: int) -> None:
    job_run(job_id)
