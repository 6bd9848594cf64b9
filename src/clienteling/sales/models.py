"""Sales lines: what customers bought, where and for how much (SPEC §15)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clienteling.core.currency import CurrencyShaped, validate_currency
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Store

# What the amount column holds: 12 digits, 2 of them after the point.
AMOUNT_DIGITS = 12
AMOUNT_PLACES = 2
AMOUNT_LIMIT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_PLACES)
TRANSACTION_LENGTH = 50
PRODUCT_LENGTH = 50
PRODUCT_NAME_LENGTH = 200
CATEGORY_LENGTH = 80
# The largest line number and quantity: what a 32-bit integer column holds on every database.
MAX_INTEGER = 2**31 - 1


class SaleLine(models.Model):
    """One line of a sale (or, with a negative amount, of a return) from the POS, e-commerce or
    the ERP. It is identified by (transaction, line) within its legal entity: sending it
    again changes nothing (R-SALE-1)."""

    # No index of their own for the legal entity and the customer: the unique key and the
    # history's index start with them, and every index costs an import its share of time.
    # One foreign key holds both, (legal_entity, customer) to the customer's (legal_entity,
    # id), made by migration 0002: a line's customer is of the line's own legal entity, and
    # the database checks one key a line rather than two (a fifth of an import's time).
    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("legal entity"),
        db_index=False,
        db_constraint=False,
    )
    transaction = models.CharField(_("transaction"), max_length=TRANSACTION_LENGTH)
    line = models.PositiveIntegerField(_("line"))
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="sale_lines",
        verbose_name=_("customer"),
        db_index=False,
        db_constraint=False,
    )
    sold_at = models.DateTimeField(_("sold at"))
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
        help_text=_("Empty when sold online."),
    )
    product = models.CharField(_("product code"), max_length=PRODUCT_LENGTH, blank=True)
    product_name = models.CharField(_("product name"), max_length=PRODUCT_NAME_LENGTH, blank=True)
    category = models.CharField(_("category"), max_length=CATEGORY_LENGTH, blank=True)
    quantity = models.IntegerField(_("quantity"), default=1, help_text=_("Negative for a return."))
    amount = models.DecimalField(
        _("amount"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        help_text=_("The line's total; negative for a return."),
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])

    class Meta:
        verbose_name = _("sales line")
        verbose_name_plural = _("sales lines")
        ordering = ["-sold_at", "transaction", "line"]
        # Lines arrive from the retailer's systems only (an import): HQ reads them.
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "transaction", "line"], name="saleline_unique_in_le"
            ),
            models.CheckConstraint(
                condition=~Q(transaction=""), name="saleline_transaction_not_blank"
            ),
            models.CheckConstraint(condition=Q(line__gte=1), name="saleline_line_positive"),
            models.CheckConstraint(condition=~Q(quantity=0), name="saleline_quantity_not_zero"),
            models.CheckConstraint(
                condition=Q(amount__gt=-AMOUNT_LIMIT, amount__lt=AMOUNT_LIMIT),
                name="saleline_amount_in_range",
            ),
            models.CheckConstraint(
                condition=CurrencyShaped("currency"), name="saleline_currency_iso"
            ),
        ]
        indexes = [
            # A customer's history, newest first, and the figures of its summary.
            models.Index(fields=["customer", "-sold_at"], name="saleline_customer_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction}/{self.line}"
