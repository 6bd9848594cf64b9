"""HQ imports a file in the back office (R-IO-2, R-JOB-1): upload, the job's page with its
progress, the rejected lines to download; HQ of another legal entity sees none of it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from clienteling.customers.models import Customer
from clienteling.jobs.models import Job
from clienteling.organization.models import Worker
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FILE = b"account,first_name,last_name,email\nIT1,Anna,Bianchi,\nIT2,Bruno,Rossi,bad\n"


def back_office_user(username, legal_entity, apps=("jobs", "customers")):
    role, _ = Group.objects.get_or_create(name=f"HQ {username}")
    role.permissions.set(Permission.objects.filter(content_type__app_label__in=apps))
    user = UserFactory.create(username=username, is_staff=True)
    user.groups.add(role)
    Worker.objects.create(user=user).legal_entities.add(legal_entity)
    return user


def test_hq_uploads_watches_the_job_and_downloads_the_rejects(
    client, legal_entity, other_legal_entity, django_capture_on_commit_callbacks
):
    client.force_login(back_office_user("hq_it", legal_entity))
    form = client.get("/admin/jobs/job/import/")
    assert form.status_code == 200
    # Only the legal entities HQ works for are offered.
    assert b"ITJW" in form.content and b"LTFA" not in form.content
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/admin/jobs/job/import/",
            {
                "legal_entity": legal_entity.pk,
                "kind": "customers",
                "file": SimpleUploadedFile("clients.csv", FILE),
            },
        )
    job = Job.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/jobs/job/{job.pk}/change/")
    page = client.get(answer["Location"])
    assert b'http-equiv="refresh"' in page.content
    call_command("jobs_worker", "--batch", verbosity=0)
    page = client.get(answer["Location"])
    assert b'http-equiv="refresh"' not in page.content
    assert b"2 / 2 (100 %)" in page.content and b"rejects-link" in page.content
    rejects = client.get(f"/admin/jobs/job/{job.pk}/rejects/")
    lines = b"".join(rejects.streaming_content).decode().splitlines()
    assert lines[1].startswith("3,email,")
    assert list(Customer.objects.values_list("account", flat=True)) == ["IT1"]
    # HQ of LTFA sees neither the job nor its rejects.
    client.force_login(back_office_user("hq_lt", other_legal_entity))
    assert client.get(f"/admin/jobs/job/{job.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/jobs/job/{job.pk}/rejects/").status_code == 404


def test_a_wrong_header_or_another_legal_entity_is_refused_on_the_form(
    client, legal_entity, other_legal_entity
):
    client.force_login(back_office_user("hq_it", legal_entity))
    answer = client.post(
        "/admin/jobs/job/import/",
        {
            "legal_entity": legal_entity.pk,
            "kind": "customers",
            "file": SimpleUploadedFile("c.csv", b"account,name\nIT1,Anna\n"),
        },
    )
    assert answer.status_code == 200 and b"Unknown column name" in answer.content
    answer = client.post(
        "/admin/jobs/job/import/",
        {
            "legal_entity": other_legal_entity.pk,
            "kind": "customers",
            "file": SimpleUploadedFile("c.csv", FILE),
        },
    )
    assert answer.status_code == 200 and b"errorlist" in answer.content
    assert not Job.objects.exists()


def test_back_office_staff_without_the_import_grant_is_refused(client, legal_entity):
    client.force_login(back_office_user("viewer", legal_entity, apps=("customers",)))
    assert client.get("/admin/jobs/job/import/").status_code == 403
