"""System checks an operator sees in ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache_in_production(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without a shared cache, one process's change of an activity type is not seen by the
    others until their copy expires (R-ACT-4)."""
    if settings.PRODUCTION and not settings.REDIS_URL:
        return [
            Warning(
                "REDIS_URL is not set: each web process keeps its own cache.",
                hint="Set REDIS_URL so that every process sees HQ's changes at its next request.",
                id="clienteling.W001",
            )
        ]
    return []
