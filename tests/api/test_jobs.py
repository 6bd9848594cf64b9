"""GET /jobs/{id}: a background job's progress and outcome, for whoever started it."""

from __future__ import annotations

import pytest

from clienteling.jobs.services import job_run
from tests.api.conftest import assert_error
from tests.jobs.kinds import start

pytestmark = pytest.mark.django_db


def test_the_api_shows_a_job_to_whoever_started_it(as_worker, giulia, marco, legal_entity):
    job = start("test.count", legal_entity, giulia.user, n=3)
    job_run(job.pk)
    body = as_worker(giulia).get(f"/jobs/{job.pk}").json()
    assert body == {
        "id": job.pk,
        "kind": "test.count",
        "status": "done",
        "processed": 3,
        "total": 3,
        "accepted": 3,
        "rejected": 0,
        "error": None,
    }
    assert_error(as_worker(marco).get(f"/jobs/{job.pk}"), 404, "not_found")
    assert_error(as_worker(giulia).get(f"/jobs/{job.pk + 1}"), 404, "not_found")
    assert_error(as_worker(giulia).get(f"/jobs/{10**30}"), 422, "invalid")
