"""The back office applies the access rules of ``organization.access`` (R-SEC-3) to every
model admin: each says where its rows' legal entity is (``legal_entity_path``) or that its
rows belong to the whole installation (``shared``); lists, change pages, choices in forms
and list filters follow from that, so an admin cannot forget the rule."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest

from clienteling.organization.access import (
    may_change_shared,
    restrict_to_back_office,
    tied_elsewhere,
)

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


def scoped_choices(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """Limit a relation field's choices to the user's legal entities."""
    related = db_field.related_model
    label = f"{related._meta.app_label}.{related._meta.model_name}"
    path = CHOICE_PATHS.get(label)
    if path is not None:
        queryset = kwargs.get("queryset", related._default_manager.all())
        kwargs["queryset"] = restrict_to_back_office(queryset, path, request.user)


class BoundedChangeList(ChangeList):
    """A list whose date filter is out of any calendar (year 99999999999) is a bad filter,
    answered as Django answers one, not a server error."""

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class ScopedAdminMixin:
    """What every admin of the product shares; see the module's docstring."""

    legal_entity_path: ClassVar[str | None] = None
    shared: ClassVar[bool] = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BoundedChangeList

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        if self.legal_entity_path is None:
            return queryset
        return restrict_to_back_office(queryset, self.legal_entity_path, request.user)

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
        if self.shared and not may_change_shared(request.user):
            return False
        path = self.legal_entity_path
        return not (
            obj is not None and path is not None and tied_elsewhere(obj, path, request.user)
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if self.shared and not may_change_shared(request.user):
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


class RecordAdmin(ScopedAdmin):
    """Rows that record what happened (activities, memberships, jobs): HQ reads them here and
    does not rewrite them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedInlineMixin:
    """Inlines show the rows of their parent, which is already scoped; their relation
    fields' choices still follow the user's legal entities."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
