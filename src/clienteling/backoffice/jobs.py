"""Background jobs in the back office: what ran, how far it got, why it failed. The queue's
own rows (django-tasks-db's) are not shown: a job row says everything people need."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from clienteling.backoffice.scoping import RecordAdmin
from clienteling.jobs.models import Job

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(Job)
class JobAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = (
        "created_at",
        "kind",
        "legal_entity",
        "status",
        "progress",
        "rejected",
        "started_by",
    )
    list_filter = ("status", "kind", "legal_entity")
    fields = (
        "kind",
        "legal_entity",
        "started_by",
        "status",
        "progress",
        "accepted",
        "rejected",
        "attempts",
        "error",
        "result_file",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description=_("progress"))
    def progress(self, job: Job) -> str:
        if job.total:
            return f"{job.processed:,} / {job.total:,} ({100 * job.processed // job.total} %)"
        return f"{job.processed:,}"
