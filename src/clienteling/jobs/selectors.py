"""Who may see a job: whoever started it, and a superuser."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from clienteling.core.errors import NotFound
from clienteling.jobs.models import Job


def job_get(*, user: Any, job_id: int) -> Job:
    job = Job.objects.filter(pk=job_id).select_related("legal_entity").first()
    if job is None or not (user.is_superuser or job.started_by_id == user.pk):
        raise NotFound(_("Job not found."), field="id")
    return job
