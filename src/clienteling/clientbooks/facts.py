"""The purchase facts on the cards (R-SALE-3): last purchase, spend and visits in the last 12
months, favourite category. Each card row keeps them in a typed, indexed column (``models.
FACT_COLUMNS``), so that they filter like refinable attributes (``attr.SPEND_12M.min=5000``;
"no purchase for 90 days" is ``attr.LAST_PURCHASE.max=`` that day) and show on cards.

The services keep them up to date: ``sales_upsert`` in its own transaction, the client book
services when a card row is made, and ``refresh_purchase_facts`` each night for the 12- and
24-month windows that moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clienteling.attributes.models import Attribute, DataType
from clienteling.sales.selectors import PurchaseSummary


@dataclass(frozen=True)
class PurchaseFact:
    code: str
    column: str
    data_type: DataType
    label: Promise


FACTS = (
    PurchaseFact("LAST_PURCHASE", "last_purchase", DataType.DATE, _("Last purchase")),
    PurchaseFact("SPEND_12M", "spend_12m", DataType.DECIMAL, _("Spend in 12 months")),
    PurchaseFact("VISITS_12M", "visits_12m", DataType.INTEGER, _("Visits in 12 months")),
    PurchaseFact("FAV_CATEGORY", "fav_category", DataType.TEXT, _("Favourite category")),
)
BY_CODE = {fact.code: fact for fact in FACTS}
# What HQ may put on the cards: up to three facts (a card shows three properties), stored as
# their codes in the order above, comma-separated; the database refuses any other value.
CARD_FACTS_MAX = 3
CARD_FACT_SELECTIONS = [
    ",".join(fact.code for fact in chosen)
    for size in range(CARD_FACTS_MAX + 1)
    for chosen in combinations(FACTS, size)
]


def card_fact_codes(stored: str) -> list[str]:
    """The codes of a stored selection of card facts, in their order."""
    return [code for code in stored.split(",") if code in BY_CODE]


def card_facts_stored(codes: list[str]) -> str:
    """A selection of card facts as stored: known codes in their order, comma-separated."""
    return ",".join(fact.code for fact in FACTS if fact.code in codes)


# A customer who never bought: no date, nothing spent, no visit, no favourite.
NO_PURCHASES: dict[str, Any] = {
    "last_purchase": None,
    "spend_12m": Decimal("0.00"),
    "visits_12m": 0,
    "fav_category": None,
}


def fact_columns(summary: PurchaseSummary) -> dict[str, Any]:
    """A card row's fact columns from the customer's purchase summary."""
    return {
        "last_purchase": summary.last_purchase,
        "spend_12m": summary.spend_12m,
        "visits_12m": summary.visits_12m,
        "fav_category": summary.favourite_category,
    }


def fact_column(attribute: Attribute) -> str | None:
    """The card row's column of a purchase fact posing as an attribute (None for a real one)."""
    column = getattr(attribute, "fact_column", None)
    return column if isinstance(column, str) else None


def fact_attributes() -> list[Attribute]:
    """The facts as refinable attributes, for the filter parser and panel: never saved, no
    allowed values, named in the reader's language."""
    attributes = []
    for fact in FACTS:
        attribute = Attribute(
            code=fact.code, data_type=fact.data_type, can_be_refined=True, name_it="", name_lt=""
        )
        # Read in the active language when shown (Attribute.localized_name falls back to it).
        attribute.name = fact.label  # type: ignore[assignment]
        attribute._prefetched_objects_cache = {"choices": []}  # type: ignore[attr-defined]
        attribute.fact_column = fact.column  # type: ignore[attr-defined]
        attributes.append(attribute)
    return attributes
