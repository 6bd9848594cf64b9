"""Sales lines in the back office (R-SALE-1): HQ reads what the retailer's systems sent."""

from __future__ import annotations

from django.contrib import admin

from clienteling.backoffice.scoping import RecordAdmin
from clienteling.sales.models import SaleLine


@admin.register(SaleLine)
class SaleLineAdmin(RecordAdmin):
    legal_entity_path = "legal_entity"
    list_display = (
        "sold_at",
        "transaction",
        "line",
        "customer",
        "store",
        "product",
        "product_name",
        "category",
        "quantity",
        "amount",
        "currency",
        "legal_entity",
    )
    list_filter = ("legal_entity", "store", "currency")
    search_fields = ("=transaction", "=customer__account", "=product")
    list_select_related = ("legal_entity", "customer", "store")
    ordering = ("-sold_at", "transaction", "line")
    date_hierarchy = "sold_at"
    # Millions of lines: no count of them all on every page.
    show_full_result_count = False
    fields = (
        "legal_entity",
        "transaction",
        "line",
        "customer",
        "sold_at",
        "store",
        "product",
        "product_name",
        "category",
        "quantity",
        "amount",
        "currency",
    )
    readonly_fields = fields
