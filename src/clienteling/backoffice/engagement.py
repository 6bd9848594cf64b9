"""Back office: acting on the book (SPEC §18). HQ sets the days for Today and outcomes, the
reminder lead times and the e-mail templates (with a preview); follow-ups, appointments and
outreach are records of what associates did, read here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, linebreaks
from django.utils.translation import gettext_lazy as _

from clienteling.backoffice.forms import ServiceCheckedForm
from clienteling.backoffice.scoping import RecordAdmin, ScopedAdmin
from clienteling.engagement import mail
from clienteling.engagement.models import (
    Appointment,
    EmailTemplate,
    EngagementParameters,
    FollowUp,
    Outreach,
    ReminderRule,
)
from clienteling.engagement.services import (
    email_template_validate,
    engagement_parameters_validate,
    reminder_rule_validate,
)

# What the preview fills the placeholders with.
PREVIEW_VALUES = {
    "first_name": "Giulia",
    "last_name": "Rossi",
    "associate": "Marco Galli",
    "store": "Milano Montenapoleone",
}


class EngagementParametersForm(ServiceCheckedForm):
    class Meta:
        model = EngagementParameters
        fields = ("legal_entity", "quiet_days", "outcome_days")

    def service_check(self, data: dict[str, Any]) -> None:
        engagement_parameters_validate(parameters=self.candidate(data))


@admin.register(EngagementParameters)
class EngagementParametersAdmin(ScopedAdmin):
    legal_entity_path = "legal_entity"
    form = EngagementParametersForm
    list_display = ("legal_entity", "quiet_days", "outcome_days")
    list_select_related = ("legal_entity",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("legal_entity",) if obj else ()


class ReminderRuleForm(ServiceCheckedForm):
    class Meta:
        model = ReminderRule
        fields = ("legal_entity", "attribute", "lead_days", "active")

    def service_check(self, data: dict[str, Any]) -> None:
        reminder_rule_validate(rule=self.candidate(data))


@admin.register(ReminderRule)
class ReminderRuleAdmin(ScopedAdmin):
    """A lead time per date attribute (R-TASK-2): `manage.py create_reminders` makes the
    follow-ups each day."""

    legal_entity_path = "legal_entity"
    form = ReminderRuleForm
    list_display = ("attribute", "legal_entity", "lead_days", "active")
    list_filter = ("legal_entity", "active")
    list_select_related = ("legal_entity", "attribute")


class EmailTemplateForm(ServiceCheckedForm):
    class Meta:
        model = EmailTemplate
        fields = ("legal_entity", "code", "language", "subject", "body")

    def service_check(self, data: dict[str, Any]) -> None:
        email_template_validate(template=self.candidate(data))


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ScopedAdmin):
    """E-mail templates per language (R-OUT-1); the preview fills the placeholders."""

    legal_entity_path = "legal_entity"
    form = EmailTemplateForm
    list_display = ("code", "language", "subject", "legal_entity", "updated_at")
    list_filter = ("legal_entity", "language")
    search_fields = ("code", "subject")
    list_select_related = ("legal_entity",)
    readonly_fields = ("preview",)
    fieldsets = (
        (None, {"fields": ("legal_entity", "code", "language", "subject", "body")}),
        (
            _("Preview"),
            {
                "fields": ("preview",),
                "description": _(
                    "Placeholders: {first_name}, {last_name}, {associate}, {store}. Save to "
                    "see the preview; every e-mail ends with an unsubscribe link."
                ),
            },
        ),
    )

    @admin.display(description=_("preview"))
    def preview(self, template: EmailTemplate) -> str:
        if not template.pk:
            return "—"
        subject = mail.fill(template.subject, PREVIEW_VALUES)
        body = mail.fill(template.body, PREVIEW_VALUES)
        return format_html("<strong>{}</strong>{}", subject, linebreaks(body, autoescape=True))


@admin.register(FollowUp)
class FollowUpAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = ("subject", "customer", "owner", "due", "done_at", "occasion")
    list_filter = ("legal_entity", "due")
    search_fields = ("=customer__account", "subject", "owner__user__username")
    list_select_related = ("customer", "owner__user")
    show_full_result_count = False


@admin.register(Appointment)
class AppointmentAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = ("start", "end", "associate", "customer", "store", "purpose")
    list_filter = ("legal_entity", "store")
    search_fields = ("=customer__account", "associate__user__username", "purpose")
    list_select_related = ("customer", "associate__user", "store")
    date_hierarchy = "start"


@admin.register(Outreach)
class OutreachAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = (
        "created_at",
        "template_code",
        "channel",
        "sender",
        "store",
        "recipients",
        "skipped_no_consent",
        "skipped_no_email",
        "job",
    )
    list_filter = ("legal_entity", "channel")
    list_select_related = ("sender__user", "store", "job")
