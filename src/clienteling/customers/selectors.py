"""Customer search and details, scoped to the actor's legal entities and stores (R-SRCH-1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid, NotFound
from clienteling.customers.models import Customer, phone_digits
from clienteling.organization.models import LegalEntity, Store, Worker

ALL_STORES_MIN_LENGTH = 4
MAX_KEYWORDS = 6


@dataclass(frozen=True)
class SearchScope:
    """Where a search looks: the store's address books, or every store of the legal entity."""

    legal_entity: LegalEntity
    store: Store | None
    all_stores: bool = False


def customer_get(*, actor: Worker, legal_entity: LegalEntity, account: str) -> Customer:
    """A customer of a legal entity the actor works for; anything else is not found."""
    customer = None
    if actor.legal_entities.filter(pk=legal_entity.pk).exists():
        customer = Customer.objects.filter(legal_entity=legal_entity, account=account).first()
    if customer is None:
        raise NotFound(
            _("Customer %(account)s not found.") % {"account": account}, field="customer"
        )
    return customer


def _keyword_q(keyword: str) -> Q:
    condition = (
        Q(first_name__icontains=keyword)
        | Q(last_name__icontains=keyword)
        | Q(email__icontains=keyword)
        | Q(account__iexact=keyword)
    )
    digits = phone_digits(keyword)
    if len(digits) >= 3:
        condition |= Q(phone_digits__contains=digits)
    return condition


def customer_search(*, actor: Worker, scope: SearchScope, query: str) -> QuerySet[Customer]:
    """Customers matching any keyword of ``query`` by name, email, phone (formatting ignored)
    or account number, most keywords matched first. Limited to the current store's address
    books unless "all stores" is chosen, which needs at least 4 characters."""
    if not actor.legal_entities.filter(pk=scope.legal_entity.pk).exists():
        raise NotFound(
            _("Legal entity %(code)s not found.") % {"code": scope.legal_entity.code},
            field="legal_entity",
        )
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
            return customers.none()
        in_store_books = Customer.address_books.through.objects.filter(
            customer_id=OuterRef("pk"), addressbook__stores=scope.store
        )
        customers = customers.filter(Exists(in_store_books))
    if not keywords:
        return customers.none()
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
        .order_by("-rank", "sort_name", "id")
    )
