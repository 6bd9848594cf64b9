"""Acting on the book (SPEC §18): follow-ups and reminders, appointments, e-mail templates and
outreach, and HQ's parameters for them. Every table carries its legal entity; the rules that
must hold when requests race are constraints here (and, for double-booking on PostgreSQL, an
exclusion constraint added by migration 0001)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clienteling.attributes.models import Attribute
from clienteling.core.fields import CODE_VALIDATOR
from clienteling.customers.models import Customer
from clienteling.jobs.models import Job
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline.models import Activity

DEFAULT_QUIET_DAYS = 90
DEFAULT_OUTCOME_DAYS = 14
LANGUAGES = (("en", _("English")), ("it", _("Italian")), ("lt", _("Lithuanian")))


class EngagementParameters(models.Model):
    """HQ's settings for Today and outreach in one legal entity (R-TODAY-1, R-OUT-2)."""

    legal_entity = models.OneToOneField(
        LegalEntity,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="engagement",
        verbose_name=_("legal entity"),
    )
    quiet_days = models.PositiveSmallIntegerField(
        _("not contacted for (days)"),
        default=DEFAULT_QUIET_DAYS,
        help_text=_("Today lists the customers of a book with no activity for this many days."),
    )
    outcome_days = models.PositiveSmallIntegerField(
        _("outcome window (days)"),
        default=DEFAULT_OUTCOME_DAYS,
        help_text=_("A purchase within this many days of an outreach message is its outcome."),
    )

    class Meta:
        verbose_name = _("engagement parameters")
        verbose_name_plural = _("engagement parameters")
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_days__gte=1, quiet_days__lte=3650),
                name="engagement_quiet_days_range",
            ),
            models.CheckConstraint(
                condition=Q(outcome_days__gte=1, outcome_days__lte=365),
                name="engagement_outcome_days_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Engagement parameters of %(le)s") % {"le": self.legal_entity_id})


class ReminderRule(models.Model):
    """HQ's lead time for a date attribute: a follow-up is made this many days before each
    customer's occasion, for the owner of the customer's book (R-TASK-2)."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.CASCADE, related_name="+", verbose_name=_("legal entity")
    )
    attribute = models.ForeignKey(
        Attribute,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("date attribute"),
        limit_choices_to={"data_type": "date"},
    )
    lead_days = models.PositiveSmallIntegerField(
        _("lead time (days)"), help_text=_("0 to 60: how many days before the occasion.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["legal_entity", "attribute__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "attribute"], name="reminderrule_once_per_attribute"
            ),
            models.CheckConstraint(condition=Q(lead_days__lte=60), name="reminderrule_lead_range"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute.code} -{self.lead_days}d"


class FollowUp(models.Model):
    """Something an associate must do for a customer by a day (R-TASK-1); a reminder's
    follow-up names the attribute and occasion it was made for, at most once (R-TASK-2)."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("customer")
    )
    owner = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("associate")
    )
    created_by = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    due = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    reminder_attribute = models.ForeignKey(
        Attribute,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reminder for"),
    )
    occasion = models.DateField(_("occasion"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=""), name="followup_subject_not_blank"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="followup_done_complete",
            ),
            models.CheckConstraint(
                condition=Q(reminder_attribute__isnull=True, occasion__isnull=True)
                | Q(reminder_attribute__isnull=False, occasion__isnull=False),
                name="followup_reminder_complete",
            ),
            # One reminder per customer and occasion, whoever owns the book (R-TASK-2).
            models.UniqueConstraint(
                fields=["legal_entity", "customer", "reminder_attribute", "occasion"],
                condition=Q(reminder_attribute__isnull=False),
                name="followup_reminder_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["owner", "legal_entity", "due", "id"],
                condition=Q(done_at__isnull=True),
                name="followup_open_by_owner",
            ),
            models.Index(fields=["customer", "due"], name="followup_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.due})"


class Appointment(models.Model):
    """An associate's time with a customer at a store (R-APPT-1). An associate's appointments
    never overlap: an exclusion constraint on PostgreSQL, a serialised check on SQLite. The
    timeline shows it through its appointment activity."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="appointments",
        verbose_name=_("customer"),
    )
    associate = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("associate")
    )
    # Appointments made before bookings existed (activities of an appointment type) may have none.
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    purpose = models.CharField(_("purpose"), max_length=200)
    activity = models.OneToOneField(
        Activity,
        on_delete=models.PROTECT,
        related_name="appointment",
        verbose_name=_("timeline entry"),
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    # A cancelled appointment stays for its history (and its timeline entry) but no longer
    # holds the associate's time: the exclusion constraint leaves it out.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_ends_after"),
            models.CheckConstraint(condition=~Q(purpose=""), name="appointment_purpose_not_blank"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True, cancelled_by__isnull=True)
                | Q(cancelled_at__isnull=False, cancelled_by__isnull=False),
                name="appointment_cancelled_by_whom",
            ),
        ]
        indexes = [
            models.Index(fields=["associate", "start"], name="appointment_associate"),
            models.Index(fields=["store", "start"], name="appointment_store"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} {self.purpose}"

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class EmailTemplate(models.Model):
    """An e-mail HQ writes for outreach, once per language (R-OUT-1). Subject and body take
    the placeholders {first_name}, {last_name}, {associate} and {store}."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["legal_entity", "code", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "code", "language"], name="emailtemplate_once_per_language"
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="emailtemplate_subject_set"),
            models.CheckConstraint(condition=~Q(body=""), name="emailtemplate_body_set"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.language})"


class Outreach(models.Model):
    """One send of a template to a selection of customers, counted before it is queued:
    recipients and those skipped, by reason (R-OUT-1)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    template_code = models.CharField(_("template"), max_length=40)
    channel = models.CharField(
        _("channel"), max_length=5, choices=Channel.choices, default=Channel.EMAIL
    )
    sender = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    job = models.ForeignKey(
        Job,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("job"),
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    skipped_no_consent = models.PositiveIntegerField(_("skipped: no consent"), default=0)
    skipped_no_email = models.PositiveIntegerField(_("skipped: no e-mail"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outreach")
        verbose_name_plural = _("outreach sends")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["legal_entity", "-created_at"], name="outreach_recent")]

    def __str__(self) -> str:
        return f"{self.template_code} #{self.pk}"


class OutreachMessage(models.Model):
    """One customer's message of an outreach: queued, then sent or failed; on the timeline
    once sent; its outcome is the first purchase within the window (R-OUT-1, R-OUT-2)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    outreach = models.ForeignKey(
        Outreach, on_delete=models.CASCADE, related_name="messages", verbose_name=_("outreach")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="outreach_messages",
        verbose_name=_("customer"),
    )
    language = models.CharField(_("language"), max_length=2, blank=True)
    status = models.CharField(
        _("status"), max_length=7, choices=Status.choices, default=Status.QUEUED
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    activity = models.OneToOneField(
        Activity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outreach_message",
        verbose_name=_("timeline entry"),
    )
    outcome_at = models.DateTimeField(_("purchase after it"), null=True, blank=True)
    outcome_activity = models.OneToOneField(
        Activity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outcome on the timeline"),
    )

    class Meta:
        verbose_name = _("outreach message")
        verbose_name_plural = _("outreach messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["outreach", "customer"], name="outreachmessage_once_per_customer"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed", "skipped"]),
                name="outreachmessage_status_known",
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(status="sent"),
                name="outreachmessage_sent_when_sent",
            ),
        ]
        indexes = [
            models.Index(fields=["outreach", "status"], name="outreachmessage_progress"),
            models.Index(fields=["customer", "sent_at"], name="outreachmessage_customer"),
            models.Index(fields=["legal_entity", "sent_at"], name="outreachmessage_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.outreach_id} → {self.customer_id} ({self.status})"
