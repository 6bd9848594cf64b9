"""The one refusal shared by the demo and benchmark commands: never with production settings."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError


def refuse_production(command: str) -> None:
    """Raise a CommandError naming ``command`` when the settings are production's
    (``DJANGO_ENV=production``): demo data, fakes and benchmark data never belong there."""
    if getattr(settings, "PRODUCTION", False):
        raise CommandError(
            f"{command} refuses to run with production settings (DJANGO_ENV=production): "
            "it is demo and benchmark scaffolding."
        )
