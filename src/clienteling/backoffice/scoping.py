"""The back office shows an HQ user only the legal entities they work for; a superuser sees
all (R-SEC-3). Every model admin says where its rows' legal entity is (``legal_entity_path``)
or that its rows belong to the whole installation (``shared``); lists, change pages, choices
in forms and list filters follow from that, so an admin cannot forget the rule.

Shared rows (the attribute catalogue, roles, key vaults, secret references) change what
every legal entity sees, so only a superuser changes them; others may read them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from clienteling.core.request_memo import memoized
from clienteling.organization.models import LegalEntity

# For a foreign key or many-to-many to one of these models, the choices are those of the
# user's legal entities: the path from that model to its legal entity.
CHOICE_PATHS: dict[str, str] = {
    "organization.legalentity": "pk",
    "organization.store": "legal_entity",
    "organization.addressbook": "legal_entity",
    "organization.worker": "legal_entities",
    "auth.user": "worker__legal_entities",
    "customers.customer": "legal_entity",
    "clientbooks.numbersequence": "legal_entity",
    "clientbooks.clientbook": "legal_entity",
    "timeline.activitytype": "legal_entity",
}


def hq_legal_entity_ids(user: AbstractBaseUser | AnonymousUser) -> frozenset[int] | None:
    """The legal entities a back-office user works for; None for a superuser (all of them)."""
    if getattr(user, "is_superuser", False):
        return None
    if not user.is_authenticated:
        return frozenset()

    def load() -> frozenset[int]:
        return frozenset(
            LegalEntity.objects.filter(workers__user_id=user.pk).values_list("pk", flat=True)
        )

    return memoized(("backoffice.legal_entities", user.pk), load)


def restrict(queryset: QuerySet[Any], path: str, user: Any) -> QuerySet[Any]:
    """Rows of ``queryset`` whose legal entity (at ``path``) the user works for."""
    allowed = hq_legal_entity_ids(user)
    if allowed is None:
        return queryset
    if path == "pk":
        return queryset.filter(pk__in=allowed)
    rows = queryset.filter(**{f"{path}__in": allowed})
    # A path through a many-valued relation may match a row more than once.
    return rows.distinct() if _many_valued(queryset.model, path) else rows


def _many_valued(model: Any, path: str) -> bool:
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.many_to_many or field.one_to_many:
            return True
        if field.related_model is None:
            return False
        model = field.related_model
    return False


def outside_scope(obj: Model, path: str, user: Any) -> bool:
    """Whether ``obj`` is tied to a legal entity the user does not work for: a worker also
    employed elsewhere is one HQ of one legal entity may read but not change."""
    allowed = hq_legal_entity_ids(user)
    if allowed is None or path == "pk":
        return False
    manager = type(obj)._default_manager
    return (
        manager.filter(pk=obj.pk)
        .exclude(**{f"{path}__in": allowed})
        .filter(~Q(**{f"{path}__isnull": True}))
        .exists()
    )


def scoped_choices(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """Limit a relation field's choices to the user's legal entities."""
    related = db_field.related_model
    label = f"{related._meta.app_label}.{related._meta.model_name}"
    path = CHOICE_PATHS.get(label)
    if path is not None:
        queryset = kwargs.get("queryset", related._default_manager.all())
        kwargs["queryset"] = restrict(queryset, path, request.user)


class ScopedAdminMixin:
    """What every admin of the product shares; see the module's docstring."""

    legal_entity_path: ClassVar[str | None] = None
    shared: ClassVar[bool] = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        if self.legal_entity_path is None:
            return queryset
        return restrict(queryset, self.legal_entity_path, request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A related filter lists every row of the related model; only those in the
        # (already restricted) list are offered.
        filters: Any = super().get_list_filter(request)  # type: ignore[misc]
        return [
            (name, admin.RelatedOnlyFieldListFilter)
            if isinstance(name, str) and self._is_relation(name)
            else name
            for name in filters
        ]

    def _is_relation(self, name: str) -> bool:
        model = self.model  # type: ignore[attr-defined]
        try:
            for part in name.split("__"):
                field = model._meta.get_field(part)
                if not field.is_relation:
                    return False
                model = field.related_model
        except FieldDoesNotExist:
            return False
        return True

    def _may_change_rows(self, request: HttpRequest, obj: Any) -> bool:
        if self.shared and not request.user.is_superuser:
            return False
        path = self.legal_entity_path
        return not (obj is not None and path is not None and outside_scope(obj, path, request.user))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if self.shared and not request.user.is_superuser:
            return False
        return bool(super().has_add_permission(request, *args))  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_change_rows(request, obj) and bool(
            super().has_change_permission(request, obj)  # type: ignore[misc]
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_change_rows(request, obj) and bool(
            super().has_delete_permission(request, obj)  # type: ignore[misc]
        )


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A model admin of the product."""


class ScopedInlineMixin:
    """Inlines show the rows of their parent, which is already scoped; their relation
    fields' choices still follow the user's legal entities."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
