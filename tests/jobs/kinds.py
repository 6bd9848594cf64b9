"""Kinds of job for tests: work that counts, fails for a while, or refuses its input."""

from __future__ import annotations

from clienteling.core.errors import Invalid
from clienteling.jobs import services
from clienteling.jobs.models import Job
from clienteling.jobs.services import job_kind, job_start

RUNS: dict[str, int] = {}


@job_kind("test.count")
def _count(job: Job, progress: services.Progress) -> None:
    progress.total(job.arguments["n"])
    for _ in range(job.arguments["n"]):
        progress.advance(1, accepted=1)


@job_kind("test.flaky")
def _flaky(job: Job, progress: services.Progress) -> None:
    """Fails its first ``fail`` runs, as work does while a database or network is away."""
    RUNS[job.arguments["name"]] = RUNS.get(job.arguments["name"], 0) + 1
    progress.advance(1, rejected=1)
    if RUNS[job.arguments["name"]] <= job.arguments["fail"]:
        raise ConnectionError(f"run {RUNS[job.arguments['name']]}: the network is away\nmore")
    progress.advance(1, accepted=1)


@job_kind("test.bad-input")
def _bad_input(job: Job, progress: services.Progress) -> None:
    raise Invalid("The file has no header row.", field="file", rule="header")


def start(kind: str, legal_entity, user=None, **arguments) -> Job:
    return job_start(kind=kind, legal_entity=legal_entity, started_by=user, arguments=arguments)
