"""POST /imports/{kind}, GET /imports/{id} and its rejects (R-IO-2, R-JOB-1): a file in, a
background job, progress and the rejected lines back, for whoever started it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from clienteling.customers.models import Customer
from clienteling.dataio import services
from clienteling.jobs.models import Job
from tests.api.conftest import API, assert_error, token_for
from tests.dataio.conftest import csv_bytes

# The worker runs in this process and commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

GOOD_AND_BAD = csv_bytes(
    "account,first_name,last_name,email",
    "IT1,Anna,Bianchi,anna@example.com",
    "IT2,Bruno,Rossi,not-an-email",
    "IT3,Carla,Verdi,",
)


def post_csv(client, worker, path: str, data: bytes, content_type: str = "text/csv"):
    return client.post(
        API + path,
        data,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token_for(worker)}"},
    )


def get(client, worker, path: str):
    return client.get(API + path, headers={"Authorization": f"Bearer {token_for(worker)}"})


def test_an_import_is_queued_run_and_its_rejects_downloaded(
    client, hq, django_capture_on_commit_callbacks
):
    """R-IO-2: 202 with the import's id; the worker imports; the rejects file names the line."""
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_csv(client, hq, "/legal-entities/ITJW/imports/customers", GOOD_AND_BAD)
    assert answer.status_code == 202, answer.content
    queued = answer.json()
    assert queued["status"] == "queued" and queued["id"] == queued["job"]
    call_command("jobs_worker", "--batch", verbosity=0)
    body = get(client, hq, f"/legal-entities/ITJW/imports/{queued['id']}").json()
    assert body == {
        "id": queued["id"],
        "kind": "customers",
        "status": "done",
        "processed": 3,
        "total": 3,
        "imported": 2,
        "rejected": 1,
        "error": None,
        "rejects_url": f"http://testserver{API}/legal-entities/ITJW/imports/{queued['id']}/rejects",
    }
    rejects = get(client, hq, f"/legal-entities/ITJW/imports/{queued['id']}/rejects")
    assert rejects.status_code == 200 and rejects["Content-Type"].startswith("text/csv")
    lines = b"".join(rejects.streaming_content).decode().splitlines()
    assert lines[0] == "line,column,reason,account,first_name,last_name,email"
    assert lines[1].startswith("3,email,") and lines[1].endswith("IT2,Bruno,Rossi,not-an-email")
    assert sorted(Customer.objects.values_list("account", flat=True)) == ["IT1", "IT3"]
    # The job API shows the same job to the same worker.
    job = get(client, hq, f"/jobs/{queued['job']}").json()
    assert (job["kind"], job["accepted"], job["rejected"]) == ("import", 2, 1)


def test_a_multipart_upload_imports_the_file_field(client, hq, django_capture_on_commit_callbacks):
    """R-IO-2: the file may come as the multipart field `file`."""
    upload = SimpleUploadedFile("clients.csv", GOOD_AND_BAD, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            API + "/legal-entities/ITJW/imports/customers",
            {"file": upload},
            headers={"Authorization": f"Bearer {token_for(hq)}"},
        )
    assert answer.status_code == 202, answer.content
    call_command("jobs_worker", "--batch", verbosity=0)
    job = Job.objects.get(pk=answer.json()["id"])
    assert (job.status, job.accepted, job.rejected, job.arguments["name"]) == (
        "done",
        2,
        1,
        "clients.csv",
    )


def test_a_clean_import_has_no_rejects_file(client, hq, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_csv(
            client,
            hq,
            "/legal-entities/ITJW/imports/customers",
            csv_bytes("account,first_name,last_name", "IT1,Anna,Bianchi"),
        )
    call_command("jobs_worker", "--batch", verbosity=0)
    ref = answer.json()["id"]
    assert get(client, hq, f"/legal-entities/ITJW/imports/{ref}").json()["rejects_url"] is None
    assert_error(get(client, hq, f"/legal-entities/ITJW/imports/{ref}/rejects"), 404, "not_found")


@pytest.mark.parametrize(
    ("path", "data", "content_type", "status", "field"),
    [
        ("customers", b"account,first_name,surname\nIT1,A,B\n", "text/csv", 422, "surname"),
        ("customers", b"", "text/csv", 422, "file"),
        ("purchases", GOOD_AND_BAD, "text/csv", 422, "kind"),
        ("customers", GOOD_AND_BAD, "application/json", 422, "body"),
        ("customers", b"--x\r\n\r\n--x--\r\n", "multipart/form-data; boundary=x", 422, "file"),
    ],
)
def test_a_bad_request_is_refused_at_once_and_queues_nothing(
    client, hq, path, data, content_type, status, field
):
    """R-IO-2, R-ERR-1: the field and the rule are named; no job is queued."""
    answer = post_csv(client, hq, f"/legal-entities/ITJW/imports/{path}", data, content_type)
    error = assert_error(answer, status, "invalid")
    assert error["field"] == field, error
    assert not Job.objects.exists()


def test_a_file_over_the_limit_is_refused(client, hq, monkeypatch):
    monkeypatch.setattr(services, "MAX_IMPORT_BYTES", 100)
    answer = post_csv(client, hq, "/legal-entities/ITJW/imports/customers", GOOD_AND_BAD * 3)
    assert assert_error(answer, 422, "invalid")["details"]["rule"] == "max_size"
    assert not Job.objects.exists()


def test_only_a_worker_granted_import_may_import(client, giulia):
    """R-PERM-2: an associate without the grant is refused, naming the operation."""
    answer = post_csv(client, giulia, "/legal-entities/ITJW/imports/customers", GOOD_AND_BAD)
    assert assert_error(answer, 403, "forbidden")["details"]["operation"] == "import_data"
    assert not Job.objects.exists()


def test_another_legal_entitys_imports_are_not_found(
    client, hq, other_legal_entity, django_capture_on_commit_callbacks
):
    """R-ORG-1: HQ of ITJW cannot import into LTFA nor see an import under LTFA's code."""
    assert_error(
        post_csv(client, hq, "/legal-entities/LTFA/imports/customers", GOOD_AND_BAD),
        404,
        "not_found",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ref = post_csv(client, hq, "/legal-entities/ITJW/imports/customers", GOOD_AND_BAD).json()[
            "id"
        ]
    assert_error(get(client, hq, f"/legal-entities/LTFA/imports/{ref}"), 404, "not_found")


def test_an_import_is_shown_only_to_whoever_started_it(
    client, hq, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ref = post_csv(client, hq, "/legal-entities/ITJW/imports/customers", GOOD_AND_BAD).json()[
            "id"
        ]
    call_command("jobs_worker", "--batch", verbosity=0)
    assert_error(get(client, manager, f"/legal-entities/ITJW/imports/{ref}"), 404, "not_found")
    assert_error(
        get(client, manager, f"/legal-entities/ITJW/imports/{ref}/rejects"), 404, "not_found"
    )
    assert_error(get(client, hq, f"/legal-entities/ITJW/imports/{10**30}"), 422, "invalid")
