"""Back office: attributes, their allowed values, and attribute groups (R-ATTR-1..3, R-ATTR-5)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clienteling.attributes.display import value_text
from clienteling.attributes.models import (
    Attribute,
    AttributeChoice,
    AttributeGroup,
    AttributeGroupMember,
    AttributeValue,
)
from clienteling.backoffice.forms import ServiceCheckedForm
from clienteling.backoffice.scoping import ScopedAdmin, ScopedInlineMixin
from clienteling.clientbooks.services import attribute_save, attribute_validate


class AttributeChoiceInline(ScopedInlineMixin, admin.TabularInline):
    """The allowed values, each with its label in Italian and Lithuanian (R-UX-2)."""

    model = AttributeChoice
    extra = 1
    fields = ("value", "label_it", "label_lt", "position")
    verbose_name_plural = _("allowed values (text attributes; leave empty for free text)")


class AttributeForm(ServiceCheckedForm):
    class Meta:
        model = Attribute
        fields = (
            "code",
            "data_type",
            "can_be_refined",
            "name",
            "name_it",
            "name_lt",
            "unit",
            "min_value",
            "max_value",
            "default_value",
        )

    def service_check(self, data: dict[str, Any]) -> None:
        attribute_validate(attribute=self.candidate(data))


@admin.register(Attribute)
class AttributeAdmin(ScopedAdmin):
    """The attribute catalogue serves every legal entity (R-ATTR-1)."""

    shared = True
    form = AttributeForm
    list_display = (
        "code",
        "name",
        "data_type",
        "can_be_refined",
        "filter_slot",
        "unit",
        "min_value",
        "max_value",
    )
    list_filter = ("data_type", "can_be_refined")
    search_fields = ("code", "name", "name_it", "name_lt")
    ordering = ("code",)
    inlines = (AttributeChoiceInline,)
    fieldsets = (
        (None, {"fields": ("code", "data_type", "can_be_refined", "filter_slot")}),
        (_("Name in each language"), {"fields": ("name", "name_it", "name_lt")}),
        (_("Rules"), {"fields": ("unit", "min_value", "max_value", "default_value")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The slot is given by the system.
        return ("filter_slot",)

    def save_model(self, request: HttpRequest, obj: Attribute, form: Any, change: bool) -> None:
        # Through the service: a refinable attribute gets an indexed filter slot, one that
        # stops being refinable gives its slot up (R-BOOK-7).
        attribute_save(attribute=obj)


class AttributeGroupMemberInline(ScopedInlineMixin, admin.TabularInline):
    model = AttributeGroupMember
    extra = 1
    fields = ("attribute", "display_order")
    autocomplete_fields = ("attribute",)
    ordering = ("display_order",)
    verbose_name_plural = _("attributes, in display order (the card shows the first ones)")


@admin.register(AttributeGroup)
class AttributeGroupAdmin(ScopedAdmin):
    """Groups of the shared catalogue; each legal entity's parameters choose one (R-ATTR-3)."""

    shared = True
    list_display = ("code", "name", "member_count")
    search_fields = ("code", "name")
    inlines = (AttributeGroupMemberInline,)

    @admin.display(description=_("attributes"))
    def member_count(self, group: AttributeGroup) -> int:
        return group.attributes.count()


class AttributeValueInline(ScopedInlineMixin, admin.TabularInline):
    """A customer's attribute values, read here; associates and the API edit them through
    the validated service (R-ATTR-4)."""

    model = AttributeValue
    extra = 0
    fields = ("attribute", "shown_value", "updated_at")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("attribute values")

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .select_related("attribute")
            .prefetch_related("attribute__choices")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("value"))
    def shown_value(self, value: AttributeValue) -> str:
        """The value as HQ reads it in its language: dates, numbers, labels (R-UX-2)."""
        return value_text(value.value, attribute=value.attribute)
