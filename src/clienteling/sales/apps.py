from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    """Purchase history: the sales lines of the POS, e-commerce and ERP (SPEC §15)."""

    name = "clienteling.sales"
    label = "sales"
    verbose_name = _("Sales")
