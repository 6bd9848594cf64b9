"""Page selectors: everything one page of the store app shows, read in one call, already
scoped to the actor. The view parses the request, calls one of these and renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from clienteling.attributes.models import Attribute
from clienteling.clientbooks import selectors
from clienteling.clientbooks.facts import fact_attributes
from clienteling.clientbooks.filters import QueryParams
from clienteling.clientbooks.models import Membership
from clienteling.clientbooks.selectors import AttributeReading, CardPage
from clienteling.core.errors import Invalid
from clienteling.core.pagination import page_limit
from clienteling.customers.models import Customer
from clienteling.customers.selectors import (
    SearchScope,
    customer_get,
    customer_search_first,
)
from clienteling.organization.access import Operation, scope_of
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline import selectors as timeline
from clienteling.timeline.models import Activity, ActivityType


def landing_page(*, actor: Worker, legal_entity: LegalEntity) -> str:
    """Where the store app opens: for a store manager (who may reassign and see the store's
    books) the store's books; for an associate with a book, Today (R-TODAY-1: their day,
    drawn from that book); else the store's books, else search."""
    scope = scope_of(actor, legal_entity)
    if selectors.parameters_for(legal_entity).enabled:
        if scope.may(Operation.VIEW_STORE_BOOKS) and scope.may(Operation.REASSIGN_CUSTOMERS):
            return "store_books"
        if scope.may(Operation.VIEW_OWN_BOOK):
            return "today"
        if scope.may(Operation.VIEW_STORE_BOOKS):
            return "store_books"
    return "search"


@dataclass
class CardListPage:
    """A page of cards (my book or the store's books) with what its filter panel offers.
    A bad filter does not fail the page: it is shown beside the filters, with no cards."""

    attributes: list[Attribute]
    page: CardPage | None
    filter_error: Invalid | None = None
    associates: list[Worker] = field(default_factory=list)
    may_reassign: bool = False
    may_remove: bool = False
    store_view: bool = False

    @property
    def count(self) -> int | None:
        return self.page.total if self.page else None


def filter_attributes(legal_entity: LegalEntity) -> list[Attribute]:
    """What the filter panel offers: the client book attributes, then the purchase facts
    (R-SALE-3) that no attribute's code hides."""
    attributes = selectors.client_book_attributes(legal_entity)
    codes = {a.code for a in attributes}
    return [*attributes, *(f for f in fact_attributes() if f.code not in codes)]


def _params_page(params: QueryParams | Mapping[str, Any]) -> tuple[str | None, int]:
    """The cursor and page size asked for."""
    return params.get("cursor") or None, page_limit(params.get("limit"))


def book_page(
    *, actor: Worker, legal_entity: LegalEntity, params: QueryParams | Mapping[str, Any]
) -> CardListPage:
    """My client book, filtered by ``params`` (R-BOOK-5..7)."""
    scope = scope_of(actor, legal_entity)
    selectors.book_scope(scope, Operation.VIEW_OWN_BOOK)
    result = CardListPage(
        attributes=filter_attributes(legal_entity),
        page=None,
        may_reassign=scope.may(Operation.REASSIGN_CUSTOMERS),
        may_remove=scope.may(Operation.REMOVE_CUSTOMERS),
    )
    try:
        cursor, limit = _params_page(params)
        card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
        result.page = selectors.client_book_cards(
            actor=actor,
            legal_entity=legal_entity,
            card_filter=card_filter,
            cursor=cursor,
            limit=limit,
        )
    except Invalid as error:
        result.filter_error = error
    return result


def store_books_page(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    store: Store | None,
    params: QueryParams | Mapping[str, Any],
) -> CardListPage:
    """The store's client books, filtered by ``params``, with the associates whose books
    it shows (R-BOOK-9)."""
    scope = scope_of(actor, legal_entity)
    selectors.book_scope(scope, Operation.VIEW_STORE_BOOKS)
    result = CardListPage(
        attributes=filter_attributes(legal_entity),
        page=None,
        may_reassign=scope.may(Operation.REASSIGN_CUSTOMERS),
        store_view=True,
    )
    try:
        if store is None:
            raise Invalid(_("Choose a store first."), field="store", rule="required")
        result.associates = selectors.store_associates(store=store)
        cursor, limit = _params_page(params)
        card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
        result.page = selectors.store_client_book_cards(
            actor=actor,
            legal_entity=legal_entity,
            store=store,
            card_filter=card_filter,
            cursor=cursor,
            limit=limit,
        )
    except Invalid as error:
        result.filter_error = error
    return result


SEARCH_RESULTS = 50
# Search results are counted up to this many: "the first 50 of 1,000 or more".
SEARCH_COUNT_CAP = 1000


@dataclass
class SearchPage:
    """Customer search results with the books each customer is in (R-SRCH-1)."""

    rows: list[tuple[Customer, list[Membership]]]
    error: Invalid | None
    all_stores: bool
    more: bool = False
    may_add: bool = False
    # Ids of the customers shown whom the actor may add to their book (R-BOOK-2).
    addable: set[int] = field(default_factory=set)
    # All the customers found, counted up to SEARCH_COUNT_CAP, when there are more than shown.
    total: int | None = None

    @property
    def capped(self) -> bool:
        return self.total is not None and self.total >= SEARCH_COUNT_CAP


def search_page(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    store: Store | None,
    query: str,
    all_stores: bool,
) -> SearchPage:
    """The first results of a search in the store's address books, or all stores; a worker
    with no store (customer service, HQ) searches the whole legal entity."""
    scope = scope_of(actor, legal_entity)
    scope.require(Operation.READ_CUSTOMER_DETAILS)
    all_stores = all_stores or store is None
    shown: list[Customer] = []
    more = False
    total = None
    error = None
    if query:
        where = SearchScope(legal_entity, store, all_stores)
        try:
            shown, found = customer_search_first(
                actor=actor, scope=where, query=query, limit=SEARCH_RESULTS, cap=SEARCH_COUNT_CAP
            )
            more = found > len(shown)
            total = found if more else None
        except Invalid as invalid:
            error = invalid
    books = selectors.books_of_customers(legal_entity=legal_entity, customers=shown)
    books_of = {customer.id: books.get(customer.id, []) for customer in shown}
    return SearchPage(
        rows=[(customer, books_of[customer.id]) for customer in shown],
        error=error,
        all_stores=all_stores,
        more=more,
        may_add=selectors.parameters_for(legal_entity).enabled
        and scope.may(Operation.ADD_CUSTOMER),
        addable=selectors.customers_addable(actor=actor, legal_entity=legal_entity, books=books_of),
        total=total,
    )


@dataclass
class CustomerPage:
    """A customer's details as the store app shows them."""

    customer: Customer
    memberships: list[Membership]
    in_my_book: bool
    attributes: list[AttributeReading]
    timeline: timeline.TimelinePage
    appointments: list[Activity]
    activity_types: list[ActivityType]
    may_edit: bool
    may_add: bool
    may_remove: bool


def customer_page(*, actor: Worker, legal_entity: LegalEntity, account: str) -> CustomerPage:
    """Contact, books, attribute values, timeline and what the actor may do (R-PERM-3)."""
    customer = customer_get(actor=actor, legal_entity=legal_entity, account=account)
    scope = scope_of(actor, legal_entity)
    memberships = selectors.customer_books(legal_entity=legal_entity, customer=customer)
    in_my_book = any(m.book.owner_id == actor.pk for m in memberships)
    books_open = selectors.parameters_for(legal_entity).enabled
    return CustomerPage(
        customer=customer,
        memberships=memberships,
        in_my_book=in_my_book,
        attributes=selectors.customer_attribute_values(actor=actor, customer=customer),
        timeline=timeline.timeline(actor=actor, customer=customer),
        appointments=timeline.upcoming_appointments(actor=actor, customer=customer),
        activity_types=timeline.activity_types(legal_entity=legal_entity),
        may_edit=scope.may(Operation.EDIT_CUSTOMER_ATTRIBUTES),
        may_add=books_open and scope.may(Operation.ADD_CUSTOMER) and not in_my_book,
        may_remove=books_open and scope.may(Operation.REMOVE_CUSTOMERS) and in_my_book,
    )


@dataclass
class ReassignSelection:
    """The customers a manager is about to move and whom they may move them to (R-SEC-4)."""

    customers: list[Customer]
    associates: list[Worker]
    # Whose books they leave, and how many from each: (owner, count), most first.
    owners: list[tuple[Worker, int]] = field(default_factory=list)


def reassign_selection(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    store: Store | None,
    accounts: list[str],
    matching: QueryParams | Mapping[str, Any] | None = None,
) -> ReassignSelection:
    """The selected customers, or with ``matching`` every customer the store view shows for
    that filter; and the associates of the store who may receive them."""
    scope = scope_of(actor, legal_entity)
    selectors.book_scope(scope, Operation.REASSIGN_CUSTOMERS)
    if store is None:
        raise Invalid(_("Choose a store first."), field="store", rule="required")
    if matching is not None:
        card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=matching)
        accounts = selectors.store_matching_accounts(
            actor=actor, legal_entity=legal_entity, store=store, card_filter=card_filter
        )
    customers = selectors.customers_by_accounts(
        actor=actor, legal_entity=legal_entity, accounts=accounts
    )
    if not customers:
        raise Invalid(_("Select at least one customer."), field="customers", rule="required")
    return ReassignSelection(
        customers,
        selectors.store_associates(store=store),
        selectors.book_owners_of(legal_entity=legal_entity, customers=customers),
    )
