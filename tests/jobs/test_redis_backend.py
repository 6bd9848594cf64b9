"""Background jobs on Redis (R-JOB-1): with TASKS_BACKEND=redis a job is queued in Redis by
django-tasks-rq and run by RQ's worker (`manage.py jobs_worker`), against the Redis that CI
and this machine run."""

from __future__ import annotations

import socket
import subprocess
import uuid

import pytest

from tests.servers import MANAGE, ROOT, seeded_environment

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_up(), reason=f"needs Redis at {REDIS[0]}:{REDIS[1]} (CI has one)"
)

START = """
import io
from django.db import transaction
from clienteling.dataio.services import import_start
from clienteling.organization.models import LegalEntity, Worker
with transaction.atomic():
    job = import_start(
        actor=Worker.objects.get(user__username="hq_it"),
        legal_entity=LegalEntity.objects.get(code="ITJW"),
        kind="customers",
        upload=io.BytesIO(b"account,first_name,last_name\\nRQ1,Anna,Bianchi\\nRQ2,Bruno,\\n"),
    )
print(job.pk)
"""
SHOW = """
from clienteling.jobs.models import Job
from django_rq import get_queue
job = Job.objects.get(pk={pk})
print(job.status, job.accepted, job.rejected, len(get_queue("default")))
"""


def shell(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [*MANAGE, "shell", "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_job_queued_in_redis_is_run_by_the_rq_worker(tmp_path):
    with seeded_environment(tmp_path, "rq") as env:
        env.update(
            TASKS_BACKEND="redis",
            REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/9",
            CACHE_KEY_PREFIX=f"rq-{uuid.uuid4().hex[:8]}",
            MEDIA_ROOT=str(tmp_path / "media"),
        )
        subprocess.run(
            [
                *MANAGE,
                "shell",
                "-c",
                "from django_rq import get_queue; get_queue('default').empty()",
            ],
            env=env,
            cwd=ROOT,
            check=True,
        )
        pk = int(shell(env, START))
        # Queued in Redis, not yet run: no worker has seen it.
        assert shell(env, SHOW.format(pk=pk)) == "queued 0 0 1"
        worker = subprocess.run(
            [*MANAGE, "jobs_worker", "--batch"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert shell(env, SHOW.format(pk=pk)) == "done 1 1 0", worker.stdout + worker.stderr
