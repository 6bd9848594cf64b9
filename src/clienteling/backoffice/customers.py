"""Back office: customers with their attribute values, client book and activities (R-ORG-4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from clienteling.attributes.display import value_text
from clienteling.backoffice.attributes import AttributeValueInline
from clienteling.backoffice.scoping import ScopedAdmin, ScopedInlineMixin
from clienteling.clientbooks.models import Membership
from clienteling.clientbooks.selectors import customer_card_properties
from clienteling.core.errors import Invalid
from clienteling.customers.models import Customer
from clienteling.customers.services import (
    CONTACT_FIELDS,
    customer_address_books_set,
    customer_create,
    customer_update,
)
from clienteling.timeline.selectors import timeline_page


class MembershipInline(ScopedInlineMixin, admin.TabularInline):
    """The client book(s) the customer is in; changed in the store app or the API."""

    model = Membership
    fk_name = "customer"
    extra = 0
    fields = ("book", "is_primary", "added_at", "added_by")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("client book")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("book__owner__user", "added_by__user")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(ScopedAdmin):
    legal_entity_path = "legal_entity"
    list_display = ("account", "last_name", "first_name", "email", "phone", "legal_entity")
    list_filter = ("legal_entity",)
    search_fields = ("=account", "last_name", "first_name", "email")
    list_select_related = ("legal_entity",)
    # Counting a million customers on every page costs more than the page.
    show_full_result_count = False
    filter_horizontal = ("address_books",)
    inlines = (AttributeValueInline, MembershipInline)
    change_form_template = "admin/customers/customer/change_form.html"
    fieldsets = (
        (None, {"fields": ("legal_entity", "account", "first_name", "last_name")}),
        (_("Contact"), {"fields": ("email", "phone", "street", "postal_code", "city", "country")}),
        (
            _("Language and consent"),
            {"fields": ("preferred_language", "consent_email", "consent_phone", "consent_sms")},
        ),
        (_("Store address books"), {"fields": ("address_books",)}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.fieldsets
        return (*self.fieldsets, (_("Customer card"), {"fields": ("card",)}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The account number is how every system names the customer.
        return ("legal_entity", "account", "card") if obj else ()

    @admin.display(description=_("card properties"))
    def card(self, obj: Customer) -> str:
        """The three properties of the customer's card, as associates see them (R-BOOK-6):
        analytics measures first, then the client book attributes."""
        parts = []
        for prop in customer_card_properties(legal_entity=obj.legal_entity, customer=obj):
            if prop.available:
                # As associates read it, in HQ's language: no raw dates or decimals (R-UX-2).
                raw = prop.value_label or prop.value
                if prop.data_type == "percent" and isinstance(raw, int | float | Decimal):
                    raw, unit = round(Decimal(str(raw)) * 100), "%"
                else:
                    unit = prop.unit
                shown = value_text(raw, unit=unit)
                value = shown or "—"
            else:
                value = str(_("unavailable"))
            parts.append(
                format_html(
                    '<div data-code="{}">{}: <strong>{}</strong></div>',
                    prop.code,
                    prop.label,
                    value,
                )
            )
        return format_html_join("", "{}", ((p,) for p in parts)) or "—"

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        # Through the services, so the cards that show the customer follow at once.
        contact = {name: getattr(obj, name) for name in CONTACT_FIELDS}
        if change:
            customer_update(customer=obj, **contact)
        else:
            created = customer_create(legal_entity=obj.legal_entity, account=obj.account, **contact)
            obj.pk = created.pk
            obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        customer_address_books_set(
            customer=form.instance, address_books=form.cleaned_data.get("address_books") or []
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/activities/",
                self.admin_site.admin_view(self.activities_view),
                name="customers_customer_activities",
            )
        ]
        return extra + super().get_urls()

    def activities_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The Activities tab: the customer's timeline, newest first, a page at a time (R-ACT-3)."""
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404(_("Customer not found."))
        if not self.has_view_or_change_permission(request, customer):
            raise PermissionDenied
        try:
            page = timeline_page(customer=customer, cursor=request.GET.get("cursor") or None)
        except Invalid as error:
            self.message_user(request, str(error.message), messages.ERROR)
            page = timeline_page(customer=customer)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": customer,
            "title": _("Activities of %(customer)s") % {"customer": customer},
            "timeline": page,
        }
        return TemplateResponse(request, "admin/customers/customer/activities.html", context)
