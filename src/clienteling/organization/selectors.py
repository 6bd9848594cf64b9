"""Reads of the organisation, scoped to what the actor works for (R-ORG-1)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from clienteling.core.errors import Forbidden, NotFound
from clienteling.organization.models import LegalEntity, Store, Worker


def worker_for_user(user: AbstractBaseUser | AnonymousUser) -> Worker:
    """The worker behind a login; a login without one may do nothing in the store app or API."""
    worker = getattr(user, "worker", None) if user.is_authenticated else None
    if worker is None:
        raise Forbidden(_("This login is not a worker."), operation="worker")
    return worker


def legal_entities_of(actor: Worker) -> QuerySet[LegalEntity]:
    return actor.legal_entities.all()


def legal_entity_get(*, actor: Worker, code: str) -> LegalEntity:
    """The legal entity ``code`` if the actor works for it; otherwise not found, never a hint."""
    legal_entity = actor.legal_entities.filter(code=code).first()
    if legal_entity is None:
        raise NotFound(_("Legal entity %(code)s not found.") % {"code": code}, field="legal_entity")
    return legal_entity


def store_get(*, actor: Worker, legal_entity: LegalEntity, code: str) -> Store:
    """A store of the legal entity that the actor is assigned to."""
    store = actor.stores.filter(legal_entity=legal_entity, code=code).first()
    if store is None:
        raise NotFound(_("Store %(code)s not found.") % {"code": code}, field="store")
    return store


def worker_get(*, legal_entity: LegalEntity, username: str, field: str = "worker") -> Worker:
    """A worker employed by the legal entity."""
    worker = (
        Worker.objects.select_related("user")
        .filter(legal_entities=legal_entity, user__username=username, user__is_active=True)
        .first()
    )
    if worker is None:
        raise NotFound(_("Worker %(username)s not found.") % {"username": username}, field=field)
    return worker
