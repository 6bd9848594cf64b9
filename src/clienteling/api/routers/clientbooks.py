"""Client books: the caller's book, the store's books, add, remove, reassign (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from clienteling.api.idempotency import idempotent
from clienteling.api.routers.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Cursor,
    LegalEntityCode,
    Limit,
    StoreCode,
    scope_from,
)
from clienteling.api.schemas import (
    TEXT_PATTERN,
    USERNAME_PATTERN,
    AddedOut,
    BookOut,
    CardOut,
    CardPageOut,
    CustomersIn,
    ReassignedOut,
    ReassignIn,
    RemovedOut,
    property_out,
)
from clienteling.clientbooks import selectors as books
from clienteling.clientbooks import services as book_services
from clienteling.clientbooks.filters import CardFilter
from clienteling.clientbooks.models import ClientBook
from clienteling.clientbooks.selectors import Card, CardPage
from clienteling.core.errors import Invalid
from clienteling.core.pagination import DEFAULT_LIMIT
from clienteling.organization.models import LegalEntity
from clienteling.organization.selectors import worker_get

router = Router(tags=["client books"])

SORT_PATTERN = r"^(name|added|upcoming\.[A-Za-z0-9][A-Za-z0-9_.-]{0,39})$"

Text = Annotated[
    str | None,
    Query(
        None,
        max_length=200,
        pattern=TEXT_PATTERN,
        description="Free text on name, email and phone (every word must match).",
    ),
]
Sort = Annotated[
    str | None,
    Query(
        None,
        pattern=SORT_PATTERN,
        description="name (default), added (newest first) or upcoming.CODE (a date attribute: "
        "next anniversary first).",
        example="upcoming.BIRTHDAY",
    ),
]
Owner = Annotated[
    str | None,
    Query(
        None,
        pattern=USERNAME_PATTERN,
        description="Only the book of this associate (username).",
        example="giulia",
    ),
]

FILTERS_HELP = (
    "Filters combine with AND. Besides the parameters below: attr.CODE=value (repeat for "
    "one-of; true/false for yes/no attributes), attr.CODE.min= / attr.CODE.max= (numbers, dates "
    "as YYYY-MM-DD) and upcoming.CODE=N (a date attribute whose next anniversary is within N "
    "days, 0 to 366), for the refinable attributes of GET /legal-entities/{le}/attributes. A filter "
    "on an unknown or non-refinable attribute is a 422."
)


FILTER_PREFIXES = ("attr.", "upcoming.")


def card_filter(
    request: HttpRequest, legal_entity: LegalEntity, *, parameters: Iterable[str]
) -> CardFilter:
    """The filters of the query string. Any other parameter than the operation's own
    ``parameters`` is refused rather than ignored: a misspelt filter (``atr.SIZE``) would
    otherwise answer, or export, the whole book. A bare ``attr`` or ``upcoming`` (no
    attribute code) is refused with its own message."""
    known = set(parameters)
    for key in request.GET:
        if key in ("attr", "upcoming"):
            raise Invalid(
                _("Name the attribute: %(key)s.CODE=…") % {"key": key}, field=key, rule="format"
            )
        if key not in known and not key.startswith(FILTER_PREFIXES):
            raise Invalid(
                _("Unknown query parameter %(key)s.") % {"key": key[:50]},
                field=key[:50],
                rule="unknown",
            )
    return books.card_filter_parse(legal_entity=legal_entity, params=request.GET)


def book_out(book: ClientBook | None) -> BookOut | None:
    return BookOut(id=book.identifier, owner=book.owner.user.username) if book else None


def card_out(card: Card) -> CardOut:
    return CardOut(
        account=card.account,
        name=card.name,
        email=card.email,
        phone=card.phone,
        book=BookOut(id=card.book.identifier, owner=card.book.owner) if card.book else None,
        properties=[property_out(p) for p in card.properties],
    )


def page_out(page: CardPage) -> CardPageOut:
    return CardPageOut(items=[card_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get(
    "/legal-entities/{le}/client-book",
    response={200: CardPageOut, **READ_ERRORS},
    operation_id="client_book",
    summary="My client book",
    description="The caller's client book as customer cards, filtered, sorted and paged. "
    + FILTERS_HELP,
)
def client_book(
    request: HttpRequest,
    le: LegalEntityCode,
    q: Text = None,
    sort: Sort = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> CardPageOut:
    scope = scope_from(request, le)
    actor, legal_entity = scope.actor, scope.legal_entity
    the_filter = card_filter(request, legal_entity, parameters=("q", "sort", "cursor", "limit"))
    page = books.client_book_cards(
        actor=actor,
        legal_entity=legal_entity,
        card_filter=the_filter,
        cursor=cursor or None,
        limit=limit,
        counted=False,
    )
    return page_out(page)


@router.get(
    "/legal-entities/{le}/stores/{store}/client-books",
    response={200: CardPageOut, **READ_ERRORS},
    operation_id="store_client_books",
    summary="The store's client books",
    description="The union of the client books of every associate who shares an address book "
    "with the store; each card says whose book the customer is in. " + FILTERS_HELP,
)
def store_client_books(
    request: HttpRequest,
    le: LegalEntityCode,
    store: StoreCode,
    q: Text = None,
    owner: Owner = None,
    sort: Sort = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> CardPageOut:
    scope = scope_from(request, le)
    actor, legal_entity = scope.actor, scope.legal_entity
    the_store = scope.store(store)
    the_filter = card_filter(
        request, legal_entity, parameters=("q", "owner", "sort", "cursor", "limit")
    )
    page = books.store_client_book_cards(
        actor=actor,
        legal_entity=legal_entity,
        store=the_store,
        card_filter=the_filter,
        cursor=cursor or None,
        limit=limit,
        counted=False,
    )
    return page_out(page)


@router.post(
    "/legal-entities/{le}/client-book/customers",
    response={200: AddedOut, **WRITE_ERRORS},
    operation_id="client_book_add",
    summary="Add customers to my client book",
    description="Creates the book on first use. In exclusive mode a customer already in "
    "another book is a 409 naming the book and its owner, and nothing is added.",
)
@idempotent
def client_book_add(request: HttpRequest, le: LegalEntityCode, payload: CustomersIn) -> AddedOut:
    scope = scope_from(request, le)
    actor, legal_entity = scope.actor, scope.legal_entity
    customers = books.customers_by_accounts(
        actor=actor, legal_entity=legal_entity, accounts=payload.customers
    )
    created = book_services.client_book_add_customers(
        actor=actor, legal_entity=legal_entity, customers=customers
    )
    book = books.client_book_find(legal_entity=legal_entity, owner=actor)
    return AddedOut(added=sorted(m.customer.account for m in created), book=book_out(book))


@router.post(
    "/legal-entities/{le}/client-book/remove",
    response={200: RemovedOut, **WRITE_ERRORS},
    operation_id="client_book_remove",
    summary="Remove customers from my client book",
    description="All or nothing: a customer who is not in the caller's book is a 422 and "
    "nothing is removed. The customers and their data stay.",
)
@idempotent
def client_book_remove(
    request: HttpRequest, le: LegalEntityCode, payload: CustomersIn
) -> RemovedOut:
    scope = scope_from(request, le)
    actor, legal_entity = scope.actor, scope.legal_entity
    customers = books.customers_by_accounts(
        actor=actor, legal_entity=legal_entity, accounts=payload.customers
    )
    removed = book_services.client_book_remove_customers(
        actor=actor, legal_entity=legal_entity, customers=customers
    )
    return RemovedOut(removed=removed)


@router.post(
    "/legal-entities/{le}/client-books/reassign",
    response={200: ReassignedOut, **WRITE_ERRORS},
    operation_id="client_books_reassign",
    summary="Reassign customers to another associate's client book",
    description="Moves the customers (from their primary book, or from from_worker's book; "
    "with from_worker and no customers, that whole book) to to_worker's book, all or nothing.",
)
@idempotent
def client_books_reassign(
    request: HttpRequest, le: LegalEntityCode, payload: ReassignIn
) -> ReassignedOut:
    scope = scope_from(request, le)
    actor, legal_entity = scope.actor, scope.legal_entity
    customers = None
    if payload.customers is not None:
        customers = books.customers_by_accounts(
            actor=actor, legal_entity=legal_entity, accounts=payload.customers
        )
    target = worker_get(legal_entity=legal_entity, username=payload.to_worker, field="to_worker")
    source = (
        worker_get(legal_entity=legal_entity, username=payload.from_worker, field="from_worker")
        if payload.from_worker
        else None
    )
    moved = book_services.customers_reassign(
        actor=actor,
        legal_entity=legal_entity,
        customers=customers,
        to_worker=target,
        from_worker=source,
        store=scope.store(payload.store) if payload.store else None,
    )
    book = books.client_book_find(legal_entity=legal_entity, owner=target)
    return ReassignedOut(moved=moved, book=book_out(book))
