"""Reads of the organisation, scoped to what the actor works for (R-ORG-1)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext as _

from clienteling.core.errors import NotFound
from clienteling.organization.models import LegalEntity, Worker


def worker_get(*, legal_entity: LegalEntity, username: str, field: str = "worker") -> Worker:
    """An active worker employed by the legal entity; anyone else is not found."""
    worker = (
        Worker.objects.select_related("user")
        .filter(legal_entities=legal_entity, user__username=username, user__is_active=True)
        .first()
    )
    if worker is None:
        raise NotFound(_("Worker %(username)s not found.") % {"username": username}, field=field)
    return worker


def user_language(user: AbstractBaseUser | AnonymousUser) -> str:
    """The language the logged-in worker chose (R-UX-2); empty when none was chosen, for a
    login that is no worker, or before logging in."""
    if not user.is_authenticated:
        return ""
    worker = getattr(user, "worker", None)
    return worker.language if worker is not None else ""
