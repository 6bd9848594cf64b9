"""What drops the cached worker access (``access.access_of``) when what it is read from
changes. Signals rather than services: logins, roles and permissions are Django's auth models,
written by its admin, ``createsuperuser`` and ``changepassword`` without passing through a
service of ours, and an m2m change (a role given, a store added) is only seen this way
(docs/architecture.md, "Cached reads")."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save

from clienteling.organization.access import access_changed
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker

M2M_CHANGES = {"post_add", "post_remove", "post_clear"}


def _saved(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
    # A login stamps last_login on every sign-in; nothing cached depends on it.
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return
    access_changed()


def _deleted(sender: Any, **kwargs: Any) -> None:
    access_changed()


def _m2m(sender: Any, action: str, **kwargs: Any) -> None:
    if action in M2M_CHANGES:
        access_changed()


def connect() -> None:
    user = get_user_model()
    for model in (user, Group, Permission, LegalEntity, Store, Worker, AddressBook):
        # A worker's own fields (their language) are not part of it; their deletion is.
        if model is not Worker:
            post_save.connect(
                _saved, sender=model, dispatch_uid=f"access-saved-{model._meta.label}"
            )
        post_delete.connect(
            _deleted, sender=model, dispatch_uid=f"access-deleted-{model._meta.label}"
        )
    for through in (
        Worker.legal_entities.through,
        Worker.stores.through,
        # Who shares an address book with a store: whose books the store shows.
        Worker.address_books.through,
        Store.address_books.through,
        user.groups.through,
        user.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(_m2m, sender=through, dispatch_uid=f"access-m2m-{through._meta.label}")
