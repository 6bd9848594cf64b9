"""Customers: search (R-SRCH-1), details, attribute values (R-ATTR-4)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Body, Query, Router

from clienteling.api.routers.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    AccountPath,
    Cursor,
    LegalEntityCode,
    Limit,
    scope_from,
)
from clienteling.api.schemas import (
    CODE_PATTERN,
    TEXT_PATTERN,
    AddressOut,
    AttributesSetOut,
    AttributeValueOut,
    BookOut,
    ConsentOut,
    CustomerOut,
    MembershipOut,
    PurchasePageOut,
    SaleLineOut,
    SearchPageOut,
    SearchResultOut,
    Value,
    json_value,
    property_out,
    purchase_summary_out,
)
from clienteling.clientbooks import selectors as books
from clienteling.clientbooks import services as book_services
from clienteling.core.pagination import DEFAULT_LIMIT
from clienteling.customers import selectors as customer_selectors
from clienteling.customers.models import Customer
from clienteling.organization.access import Operation
from clienteling.organization.models import Worker
from clienteling.sales import selectors as sales_selectors

router = Router(tags=["customers"])


@router.get(
    "/legal-entities/{le}/customers",
    response={200: SearchPageOut, **READ_ERRORS},
    operation_id="customer_search",
    summary="Search customers",
    description="By name (any keyword; more keywords matched rank first), email, phone "
    "(formatting ignored) and account number. Limited to the customers in the store's address "
    "books (store=, default the caller's first store in the legal entity) unless all_stores=true, "
    "which needs at least 4 characters.",
)
def customer_search(
    request: HttpRequest,
    le: LegalEntityCode,
    q: Annotated[
        str,
        Query(..., min_length=1, max_length=200, pattern=TEXT_PATTERN, description="Search text."),
    ],
    all_stores: Annotated[
        bool, Query(False, description="Search every store of the legal entity.")
    ] = False,
    store: Annotated[
        str | None,
        Query(None, pattern=CODE_PATTERN, max_length=20, description="The store to search in."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> SearchPageOut:
    scope = scope_from(request, le)
    actor, legal_entity = scope.actor, scope.legal_entity
    # Without a store, the caller's first store in the legal entity (if any).
    the_store = scope.store(store) if store else next(iter(scope.stores), None)
    page = customer_selectors.customer_search_page(
        actor=actor,
        scope=customer_selectors.SearchScope(legal_entity, the_store, all_stores),
        query=q,
        cursor=cursor or None,
        limit=limit,
    )
    memberships = books.books_of_customers(legal_entity=legal_entity, customers=page.rows)
    items = []
    for customer in page.rows:
        primary = next(iter(memberships.get(customer.id, [])), None)
        items.append(
            SearchResultOut(
                account=customer.account,
                name=customer.display_name,
                email=customer.email,
                phone=customer.phone,
                book=BookOut(id=primary.book.identifier, owner=primary.book.owner.user.username)
                if primary
                else None,
            )
        )
    return SearchPageOut(items=items, next_cursor=page.next_cursor)


def _attribute_values(actor: Worker, customer: Customer) -> list[AttributeValueOut]:
    return [
        AttributeValueOut(
            code=r.attribute.code,
            label=r.attribute.localized_name(),
            data_type=r.attribute.data_type,
            value=json_value(r.value),
        )
        for r in books.customer_attribute_values(actor=actor, customer=customer)
    ]


@router.get(
    "/legal-entities/{le}/customers/{account}",
    response={200: CustomerOut, **READ_ERRORS},
    operation_id="customer_get",
    summary="Customer details",
    description="Contact data, consent, every client book attribute value, the card's "
    "properties and the client book(s) the customer is in.",
)
def customer_get(request: HttpRequest, le: LegalEntityCode, account: AccountPath) -> CustomerOut:
    scope = scope_from(request, le)
    actor, legal_entity = scope.actor, scope.legal_entity
    customer = customer_selectors.customer_get(
        actor=actor, legal_entity=legal_entity, account=account
    )
    memberships = books.customer_books(legal_entity=legal_entity, customer=customer)
    return CustomerOut(
        account=customer.account,
        name=customer.display_name,
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        phone=customer.phone,
        address=AddressOut(
            street=customer.street,
            city=customer.city,
            postal_code=customer.postal_code,
            country=customer.country,
        ),
        preferred_language=customer.preferred_language,
        consent=ConsentOut(
            email=customer.consent_email, phone=customer.consent_phone, sms=customer.consent_sms
        ),
        attributes=_attribute_values(actor, customer),
        properties=[
            property_out(p)
            for p in books.customer_card_properties(legal_entity=legal_entity, customer=customer)
        ],
        books=[
            MembershipOut(
                id=m.book.identifier, owner=m.book.owner.user.username, primary=m.is_primary
            )
            for m in memberships
        ],
        purchase_summary=purchase_summary_out(
            sales_selectors.purchase_summary(actor=actor, customer=customer)
        ),
    )


@router.get(
    "/legal-entities/{le}/customers/{account}/purchases",
    response={200: PurchasePageOut, **READ_ERRORS},
    operation_id="customer_purchases",
    summary="Purchase history",
    description="The customer's sales lines, newest first (the lines of one sale in their "
    "order), a page at a time; returns have a negative amount (R-SALE-2).",
)
def customer_purchases(
    request: HttpRequest,
    le: LegalEntityCode,
    account: AccountPath,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PurchasePageOut:
    scope = scope_from(request, le)
    customer = customer_selectors.customer_get(
        actor=scope.actor, legal_entity=scope.legal_entity, account=account
    )
    page = sales_selectors.purchases(
        actor=scope.actor, customer=customer, cursor=cursor or None, limit=limit
    )
    return PurchasePageOut(
        items=[
            SaleLineOut(
                transaction=line.transaction,
                line=line.line,
                sold_at=line.sold_at,
                store=line.store.code if line.store else None,
                product=line.product,
                product_name=line.product_name,
                category=line.category,
                quantity=line.quantity,
                amount=str(line.amount),
                currency=line.currency,
            )
            for line in page.rows
        ],
        next_cursor=page.next_cursor,
    )


ATTRIBUTES_BODY = Body(
    ...,
    description="Attribute code → value (text, number, true/false, or a date as YYYY-MM-DD); "
    'null or "" clears the value. One bad value refuses them all (422 naming the attribute).',
    example={"PREF_CATEGORY": "Shoes", "BIRTHDAY": "1985-06-14", "RING_SIZE": 52},
)


@router.patch(
    "/legal-entities/{le}/customers/{account}/attributes",
    response={200: AttributesSetOut, **WRITE_ERRORS},
    operation_id="customer_attributes_set",
    summary="Set attribute values",
    description="Sets (or clears) values of the client book attributes; the others keep theirs.",
)
def customer_attributes_set(
    request: HttpRequest,
    le: LegalEntityCode,
    account: AccountPath,
    payload: Annotated[dict[str, Value], ATTRIBUTES_BODY],
) -> AttributesSetOut:
    scope = scope_from(request, le)
    customer = customer_selectors.customer_get(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        account=account,
        operation=Operation.EDIT_CUSTOMER_ATTRIBUTES,
    )
    book_services.customer_attributes_set(actor=scope.actor, customer=customer, values=payload)
    return AttributesSetOut(
        account=customer.account, attributes=_attribute_values(scope.actor, customer)
    )
