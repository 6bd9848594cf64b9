"""Back office: number sequences (R-SEQ-1, R-SEQ-2), clienteling settings, client books."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clienteling.backoffice.forms import ServiceCheckedForm
from clienteling.backoffice.organization import PARAMETER_FIELDS, CardFactsField
from clienteling.backoffice.scoping import RecordAdmin, ScopedAdmin
from clienteling.clientbooks.models import (
    ClientBook,
    ClientelingParameters,
    Membership,
    NumberSequence,
)
from clienteling.clientbooks.services import (
    clienteling_parameters_update,
    clienteling_parameters_validate,
    number_sequence_save,
    number_sequence_validate,
)


class NumberSequenceForm(ServiceCheckedForm):
    class Meta:
        model = NumberSequence
        fields = ("legal_entity", "code", "name", "format", "next_value")

    def service_check(self, data: dict[str, Any]) -> None:
        number_sequence_validate(sequence=self.candidate(data))


@admin.register(NumberSequence)
class NumberSequenceAdmin(ScopedAdmin):
    legal_entity_path = "legal_entity"
    form = NumberSequenceForm
    list_display = ("code", "legal_entity", "format", "next_value", "example")
    list_filter = ("legal_entity",)
    search_fields = ("code", "name")
    list_select_related = ("legal_entity",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("legal_entity",) if obj else ()

    def save_model(
        self, request: HttpRequest, obj: NumberSequence, form: Any, change: bool
    ) -> None:
        number_sequence_save(sequence=obj)

    @admin.display(description=_("next identifier"))
    def example(self, sequence: NumberSequence) -> str:
        try:
            return sequence.render(sequence.next_value)
        except ValueError:
            return "—"


class ClientelingParametersForm(ServiceCheckedForm):
    class Meta:
        model = ClientelingParameters
        fields = ("legal_entity", *PARAMETER_FIELDS)
        field_classes = {"card_facts": CardFactsField}

    def service_check(self, data: dict[str, Any]) -> None:
        legal_entity = data.get("legal_entity") or getattr(self.instance, "legal_entity", None)
        if legal_entity is not None:
            clienteling_parameters_validate(
                legal_entity=legal_entity,
                **{name: data[name] for name in PARAMETER_FIELDS if name in data},
            )


@admin.register(ClientelingParameters)
class ClientelingParametersAdmin(ScopedAdmin):
    """The clienteling switch per legal entity, also editable on the legal entity's page."""

    legal_entity_path = "legal_entity"

    form = ClientelingParametersForm
    list_display = (
        "legal_entity",
        "enabled",
        "membership_mode",
        "attribute_group",
        "client_book_sequence",
        "card_facts",
    )
    list_editable = ("enabled",)
    list_select_related = ("legal_entity", "attribute_group", "client_book_sequence")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("legal_entity",) if obj else ()

    def save_model(
        self, request: HttpRequest, obj: ClientelingParameters, form: Any, change: bool
    ) -> None:
        # Through the service: the rules, and in force at the next request (R-DIST-1).
        clienteling_parameters_update(
            legal_entity=form.cleaned_data.get("legal_entity") or obj.legal_entity,
            **{name: getattr(obj, name) for name in PARAMETER_FIELDS},
        )


@admin.register(ClientBook)
class ClientBookAdmin(ScopedAdmin):
    """Every associate's book; the customers in it are listed under Memberships."""

    legal_entity_path = "legal_entity"

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
class MembershipAdmin(RecordAdmin):
    """Who is in which book: read here; the store app and the API change it, by the rules."""

    legal_entity_path = "legal_entity"

    list_display = ("customer", "book", "is_primary", "added_at", "added_by")
    list_filter = ("legal_entity", "is_primary")
    search_fields = ("customer__account", "customer__last_name", "book__identifier")
    list_select_related = ("customer", "book__owner__user", "added_by__user")
    show_full_result_count = False
