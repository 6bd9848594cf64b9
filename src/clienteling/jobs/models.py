"""A background job as people see it (R-JOB-1): what it is, who started it, how far it got and
how it ended. The queue itself is django-tasks'; a job row outlives its task and its retries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clienteling.organization.models import LegalEntity


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=40)
    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.CASCADE, related_name="+", verbose_name=_("legal entity")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    # What the job works on, as its kind reads it (an import's file name and options).
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    processed = models.BigIntegerField(_("processed"), default=0)
    total = models.BigIntegerField(_("total"), null=True, blank=True)
    accepted = models.BigIntegerField(_("accepted"), default=0)
    rejected = models.BigIntegerField(_("rejected"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("why it failed"), max_length=500, blank=True)
    input_file = models.FileField(_("input"), upload_to="jobs/input/", blank=True)
    result_file = models.FileField(_("result"), upload_to="jobs/result/", blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        # Loading a retailer's files is HQ's; the grant sits with the jobs that run it.
        permissions = [("import_data", _("Import data from files"))]
        indexes = [models.Index(fields=["legal_entity", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__gte=0) & Q(accepted__gte=0) & Q(rejected__gte=0),
                name="job_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(total__gte=0), name="job_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="job_status_known",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(status__in=["done", "failed"]),
                name="job_finished_only_when_ended",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
