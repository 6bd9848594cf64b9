from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    """Acting on the book (SPEC §18): Today, follow-ups, reminders, appointments, outreach."""

    name = "clienteling.engagement"
    label = "engagement"
    verbose_name = _("Acting on the book")
