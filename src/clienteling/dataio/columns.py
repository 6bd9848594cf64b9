"""The columns of each kind of file the product reads and writes (CONTRACT.md, "CSV formats").

An export of a kind has the columns of its import, so a file exported from one legal entity
can be corrected and imported again.
"""

from __future__ import annotations

from dataclasses import dataclass

from clienteling.sales import services as sales


@dataclass(frozen=True)
class Columns:
    all: tuple[str, ...]
    required: frozenset[str]
    # Columns an export adds that an import of the same file reads past.
    ignored: tuple[str, ...] = ()


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
    ignored=("book", "owner"),
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
    all=sales.COLUMNS,
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
# A spreadsheet reads a cell starting with one of these as a formula: an export writes such
# a value with a leading apostrophe ("CSV injection", OWASP), and an import takes it off.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
