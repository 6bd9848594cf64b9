"""Customer search and details, scoped to the actor's legal entities and stores (R-SRCH-1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid, NotFound
from clienteling.core.pagination import KeysetPage, SortKey, keyset_page
from clienteling.core.text import folded
from clienteling.customers.models import Customer, phone_digits
from clienteling.organization.access import Operation, Scope, scope_of
from clienteling.organization.models import LegalEntity, Store, Worker

ALL_STORES_MIN_LENGTH = 4
MAX_KEYWORDS = 6
# Accounts looked up per query on SQLite: within its oldest limit of 999 parameters.
LOOKUP_CHUNK = 900
# The order of search results: most keywords matched first, then by name.
SEARCH_KEYS = [SortKey("rank", int, descending=True), SortKey("sort_name"), SortKey("id", int)]


@dataclass(frozen=True)
class SearchScope:
    """Where a search looks: the store's address books, or every store of the legal entity."""

    legal_entity: LegalEntity
    store: Store | None
    all_stores: bool = False


def customer_not_found(account: str) -> NotFound:
    return NotFound(_("Customer %(account)s not found.") % {"account": account}, field="customer")


def customer_scope(
    actor: Worker, customer: Customer, operation: Operation = Operation.READ_CUSTOMER_DETAILS
) -> Scope:
    """The actor's scope for one customer's record: a customer of a legal entity the actor
    does not work for does not exist for them; then ``operation`` must be granted (R-PERM-3).
    Every reader sees every note and activity of the customer, whoever wrote them (R-NOTE-2)."""
    scope = scope_of(
        actor, customer.legal_entity_id, not_found=customer_not_found(customer.account)
    )
    scope.require(operation)
    return scope


def customer_get(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    account: str,
    operation: Operation = Operation.READ_CUSTOMER_DETAILS,
) -> Customer:
    """A customer of a legal entity the actor works for, to someone granted ``operation``
    (reading customer details by default); anything else is not found or forbidden."""
    scope = scope_of(actor, legal_entity, not_found=customer_not_found(account))
    customer = Customer.objects.filter(legal_entity=legal_entity, account=account).first()
    if customer is None:
        raise customer_not_found(account)
    scope.require(operation)
    return customer


def _keyword_q(keyword: str) -> Q:
    # The stored key is normalised and case-folded on write; so is the keyword here, so
    # the match is the same on SQLite (whose LIKE folds ASCII only) and PostgreSQL.
    condition = Q(search_name__contains=folded(keyword)) | Q(account__iexact=keyword)
    digits = phone_digits(keyword)
    if len(digits) >= 3:
        condition |= Q(phone_digits__contains=digits)
    return condition


def customer_search(*, actor: Worker, scope: SearchScope, query: str) -> QuerySet[Customer]:
    """Customers matching any keyword of ``query`` by name, email, phone (formatting ignored)
    or account number, most keywords matched first. Limited to the current store's address
    books unless "all stores" is chosen, which needs at least 4 characters."""
    scope_of(actor, scope.legal_entity).require(Operation.READ_CUSTOMER_DETAILS)
    text = " ".join(query.split())
    if scope.all_stores and len(text) < ALL_STORES_MIN_LENGTH:
        raise Invalid(
            _("Searching all stores needs at least %(n)d characters.")
            % {"n": ALL_STORES_MIN_LENGTH},
            field="q",
            rule="min_length",
        )
    keywords = list(dict.fromkeys(text.split()))[:MAX_KEYWORDS]
    customers = Customer.objects.filter(legal_entity=scope.legal_entity)
    if not scope.all_stores:
        if scope.store is None:
            customers = customers.none()
        else:
            in_store_books = Customer.address_books.through.objects.filter(
                customer_id=OuterRef("pk"), addressbook__stores=scope.store
            )
            customers = customers.filter(Exists(in_store_books))
    if not keywords:
        customers = customers.none()
    # Even no results are ranked, so that they can be ordered and paged like any others.
    any_keyword = Q()
    for keyword in keywords:
        any_keyword |= _keyword_q(keyword)
    rank = sum(
        (Case(When(_keyword_q(k), then=Value(1)), default=Value(0)) for k in keywords),
        start=Value(0),
    )
    return (
        customers.filter(any_keyword)
        .annotate(rank=Coalesce(rank, 0, output_field=IntegerField()))
        .order_by(*[key.order_by for key in SEARCH_KEYS])
    )


def customer_search_page(
    *, actor: Worker, scope: SearchScope, query: str, cursor: str | None, limit: int
) -> KeysetPage[Customer]:
    """A page of :func:`customer_search`'s results, after ``cursor``."""
    return keyset_page(
        customer_search(actor=actor, scope=scope, query=query),
        keys=SEARCH_KEYS,
        cursor=cursor,
        limit=limit,
    )


def customer_ids_by_account(legal_entity: LegalEntity, accounts: Iterable[str]) -> dict[str, int]:
    """The ids of the legal entity's customers with these account numbers: how a bulk write
    (an import's batch) finds its customers. In plain SQL: the ORM's work on a thousand
    values of an IN took six times the lookup itself. On PostgreSQL the accounts go as one
    array; on SQLite in chunks within its oldest limit of 999 parameters. No ORDER BY:
    sorted by name, SQLite would walk the name index of every customer."""
    wanted = list(set(accounts))
    quote = connection.ops.quote_name
    query = (
        f"SELECT {quote('account')}, {quote('id')} FROM {quote(Customer._meta.db_table)} "
        f"WHERE {quote('legal_entity_id')} = %s AND {quote('account')} "
    )
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(query + "= ANY(%s)", [legal_entity.pk, wanted])
            found.update(cursor.fetchall())
            return found
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            cursor.execute(
                query + f"IN ({', '.join(['%s'] * len(chunk))})", [legal_entity.pk, *chunk]
            )
            found.update(cursor.fetchall())
    return found


def customer_search_first(
    *, actor: Worker, scope: SearchScope, query: str, limit: int, cap: int
) -> tuple[list[Customer], int]:
    """The first ``limit`` customers :func:`customer_search` finds, in its order, and how many
    it finds counted up to ``cap`` (a page says "the first 50 of 1,000 or more" without
    counting a million rows). One pass finds both: ordering by rank reads every match
    anyway, where a count of its own read them all a second time; the rows shown are then
    read by id."""
    found = customer_search(actor=actor, scope=scope, query=query)
    ids = list(found.values_list("pk", flat=True)[:cap])
    shown = Customer.objects.in_bulk(ids[:limit])
    return [shown[pk] for pk in ids[:limit]], len(ids)
