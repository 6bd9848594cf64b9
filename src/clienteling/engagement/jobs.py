"""The background job that sends an outreach (R-OUT-1, R-JOB-1)."""

from __future__ import annotations

from clienteling.engagement.services import OUTREACH_JOB, outreach_deliver
from clienteling.jobs.models import Job
from clienteling.jobs.services import Progress, job_kind


@job_kind(OUTREACH_JOB)
def outreach_job(job: Job, progress: Progress) -> None:
    """Send the outreach's queued messages; run again after a failure, it sends only those
    still queued, so nobody gets a message twice."""
    outreach_deliver(outreach_id=job.arguments["outreach"], progress=progress)
