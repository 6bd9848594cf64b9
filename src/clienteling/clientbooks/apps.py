from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientbooksConfig(AppConfig):
    name = "clienteling.clientbooks"
    label = "clientbooks"
    verbose_name = _("Client books")

    def ready(self) -> None:
        from clienteling.clientbooks import signals

        signals.connect()
