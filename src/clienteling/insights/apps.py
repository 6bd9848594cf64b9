from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "clienteling.insights"
    label = "insights"
    verbose_name = _("Customer analytics")

    def ready(self) -> None:
        from clienteling.insights import checks  # noqa: F401  (registers the system checks)
