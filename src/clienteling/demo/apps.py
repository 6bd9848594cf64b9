from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data and fakes; in INSTALLED_APPS only when DJANGO_ENV is not production."""

    name = "clienteling.demo"
    label = "demo"
    verbose_name = _("Demo")
