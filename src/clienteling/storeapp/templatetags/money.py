"""Amounts of money in the reader's language: ``{{ amount|money:currency }}``.

English puts the symbol first (€1,250.00), Italian and Lithuanian after the number
(1.250,00 €); grouping and the decimal mark are Django's formats of the active language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import translation
from django.utils.formats import number_format

register = template.Library()

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
SYMBOL_FIRST = {"en"}
NO_BREAK = "\u00a0"


def money_text(amount: Decimal | int | float | None, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount))
    digits = number_format(abs(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    sign = "-" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    language = (translation.get_language() or "en").split("-")[0]
    if symbol and language in SYMBOL_FIRST:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits}{NO_BREAK}{symbol or currency}"


@register.filter
def money(amount: Any, currency: str) -> str:
    """The amount with its currency, as people of the active language write it."""
    return money_text(amount, currency)
