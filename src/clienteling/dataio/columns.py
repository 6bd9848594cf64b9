"""The columns of each kind of file the product reads and writes (CONTRACT.md, "CSV formats").

An export of a kind has the columns of its import, so a file exported from one legal entity
can be corrected and imported again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Columns:
    all: tuple[str, ...]
    required: frozenset[str]


CUSTOMERS = Columns(
    all=(
        "account",
        "first_name",
        "last_name",
        "email",
        "phone",
        "street",
        "city",
        "postal_code",
        "country",
        "language",
        "consent_email",
        "consent_phone",
        "consent_sms",
        "address_books",
    ),
    required=frozenset({"account", "first_name", "last_name"}),
)
ATTRIBUTE_VALUES = Columns(
    all=("account", "attribute", "value"), required=frozenset({"account", "attribute", "value"})
)
BOOK_ASSIGNMENTS = Columns(all=("account", "worker"), required=frozenset({"account", "worker"}))
ACTIVITIES = Columns(
    all=("account", "type", "occurred_at", "subject", "description", "worker", "store"),
    required=frozenset({"account", "type", "occurred_at"}),
)
SALES = Columns(
    all=(
        "transaction",
        "line",
        "account",
        "sold_at",
        "store",
        "product",
        "product_name",
        "category",
        "quantity",
        "amount",
        "currency",
    ),
    required=frozenset({"transaction", "line", "account", "sold_at", "amount"}),
)
BY_KIND = {
    "customers": CUSTOMERS,
    "attribute-values": ATTRIBUTE_VALUES,
    "book-assignments": BOOK_ASSIGNMENTS,
    "activities": ACTIVITIES,
    "sales": SALES,
}
# What an export of the client book adds after the customer's own columns.
BOOK_COLUMNS = ("book", "owner")
