from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """HQ's back office: the Django admin as a face over the domain services (R-SEC-3)."""

    name = "clienteling.backoffice"
    verbose_name = _("back office")
