"""Background jobs: how far one got and how it ended (R-JOB-1)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Router

from clienteling.api.auth import actor_of
from clienteling.api.schemas import ErrorOut, JobOut
from clienteling.jobs.selectors import job_get

router = Router(tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=2**62, description="The job's id.")]


@router.get(
    "/jobs/{job_id}",
    response={200: JobOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="job_get",
    summary="A background job",
    description="Status, progress and, once failed, why; only for the worker who started it.",
)
def job_detail(request: HttpRequest, job_id: JobId) -> JobOut:
    return JobOut.of(job_get(user=actor_of(request).user, job_id=job_id))
