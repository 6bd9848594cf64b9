from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationConfig(AppConfig):
    name = "clienteling.organization"
    label = "organization"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from clienteling.organization import signals

        signals.connect()
