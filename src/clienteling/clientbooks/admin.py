"""Back office: number sequences (R-SEQ-1, R-SEQ-2), clienteling settings, client books."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clienteling.clientbooks.models import (
    SEQUENCE_FORMAT,
    ClientBook,
    ClientelingParameters,
    Membership,
    NumberSequence,
)
from clienteling.clientbooks.services import clienteling_parameters_validate
from clienteling.core.errors import Invalid


class NumberSequenceForm(forms.ModelForm):
    class Meta:
        model = NumberSequence
        fields = ("legal_entity", "code", "name", "format", "next_value")

    def clean_format(self) -> str:
        value = self.cleaned_data["format"]
        if SEQUENCE_FORMAT.match(value) is None:
            raise forms.ValidationError(
                _("Use a prefix, one run of '#' (1 to 18) and an optional suffix, e.g. CB-######.")
            )
        return str(value)

    def clean_next_value(self) -> int:
        value = int(self.cleaned_data["next_value"])
        # Numbers are never reused: the counter may move forward, never back (R-SEQ-2).
        if self.instance.pk and value < self.instance.next_value:
            raise forms.ValidationError(
                _("The next value cannot go back below %(value)d: numbers are never reused.")
                % {"value": self.instance.next_value}
            )
        return value


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    form = NumberSequenceForm
    list_display = ("code", "legal_entity", "format", "next_value", "example")
    list_filter = ("legal_entity",)
    search_fields = ("code", "name")
    list_select_related = ("legal_entity",)

    @admin.display(description=_("next identifier"))
    def example(self, sequence: NumberSequence) -> str:
        try:
            return sequence.render(sequence.next_value)
        except ValueError:
            return "—"


class ClientelingParametersForm(forms.ModelForm):
    class Meta:
        model = ClientelingParameters
        fields = (
            "legal_entity",
            "enabled",
            "membership_mode",
            "attribute_group",
            "client_book_sequence",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        legal_entity = data.get("legal_entity") or getattr(self.instance, "legal_entity", None)
        if legal_entity is not None:
            changes = {
                k: data.get(k) for k in self.Meta.fields if k != "legal_entity" and k in data
            }
            try:
                clienteling_parameters_validate(legal_entity=legal_entity, **changes)
            except Invalid as error:
                self.add_error(
                    error.field if error.field in self.fields else None, str(error.message)
                )
        return data


@admin.register(ClientelingParameters)
class ClientelingParametersAdmin(admin.ModelAdmin):
    """The clienteling switch per legal entity, also editable on the legal entity's page."""

    form = ClientelingParametersForm
    list_display = (
        "legal_entity",
        "enabled",
        "membership_mode",
        "attribute_group",
        "client_book_sequence",
    )
    list_editable = ("enabled",)
    list_select_related = ("legal_entity", "attribute_group", "client_book_sequence")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("legal_entity",) if obj else ()


@admin.register(ClientBook)
class ClientBookAdmin(admin.ModelAdmin):
    """Every associate's book; the customers in it are listed under Memberships."""

    list_display = ("identifier", "owner", "legal_entity", "customer_count", "created_at")
    list_filter = ("legal_entity",)
    search_fields = ("identifier", "owner__user__username", "owner__user__last_name")
    list_select_related = ("owner__user", "legal_entity")
    readonly_fields = ("identifier", "owner", "legal_entity", "created_at", "customers_link")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClientBook]:
        return super().get_queryset(request).annotate(customers_in_book=Count("memberships"))

    @admin.display(description=_("customers"), ordering="customers_in_book")
    def customer_count(self, book: ClientBook) -> int:
        return int(getattr(book, "customers_in_book", 0))

    @admin.display(description=_("customers in the book"))
    def customers_link(self, book: ClientBook) -> str:
        url = reverse("admin:clientbooks_membership_changelist") + f"?book__id__exact={book.pk}"
        count = book.memberships.count()
        return format_html('<a href="{}">{}</a>', url, _("%(count)d customers") % {"count": count})

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A book is made on its owner's first add (R-BOOK-1), with the next identifier.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Who is in which book: read here; the store app and the API change it, by the rules."""

    list_display = ("customer", "book", "is_primary", "added_at", "added_by")
    list_filter = ("legal_entity", "is_primary")
    search_fields = ("customer__account", "customer__last_name", "book__identifier")
    list_select_related = ("customer", "book__owner__user", "added_by__user")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
