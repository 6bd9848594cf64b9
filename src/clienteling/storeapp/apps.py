from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoreappConfig(AppConfig):
    name = "clienteling.storeapp"
    label = "storeapp"
    verbose_name = _("Store app")
