"""Background jobs in the back office: what ran, how far it got, why it failed. The queue's
own rows (django-tasks-db's) are not shown: a job row says everything people need."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from clienteling.backoffice.scoping import RecordAdmin
from clienteling.core.errors import DomainError
from clienteling.dataio.imports import KINDS
from clienteling.dataio.services import import_start
from clienteling.jobs.models import Job
from clienteling.organization.access import (
    back_office_legal_entities,
    restrict_to_back_office,
    worker_for_user,
)
from clienteling.organization.models import LegalEntity

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
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    change_form_template = "admin/jobs/job/change_form.html"
    change_list_template = "admin/jobs/job/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="jobs_job_import"),
            path(
                "<path:object_id>/rejects/",
                self.admin_site.admin_view(self.rejects_view),
                name="jobs_job_rejects",
            ),
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV: the file is checked, queued, and its job's page follows (R-IO-2)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ImportForm(request.user, request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                with transaction.atomic():
                    job = import_start(
                        actor=worker_for_user(request.user),
                        legal_entity=form.cleaned_data["legal_entity"],
                        kind=form.cleaned_data["kind"],
                        upload=upload,
                        name=upload.name or "",
                    )
            except DomainError as error:
                form.add_error(
                    "file" if error.field not in form.fields else error.field, str(error.message)
                )
            else:
                messages.success(request, _("The file is being imported."))
                return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import data"),
            "form": form,
            "columns": {name: kind.columns for name, kind in sorted(KINDS.items())},
        }
        return TemplateResponse(request, "admin/jobs/job/import.html", context)

    def rejects_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        job = self.get_object(request, object_id)
        if job is None or not job.result_file:
            raise Http404(_("No rejected lines."))
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return FileResponse(
            job.result_file.open("rb"),
            as_attachment=True,
            filename=f"rejects-{job.pk}.csv",
            content_type="text/csv; charset=utf-8",
        )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        job = context.get("original")
        # While a job runs its page reloads itself, so HQ watches the progress.
        context["refresh"] = job is not None and job.status in (
            Job.Status.QUEUED,
            Job.Status.RUNNING,
        )
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=_("progress"))
    def progress(self, job: Job) -> str:
        if job.total:
            return f"{job.processed:,} / {job.total:,} ({100 * job.processed // job.total} %)"
        return f"{job.processed:,}"


class ImportForm(forms.Form):
    legal_entity = forms.ModelChoiceField(
        label=_("legal entity"), queryset=LegalEntity.objects.none()
    )
    kind = forms.ChoiceField(label=_("kind of file"), choices=())
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma or semicolon separated, with a header row."),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        legal_entities = restrict_to_back_office(LegalEntity.objects.order_by("code"), "pk", user)
        field = self.fields["legal_entity"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = legal_entities
        if back_office_legal_entities(user) is not None and legal_entities.count() == 1:
            field.initial = legal_entities.first()
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(name, name) for name in sorted(KINDS)]
