"""Activity types, activities, notes and client-book events: a customer's timeline (SPEC §7)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clienteling.attributes.models import TranslatedName
from clienteling.core.fields import CODE_VALIDATOR
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Store, Worker


class ActivityType(TranslatedName):
    """A kind of activity HQ offers a legal entity; retired types keep their history (R-ACT-1)."""

    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        related_name="activity_types",
        verbose_name=_("legal entity"),
    )
    code = models.CharField(_("code"), max_length=20, validators=[CODE_VALIDATOR])
    is_appointment = models.BooleanField(
        _("appointment"),
        default=False,
        help_text=_("Activities of this type have a scheduled start and a duration."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Retired types are not offered for new activities; their history stays."),
    )
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["legal_entity", "display_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "code"], name="activity_type_code_unique_in_le"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.localized_name()}"


class Activity(models.Model):
    """Something an associate did with a customer, when, where and by whom (R-ACT-2)."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="activities", verbose_name=_("customer")
    )
    type = models.ForeignKey(
        ActivityType, on_delete=models.PROTECT, related_name="activities", verbose_name=_("type")
    )
    occurred_at = models.DateTimeField(_("when"))
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    author = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="activities", verbose_name=_("recorded by")
    )
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("store"),
    )
    scheduled_start = models.DateTimeField(_("scheduled start"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="activity_timeline"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=""), name="activity_subject_not_blank"),
            # An appointment has both a start and a duration; other activities neither.
            models.CheckConstraint(
                condition=Q(scheduled_start__isnull=True, duration_minutes__isnull=True)
                | Q(
                    scheduled_start__isnull=False,
                    duration_minutes__isnull=False,
                    duration_minutes__gt=0,
                ),
                name="activity_schedule_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type.code} {self.subject}"


class Note(models.Model):
    """Free text about a customer, read before each interaction (R-NOTE-1)."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="notes", verbose_name=_("customer")
    )
    author = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="notes", verbose_name=_("author")
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written at"))
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="note_timeline")]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="note_not_blank")]

    def __str__(self) -> str:
        return self.text[:60]


class NoteChange(models.Model):
    """What a note said before its author edited or deleted it (R-NOTE-1: changes are recorded)."""

    class Kind(models.TextChoices):
        EDITED = "edited", _("edited")
        DELETED = "deleted", _("deleted")

    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, related_name="changes", verbose_name=_("note")
    )
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    previous_text = models.TextField(_("previous text"))
    changed_by = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("note change")
        verbose_name_plural = _("note changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.changed_at:%Y-%m-%d %H:%M}"


class BookEvent(models.Model):
    """A customer added to, removed from or moved between client books: by whom and when."""

    class Kind(models.TextChoices):
        ADDED = "added", _("added to a client book")
        REMOVED = "removed", _("removed from a client book")
        REASSIGNED = "reassigned", _("moved to another client book")

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="book_events", verbose_name=_("customer")
    )
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    book_number = models.CharField(_("client book"), max_length=40)
    owner = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("book owner"),
    )
    previous_owner = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous owner"),
    )
    # None: made by an import (R-IO-2), which no worker did by hand.
    actor = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("by"),
    )
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("client book event")
        verbose_name_plural = _("client book events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="bookevent_timeline")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.book_number}"
