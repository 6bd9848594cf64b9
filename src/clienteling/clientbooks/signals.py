"""What drops HQ's cached settings (``selectors.SETTINGS``) when they change: any save or
deletion of the parameters, a number sequence, or the attribute catalogue. Signals rather
than services, as the back office edits these through Django's admin forms and inlines
(docs/architecture.md, "Cached reads")."""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.db.models.signals import post_delete, post_migrate, post_save

from clienteling.attributes.models import (
    Attribute,
    AttributeChoice,
    AttributeGroup,
    AttributeGroupMember,
)
from clienteling.clientbooks.models import ClientelingParameters, NumberSequence
from clienteling.clientbooks.selectors import SETTINGS
from clienteling.core.cache import SharedCacheUnavailable
from clienteling.organization.access import access_changed

logger = logging.getLogger(__name__)
SETTINGS_MODELS = (
    ClientelingParameters,
    NumberSequence,
    Attribute,
    AttributeChoice,
    AttributeGroup,
    AttributeGroupMember,
)


def _changed(sender: Any, **kwargs: Any) -> None:
    SETTINGS.bump()


def _migrated(sender: Any, **kwargs: Any) -> None:
    forget_cached_reads()


def forget_cached_reads() -> None:
    """After a deploy, a restored or a reseeded database (rows written in bulk, without
    signals), nothing cached before is trusted. A Redis that cannot be reached then is no
    reason to fail the command: its entries expire."""
    try:
        SETTINGS.bump()
        access_changed()
    except SharedCacheUnavailable:
        logger.warning(
            "shared cache unreachable after migrate: cached settings expire in %ss",
            SETTINGS.timeout,
        )


def connect() -> None:
    for model in SETTINGS_MODELS:
        label = model._meta.label
        post_save.connect(_changed, sender=model, dispatch_uid=f"settings-saved-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"settings-deleted-{label}")
    post_migrate.connect(
        _migrated, sender=apps.get_app_config("clientbooks"), dispatch_uid="settings-migrated"
    )
