"""The background job that imports a file (R-IO-2, R-JOB-1)."""

from __future__ import annotations

import tempfile

from django.core.files.base import File

from clienteling.dataio.imports import count_lines
from clienteling.dataio.services import JOB_KIND, import_file
from clienteling.jobs.models import Job
from clienteling.jobs.services import Progress, job_kind, job_result_save


@job_kind(JOB_KIND)
def import_job(job: Job, progress: Progress) -> None:
    """Import the job's file; its rejected lines become the job's result file. Run again
    after a failure, it starts over: every kind upserts by its natural key."""
    with job.input_file.open("rb") as source, tempfile.TemporaryFile() as rejects:
        progress.total(count_lines(source))
        outcome = import_file(
            legal_entity=job.legal_entity,
            kind=job.arguments["kind"],
            source=source,
            rejects=rejects,
            on_progress=lambda processed, imported, rejected: progress.set(
                processed, accepted=imported, rejected=rejected
            ),
        )
        if outcome.rejected:
            rejects.seek(0)
            job_result_save(job, f"rejects-{job.pk}.csv", File(rejects))
