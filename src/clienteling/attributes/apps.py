from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttributesConfig(AppConfig):
    name = "clienteling.attributes"
    label = "attributes"
    verbose_name = _("Attributes")
