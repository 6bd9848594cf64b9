"""The JSON shapes of the API (CONTRACT.md "JSON API"): pages, cards, errors and the rest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, StringConstraints

# What a customer account, a code and a username may look like (the models' validators);
# a path or body value outside these is refused before it reaches the database.
ACCOUNT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
USERNAME_PATTERN = r"^[\w.@+-]{1,150}$"
# Printable text without control characters (PostgreSQL text cannot hold NUL).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{0,2000}$"
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
MAX_ACCOUNTS = 10_000

Value = bool | int | float | str | None

ERROR_CODES = Literal[
    "not_found",
    "forbidden",
    "conflict",
    "invalid",
    "feature_disabled",
    "unauthenticated",
    "too_large",
    "unavailable",
]


class ErrorBody(Schema):
    code: ERROR_CODES = Field(..., description="What kind of error it is.")
    message: str = Field(..., description="A sentence for people, in the caller's language.")
    field: str | None = Field(None, description="The input field the error is about, if any.")
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Machine-readable specifics: the rule broken, the operation refused, "
        "what a conflict is with.",
    )


class ErrorOut(Schema):
    """Every error of the API has this shape."""

    error: ErrorBody

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "error": {
                        "code": "conflict",
                        "message": "Customer IT000042 is already in the client book CB-000002 "
                        "of Marco Bianchi (marco).",
                        "field": "customers",
                        "details": {"customer": "IT000042", "book": "CB-000002", "owner": "marco"},
                    }
                }
            ]
        }
    }


class LegalEntityOut(Schema):
    code: str
    name: str
    clienteling_enabled: bool


class StoreOut(Schema):
    code: str
    name: str
    legal_entity: str


class MeOut(Schema):
    username: str
    name: str
    legal_entities: list[LegalEntityOut]
    stores: list[StoreOut]
    operations: list[str] = Field(
        ..., description="The operations the caller is granted (API names)."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "username": "giulia",
                    "name": "Giulia Rossi",
                    "legal_entities": [
                        {"code": "ITJW", "name": "Jewellery Italy", "clienteling_enabled": True}
                    ],
                    "stores": [
                        {"code": "MI01", "name": "Milano Montenapoleone", "legal_entity": "ITJW"}
                    ],
                    "operations": [
                        "view_own_client_book",
                        "view_store_client_books",
                        "add_customer_to_client_book",
                        "remove_customers_from_client_book",
                        "read_customer_details",
                        "edit_customer_attributes",
                    ],
                }
            ]
        }
    }


class Out(BaseModel):
    """An answer built from keyword arguments. ninja's ``Schema`` wraps every validation to
    read attributes off any object, at a cost per field that a page of 50 cards (some 1,000
    values) pays thousands of times; these are built from plain values and skip it."""


class BookOut(Out):
    id: str = Field(..., description="The client book identifier, e.g. CB-000001.")
    owner: str = Field(..., description="The username of the book's owner.")


class MembershipOut(BookOut):
    primary: bool


class PropertyOut(Out):
    code: str
    label: str
    value: Value = Field(
        ..., description="Dates as YYYY-MM-DD, numbers as numbers; null when there is no value."
    )
    kind: Literal["measure", "fact", "attribute"] = Field(
        ...,
        description="An analytics measure, a purchase fact (LAST_PURCHASE, SPEND_12M, "
        "VISITS_12M, FAV_CATEGORY) or a client book attribute.",
    )
    available: bool = Field(
        True,
        description="Measures only: false when the analytics service could not be asked in "
        "time; value is then the last known one (or null).",
    )
    as_of: dt.datetime | None = Field(
        None, description="Measures only: when the value was read from the analytics service."
    )


def property_out(p: Any) -> PropertyOut:
    """A card property (clientbooks.selectors.CardProperty) as JSON."""
    return PropertyOut(
        code=p.code,
        label=p.label,
        value=json_value(p.value),
        kind=p.kind,
        available=p.available,
        as_of=p.as_of,
    )


class CardOut(Out):
    account: str
    name: str
    email: str
    phone: str
    book: BookOut | None
    properties: list[PropertyOut] = Field(
        ..., description="Exactly three when at least three are configured (R-BOOK-6)."
    )


CARD_EXAMPLE: dict[str, Any] = {
    "account": "IT000042",
    "name": "Chiara Esposito",
    "email": "chiara.esposito@example.com",
    "phone": "+39 333 1234567",
    "book": {"id": "CB-000001", "owner": "giulia"},
    "properties": [
        {"code": "BIRTHDAY", "label": "Birthday", "value": "1985-06-14", "kind": "attribute"},
        {"code": "ANNIVERSARY", "label": "Anniversary", "value": None, "kind": "attribute"},
        {
            "code": "PREF_CATEGORY",
            "label": "Preferred category",
            "value": "Handbags",
            "kind": "attribute",
        },
    ],
}


class CardPageOut(Out):
    items: list[CardOut]
    next_cursor: str | None = Field(..., description="Pass as cursor= for the next page.")

    model_config = {
        "json_schema_extra": {"examples": [{"items": [CARD_EXAMPLE], "next_cursor": None}]}
    }


class SearchResultOut(Schema):
    account: str
    name: str
    email: str
    phone: str
    book: BookOut | None = Field(..., description="The customer's (primary) client book.")


class SearchPageOut(Schema):
    items: list[SearchResultOut]
    next_cursor: str | None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "items": [
                        {
                            "account": "IT000042",
                            "name": "Chiara Esposito",
                            "email": "chiara.esposito@example.com",
                            "phone": "+39 333 1234567",
                            "book": {"id": "CB-000001", "owner": "giulia"},
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    }


class AddressOut(Schema):
    street: str
    city: str
    postal_code: str
    country: str


class ConsentOut(Schema):
    email: bool
    phone: bool
    sms: bool


class AttributeValueOut(Schema):
    code: str
    label: str
    data_type: str
    value: Value


class ChoiceOut(Schema):
    """An allowed value of a list attribute: what the API stores and filters by, and how the
    caller's language shows it (R-UX-2)."""

    value: str
    label: str


class PurchaseSummaryOut(Schema):
    """What the purchase history tells (R-SALE-2); amounts in the legal entity's currency."""

    last_purchase: dt.date | None = Field(..., description="The last day with a purchase.")
    visits_12m: int = Field(..., description="Days with a purchase in the last 12 months.")
    spend_12m: str = Field(..., description="Spent in the last 12 months (returns subtract).")
    lifetime_spend: str = Field(..., description="Spent since the first sale on record.")
    favourite_category: str | None = Field(
        ..., description="The category with the most spent in the last 24 months."
    )
    currency: str = Field(..., description="The currency of the sums (ISO 4217).")
    other_currency_lines: int = Field(
        ..., description="Sales lines in another currency, left out of the sums."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "last_purchase": "2026-11-14",
                    "visits_12m": 3,
                    "spend_12m": "4850.00",
                    "lifetime_spend": "12380.50",
                    "favourite_category": "Jewellery",
                    "currency": "EUR",
                    "other_currency_lines": 0,
                }
            ]
        }
    }


def purchase_summary_out(summary: Any) -> PurchaseSummaryOut:
    """A purchase summary (sales.selectors.PurchaseSummary) as JSON."""
    return PurchaseSummaryOut(
        last_purchase=summary.last_purchase,
        visits_12m=summary.visits_12m,
        spend_12m=str(summary.spend_12m),
        lifetime_spend=str(summary.lifetime_spend),
        favourite_category=summary.favourite_category,
        currency=summary.currency,
        other_currency_lines=summary.other_currency_lines,
    )


class SaleLineOut(Schema):
    transaction: str
    line: int
    sold_at: dt.datetime
    store: str | None = Field(..., description="The store's code; null when sold online.")
    product: str
    product_name: str
    category: str
    quantity: int = Field(..., description="Negative for a return.")
    amount: str = Field(..., description="The line's total as a decimal; negative for a return.")
    currency: str


class PurchasePageOut(Schema):
    items: list[SaleLineOut]
    next_cursor: str | None = Field(..., description="Pass as cursor= for the next page.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "items": [
                        {
                            "transaction": "MI01-2026-004211",
                            "line": 1,
                            "sold_at": "2026-11-14T16:42:00+01:00",
                            "store": "MI01",
                            "product": "JW-LUNA-18",
                            "product_name": "Luna pendant, 18k gold",
                            "category": "Jewellery",
                            "quantity": 1,
                            "amount": "1850.00",
                            "currency": "EUR",
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    }


class CustomerOut(Schema):
    account: str
    name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    address: AddressOut
    preferred_language: str
    consent: ConsentOut
    attributes: list[AttributeValueOut] = Field(
        ..., description="Every attribute of the client book attribute group, in display order."
    )
    properties: list[PropertyOut] = Field(..., description="The card's properties (R-BOOK-6).")
    books: list[MembershipOut] = Field(..., description="The client books it is in, primary first.")
    purchase_summary: PurchaseSummaryOut = Field(
        ..., description="What the purchase history tells (R-SALE-2)."
    )


class AttributeOut(Schema):
    code: str
    name: str
    data_type: Literal["text", "integer", "decimal", "boolean", "date"]
    refinable: bool
    display_order: int
    allowed_values: list[str]
    choices: list[ChoiceOut] = Field(
        default_factory=list,
        description="The allowed values in order, each with its label in the caller's "
        "language (R-UX-2); empty for free text. Values elsewhere in the API (cards, a "
        "customer's attributes, filters, PATCH) are the stored value; show them by this label.",
    )
    unit: str
    min_value: float | None
    max_value: float | None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "PREF_CATEGORY",
                    "name": "Preferred category",
                    "data_type": "text",
                    "refinable": True,
                    "display_order": 3,
                    "allowed_values": ["Handbags", "Shoes", "Jewellery", "Watches"],
                    "choices": [
                        {"value": "Handbags", "label": "Handbags"},
                        {"value": "Shoes", "label": "Shoes"},
                        {"value": "Jewellery", "label": "Jewellery"},
                        {"value": "Watches", "label": "Watches"},
                    ],
                    "unit": "",
                    "min_value": None,
                    "max_value": None,
                }
            ]
        }
    }


AccountNumber = Annotated[str, StringConstraints(pattern=ACCOUNT_PATTERN, max_length=30)]


class CustomersIn(Schema):
    customers: list[AccountNumber] = Field(
        ...,
        min_length=1,
        max_length=MAX_ACCOUNTS,
        description="Account numbers of customers of the legal entity.",
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"customers": ["IT000042"]}]},
    }


class ReassignIn(Schema):
    customers: list[AccountNumber] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ACCOUNTS,
        description="Account numbers to move; leave out with from_worker to move a whole book.",
    )
    to_worker: str = Field(..., pattern=USERNAME_PATTERN, description="Username of the new owner.")
    from_worker: str | None = Field(
        None,
        pattern=USERNAME_PATTERN,
        description="Move out of this associate's book (all of it when customers is left out).",
    )
    store: str | None = Field(
        None,
        pattern=CODE_PATTERN,
        max_length=20,
        description="The store the manager works from: only customers its client books view "
        "shows move, and only to an associate of that store (R-SEC-4). Default: any store "
        "the caller works in.",
        examples=["MI01"],
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"customers": ["IT000042"], "to_worker": "marco"}]},
    }


class AddedOut(Schema):
    added: list[str] = Field(..., description="Accounts newly added (already there: not listed).")
    book: BookOut | None


class RemovedOut(Schema):
    removed: int


class ReassignedOut(Schema):
    moved: int
    book: BookOut | None = Field(..., description="The book the customers are now in.")


class AttributesSetOut(Schema):
    account: str
    attributes: list[AttributeValueOut]


def json_value(value: Any) -> Value:
    """A property or attribute value as JSON: dates as ISO text, decimals as numbers."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


class JobOut(Schema):
    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    processed: int
    total: int | None
    accepted: int
    rejected: int
    error: str | None

    @classmethod
    def of(cls, job: Any) -> JobOut:
        return cls(
            id=job.pk,
            kind=job.kind,
            status=job.status,
            processed=job.processed,
            total=job.total,
            accepted=job.accepted,
            rejected=job.rejected,
            error=job.error or None,
        )


class ImportQueuedOut(Schema):
    id: int = Field(..., description="The import's id, for GET /imports/{id}.")
    job: int = Field(..., description="The background job's id, for GET /api/v1/jobs/{id}.")
    status: Literal["queued"]


class ImportOut(Schema):
    id: int
    kind: str = Field(..., description="customers, attribute-values, book-assignments, …")
    status: Literal["queued", "running", "done", "failed"]
    processed: int = Field(..., description="Lines read so far (the header not counted).")
    total: int | None = Field(None, description="Lines in the file, once counted.")
    imported: int = Field(..., description="Lines accepted.")
    rejected: int = Field(..., description="Lines rejected; see rejects_url.")
    error: str | None = Field(None, description="Why the import failed, when it did.")
    rejects_url: str | None = Field(
        None, description="The rejected lines (line, column, reason, then the line's columns)."
    )
