"""Reads of the client book domain, already scoped to what the actor may see."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clienteling.attributes.models import Attribute, AttributeChoice, AttributeValue, DataType
from clienteling.attributes.selectors import choice_labels
from clienteling.attributes.values import month_day
from clienteling.clientbooks.facts import (
    BY_CODE,
    NO_PURCHASES,
    PurchaseFact,
    card_fact_codes,
    fact_attributes,
    fact_columns,
)
from clienteling.clientbooks.filters import CardFilter, QueryParams, apply_filter, parse_filter
from clienteling.clientbooks.measures import MAX_MEASURES, MeasureValue, measure_provider
from clienteling.clientbooks.models import (
    FACT_COLUMNS,
    ClientBook,
    ClientelingParameters,
    Membership,
    MembershipMode,
    StoreEntry,
)
from clienteling.core.cache import Generation
from clienteling.core.errors import FeatureDisabled, Invalid, NotFound
from clienteling.core.pagination import SortKey, keyset_page
from clienteling.core.request_memo import memoized
from clienteling.customers.models import Customer
from clienteling.customers.selectors import customer_scope
from clienteling.organization.access import ACCESS, Operation, Scope, granted_q, scope_of
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.sales.selectors import purchase_facts

CARD_PROPERTIES = 3
# A card property is an analytics measure or a client book attribute (R-BOOK-6).
PropertyKind = Literal["measure", "fact", "attribute"]


# HQ's settings that every page reads: the parameters, the attribute group's attributes and
# their allowed values. Kept in the shared cache; any change to them starts a new generation
# (``clientbooks.signals``), in force at the next request in every process (R-DIST-1).
SETTINGS = Generation("settings:v1")


def parameters_for(legal_entity: LegalEntity) -> ClientelingParameters:
    """The legal entity's parameters as stored now (R-DIST-1), read once per request;
    defaults (off) when never set."""
    return memoized(
        parameters_key(legal_entity.pk),
        lambda: SETTINGS.cached(
            f"parameters:{legal_entity.pk}", lambda: _load_parameters(legal_entity)
        ),
    )


def parameters_key(legal_entity_id: int) -> tuple[str, int]:
    return ("clientbooks.parameters", legal_entity_id)


def _load_parameters(legal_entity: LegalEntity) -> ClientelingParameters:
    parameters = (
        ClientelingParameters.objects.select_related("attribute_group", "client_book_sequence")
        .filter(legal_entity=legal_entity)
        .first()
    )
    return parameters or ClientelingParameters(legal_entity=legal_entity)


def require_enabled(scope: Scope) -> ClientelingParameters:
    """The parameters, if the clienteling switch is on; otherwise FeatureDisabled naming it (R-FEAT-1)."""
    return enabled_parameters(scope.legal_entity)


def enabled_parameters(legal_entity: LegalEntity) -> ClientelingParameters:
    """The legal entity's parameters, if its clienteling switch is on (R-FEAT-1)."""
    parameters = parameters_for(legal_entity)
    if not parameters.enabled:
        raise FeatureDisabled(
            _(
                "Clienteling is turned off for %(le)s. HQ can turn it on in the clienteling parameters."
            )
            % {"le": legal_entity.code},
            field="clienteling_enabled",
            details={"switch": "clienteling_enabled", "legal_entity": legal_entity.code},
        )
    return parameters


def switches_of(legal_entities: Sequence[LegalEntity]) -> dict[int, bool]:
    """Per legal entity id, whether clienteling is on (R-FEAT-1)."""
    return {le.pk: parameters_for(le).enabled for le in legal_entities}


def book_scope(scope: Scope, operation: Operation) -> ClientelingParameters:
    """The checks of every client book operation, in the order their errors are reported:
    the switch (R-FEAT-1), then the grant (R-PERM-2)."""
    parameters = require_enabled(scope)
    scope.require(operation)
    return parameters


def group_attributes(parameters: ClientelingParameters) -> list[Attribute]:
    """The client book attribute group's attributes in display order, each with ``display_order``."""
    if parameters.attribute_group_id is None:
        return []
    attributes: list[Attribute] = list(
        Attribute.objects.filter(memberships__group_id=parameters.attribute_group_id)
        .annotate(display_order=F("memberships__display_order"))
        .prefetch_related(
            Prefetch("choices", queryset=AttributeChoice.objects.order_by("position", "value"))
        )
        .order_by("memberships__display_order")
    )
    return attributes


def attributes_key(legal_entity_id: int) -> tuple[str, int]:
    return ("clientbooks.attributes", legal_entity_id)


def client_book_attributes(legal_entity: LegalEntity) -> list[Attribute]:
    """The client book attributes of the legal entity, read once per request."""
    return memoized(
        attributes_key(legal_entity.pk),
        lambda: SETTINGS.cached(
            f"attributes:{legal_entity.pk}",
            lambda: group_attributes(parameters_for(legal_entity)),
        ),
    )


def _names_attributes(params: QueryParams | Mapping[str, Any]) -> bool:
    """Whether a filter or the sort (``upcoming.CODE``) may name an attribute."""
    keys = [str(key) for key in params.keys()]  # noqa: SIM118 (a QueryDict is no plain dict)
    return "sort" in keys or any(key.startswith(("attr.", "upcoming.")) for key in keys)


def card_filter_parse(
    *, legal_entity: LegalEntity, params: QueryParams | Mapping[str, Any]
) -> CardFilter:
    """Parse client book filters against this legal entity's client book attributes and the
    purchase facts (R-SALE-3); the attributes are read only when a filter or the sort names
    one, and one of theirs with a fact's code wins over the fact."""
    if not _names_attributes(params):
        return parse_filter(params, [])
    return parse_filter(params, [*fact_attributes(), *client_book_attributes(legal_entity)])


def customers_by_accounts(
    *, actor: Worker, legal_entity: LegalEntity, accounts: Sequence[str]
) -> list[Customer]:
    """The customers of the legal entity with these account numbers; any unknown one is not found."""
    scope = scope_of(actor, legal_entity)
    wanted = list(dict.fromkeys(a.strip() for a in accounts if a and a.strip()))
    found = list(Customer.objects.filter(legal_entity=scope.legal_entity, account__in=wanted))
    missing = sorted(set(wanted) - {c.account for c in found})
    if missing:
        raise NotFound(
            _("Customers not found: %(accounts)s.") % {"accounts": ", ".join(missing)},
            field="customers",
            details={"customers": missing},
        )
    return found


def local_today(legal_entity: LegalEntity) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(legal_entity.time_zone))


@dataclass(frozen=True)
class CardProperty:
    code: str
    label: str
    value: Any
    kind: PropertyKind
    data_type: str | None = None
    unit: str = ""
    # Measures only: False when the analytics service could not be asked in time; the value
    # is then the last known one, as of ``as_of`` (R-CI-4).
    available: bool = True
    as_of: dt.datetime | None = None
    # Attributes only: an allowed value's label in the reader's language, where HQ gave
    # one (R-UX-2); None means the value reads as it is.
    value_label: str | None = None


@dataclass(frozen=True)
class BookRef:
    identifier: str
    owner: str
    owner_name: str


@dataclass
class Card:
    """What a customer card shows (R-BOOK-6)."""

    account: str
    name: str
    email: str
    phone: str
    book: BookRef | None
    properties: list[CardProperty]
    added_at: dt.datetime | None = None
    customer_id: int = 0
    # From the card row (R-SALE-3): the day of the customer's last purchase, if any.
    last_purchase: dt.date | None = None


@dataclass
class CardPage:
    items: list[Card]
    next_cursor: str | None
    properties: list[tuple[str, str, PropertyKind]] = field(
        default_factory=list
    )  # (code, label, kind)
    total: int | None = None  # rows matching the filter, counted on the first page only


UNAVAILABLE = MeasureValue(None, available=False)


@dataclass(frozen=True)
class PropertySource:
    code: str
    label: str
    kind: PropertyKind
    attribute: Attribute | None = None
    percent: bool = False
    fact: PurchaseFact | None = None


def card_property_sources(
    legal_entity: LegalEntity, parameters: ClientelingParameters
) -> list[PropertySource]:
    """The card's three properties: the selected measures first, then the purchase facts HQ
    chose, then client book attributes by display order, until three (R-BOOK-6, R-CI-3,
    R-SALE-3)."""
    sources = [
        PropertySource(m.code, m.label, "measure", percent=m.percent)
        for m in list(measure_provider().selected(legal_entity))[:MAX_MEASURES]
    ]
    sources += [
        PropertySource(code, str(BY_CODE[code].label), "fact", fact=BY_CODE[code])
        for code in card_fact_codes(parameters.card_facts)
    ]
    wanted = CARD_PROPERTIES - len(sources)
    if wanted > 0 and parameters.attribute_group_id is not None:
        group_id = parameters.attribute_group_id
        first = SETTINGS.cached(
            f"card-attributes:{group_id}:{wanted}", lambda: _first_attributes(group_id, wanted)
        )
        sources += [PropertySource(a.code, a.localized_name(), "attribute", a) for a in first]
    return sources[:CARD_PROPERTIES]


def _choice_labels(attribute_ids: list[int]) -> dict[tuple[int, str], str]:
    if not attribute_ids:
        return {}
    language = (translation.get_language() or "en")[:2]
    key = f"choice-labels:{language}:{','.join(map(str, sorted(attribute_ids)))}"
    return SETTINGS.cached(
        key, lambda: choice_labels(attribute_ids=attribute_ids, language=language)
    )


def _first_attributes(group_id: int, wanted: int) -> list[Attribute]:
    """The group's first attributes by display order, without their allowed values."""
    return list(
        Attribute.objects.filter(memberships__group_id=group_id)
        .only("id", "code", "name", "name_it", "name_lt", "data_type", "unit")
        .order_by("memberships__display_order")[:wanted]
    )


def card_orderings(card_filter: CardFilter, today: dt.date) -> tuple[list[SortKey], dict[str, Any]]:
    if card_filter.sort == "added":
        return [
            SortKey("added_at", dt.datetime, descending=True),
            SortKey("id", int, descending=True),
        ], {}
    if card_filter.sort == "upcoming" and card_filter.sort_attribute is not None:
        slot = card_filter.sort_attribute.filter_slot
        today_md = month_day(today)
        md: F | Subquery
        if slot is not None:
            md = F(f"md_{slot.rsplit('_', 1)[1]}")
        else:
            md = Subquery(
                AttributeValue.objects.filter(
                    customer_id=OuterRef("customer_id"), attribute=card_filter.sort_attribute
                ).values("month_day")[:1]
            )
        key = Case(
            When(**{"upcoming_md__isnull": True}, then=Value(9999)),
            When(**{"upcoming_md__gte": today_md}, then=F("upcoming_md")),
            default=F("upcoming_md") + Value(1300),
            output_field=IntegerField(),
        )
        return (
            [SortKey("upcoming_key", int), SortKey("sort_name"), SortKey("id", int)],
            {"upcoming_md": md, "upcoming_key": key},
        )
    return [SortKey("sort_name"), SortKey("id", int)], {}


def _card_page(
    rows: QuerySet,
    *,
    legal_entity: LegalEntity,
    parameters: ClientelingParameters,
    card_filter: CardFilter,
    cursor: str | None,
    limit: int,
    counted: bool,
    book_path: str,
) -> CardPage:
    today = local_today(legal_entity)
    rows = apply_filter(rows, card_filter, today)
    keys, annotations = card_orderings(card_filter, today)
    matching = rows
    if annotations:
        rows = rows.annotate(**annotations)
    if card_filter.criteria or card_filter.text:
        # Filtered: the page's rows first, from the card table alone, then what the cards
        # show for those rows. In one query with the joins, PostgreSQL walked the store's
        # name order filtering 22,000 rows to find 51 of 191 matches (22 ms); alone, it
        # takes the slot's index (5 ms).
        page = keyset_page(
            rows.values("id", *(key.name for key in keys)), keys=keys, cursor=cursor, limit=limit
        )
        ids = [row["id"] for row in page.rows]
        found = {
            row["id"]: row
            for row in rows.model.objects.filter(id__in=ids).values(*card_values(book_path))
        }
        shown = [found[i] for i in ids]
    else:
        # Unfiltered, the index's order is the plan: one query, rows and what they show.
        # Plain values, not model instances: a page of 50 cards would build 250 of them.
        page = keyset_page(
            rows.values(*card_values(book_path), *annotations),
            keys=keys,
            cursor=cursor,
            limit=limit,
        )
        shown = page.rows
    # Counted on the first page only, for a face that shows it, and only when there is more
    # than the page. A query of its own: COUNT(*) OVER () in the page's query would read
    # every matching row, where the page stops at 51.
    total = None
    if counted and not cursor:
        total = matching.count() if page.next_cursor else len(shown)
    sources = card_property_sources(legal_entity, parameters)
    cards = _cards(legal_entity, shown, sources, book_path)
    return CardPage(cards, page.next_cursor, [(s.code, s.label, s.kind) for s in sources], total)


# What a card needs of its row: the sort keys, the customer's name and contact, the purchase
# facts, and the book with its owner (``book_path``: the row's way to the book).
def card_values(book_path: str) -> tuple[str, ...]:
    return (
        "id",
        "sort_name",
        "added_at",
        "customer_id",
        "customer__account",
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        "customer__phone",
        *FACT_COLUMNS,
        *(f"{book_path}__{field}" for field in BOOK_VALUES),
    )


BOOK_VALUES = (
    "identifier",
    "owner__user__username",
    "owner__user__first_name",
    "owner__user__last_name",
)


class CardCustomer(Protocol):
    """What the card properties need of a customer: a model instance or a card row's."""

    @property
    def id(self) -> int: ...

    @property
    def account(self) -> str: ...


@dataclass(frozen=True)
class RowCustomer:
    id: int
    account: str


def _card_properties(
    legal_entity: LegalEntity,
    customers: Sequence[CardCustomer],
    sources: list[PropertySource],
    facts: Mapping[int, Mapping[str, Any]],
) -> dict[int, list[CardProperty]]:
    """Per customer id, the card's properties: one query for the attribute values and one
    batched call for the measures, whatever the number of customers; the purchase facts
    come with the card rows (``facts``: per customer id, the fact columns)."""
    attribute_ids = [s.attribute.id for s in sources if s.attribute is not None]
    values: dict[tuple[int, int], Any] = {}
    if attribute_ids and customers:
        rows = AttributeValue.objects.filter(
            customer_id__in=[c.id for c in customers], attribute_id__in=attribute_ids
        ).values_list(
            "customer_id",
            "attribute_id",
            "value_text",
            "value_number",
            "value_date",
            "value_boolean",
        )
        for customer_id, attribute_id, *typed in rows:
            values[(customer_id, attribute_id)] = next((v for v in typed if v is not None), None)
    # Allowed values in the reader's language (R-UX-2), with HQ's other settings.
    labels = _choice_labels(
        [
            s.attribute.id
            for s in sources
            if s.attribute is not None and s.attribute.data_type == DataType.TEXT
        ]
        if values
        else []
    )
    measure_codes = [s.code for s in sources if s.kind == "measure"]
    measures: dict[tuple[str, str], MeasureValue] = {}
    if measure_codes and customers:
        # One batched call for the whole page (R-CI-4).
        measures = measure_provider().values(
            legal_entity, [c.account for c in customers], measure_codes
        )

    def prop(customer: CardCustomer, s: PropertySource) -> CardProperty:
        if s.fact is not None:
            return CardProperty(
                code=s.code,
                label=s.label,
                value=facts.get(customer.id, NO_PURCHASES)[s.fact.column],
                kind=s.kind,
                data_type="money" if s.fact.code == "SPEND_12M" else s.fact.data_type,
                unit=legal_entity.currency if s.fact.code == "SPEND_12M" else "",
            )
        if s.attribute is None:
            measure = measures.get((customer.account, s.code), UNAVAILABLE)
            return CardProperty(
                code=s.code,
                label=s.label,
                value=measure.value,
                kind=s.kind,
                data_type="percent" if s.percent else None,
                available=measure.available,
                as_of=measure.as_of,
            )
        value = values.get((customer.id, s.attribute.id))
        return CardProperty(
            code=s.code,
            label=s.label,
            value=value,
            kind=s.kind,
            data_type=s.attribute.data_type,
            unit=s.attribute.unit,
            value_label=labels.get((s.attribute.id, value)) if isinstance(value, str) else None,
        )

    return {customer.id: [prop(customer, s) for s in sources] for customer in customers}


def customer_card_properties(
    *, legal_entity: LegalEntity, customer: Customer
) -> list[CardProperty]:
    """The three properties a customer's card shows (R-BOOK-6), for the customer's details."""
    sources = card_property_sources(legal_entity, parameters_for(legal_entity))
    facts = {}
    if any(s.fact is not None for s in sources):
        summary = purchase_facts(
            legal_entity=legal_entity, customer_ids=[customer.id], today=local_today(legal_entity)
        )[customer.id]
        facts[customer.id] = fact_columns(summary)
    return _card_properties(legal_entity, [customer], sources, facts)[customer.id]


@dataclass(frozen=True)
class AttributeReading:
    """A client book attribute and the customer's value of it (None when not set)."""

    attribute: Attribute
    value: Any


def customer_attribute_values(*, actor: Worker, customer: Customer) -> list[AttributeReading]:
    """Every client book attribute in display order with the customer's value (R-ATTR-3)."""
    scope = customer_scope(actor, customer)
    attributes = client_book_attributes(scope.legal_entity)
    values = {
        v.attribute_id: v.value
        for v in AttributeValue.objects.filter(
            customer=customer, attribute__in=[a.id for a in attributes]
        )
    }
    return [AttributeReading(a, values.get(a.id)) for a in attributes]


def _cards(
    legal_entity: LegalEntity,
    rows: list[dict[str, Any]],
    sources: list[PropertySource],
    book_path: str,
) -> list[Card]:
    customers = [RowCustomer(row["customer_id"], row["customer__account"]) for row in rows]
    facts = {row["customer_id"]: {column: row[column] for column in FACT_COLUMNS} for row in rows}
    properties_of = _card_properties(legal_entity, customers, sources, facts)
    # The footer's last purchase, unless HQ put it among the properties already.
    footer = not any(s.code == "LAST_PURCHASE" for s in sources)
    identifier, username, first_name, last_name = (f"{book_path}__{f}" for f in BOOK_VALUES)
    cards = []
    for row in rows:
        owner_name = f"{row[first_name]} {row[last_name]}".strip()
        book = (
            BookRef(
                row[identifier],
                row[username],
                f"{owner_name} ({row[username]})" if owner_name else row[username],
            )
            if row[identifier] is not None
            else None
        )
        cards.append(
            Card(
                account=row["customer__account"],
                name=f"{row['customer__first_name']} {row['customer__last_name']}".strip(),
                email=row["customer__email"],
                phone=row["customer__phone"],
                book=book,
                properties=properties_of[row["customer_id"]],
                added_at=row["added_at"],
                customer_id=row["customer_id"],
                last_purchase=row["last_purchase"] if footer else None,
            )
        )
    return cards


def client_book_cards(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    card_filter: CardFilter | None = None,
    cursor: str | None = None,
    limit: int = 50,
    counted: bool = True,
) -> CardPage:
    """The actor's own client book as cards, filtered, sorted and paged (R-BOOK-5..8); with
    ``counted``, the first page also says how many cards match."""
    scope = scope_of(actor, legal_entity)
    parameters = book_scope(scope, Operation.VIEW_OWN_BOOK)
    # The book by a subquery: no book yet is simply no rows, and no query of its own.
    own_book = ClientBook.objects.filter(legal_entity=legal_entity, owner=actor).values("id")
    rows = Membership.objects.filter(book_id=Subquery(own_book[:1]))
    return _card_page(
        rows,
        legal_entity=legal_entity,
        parameters=parameters,
        card_filter=card_filter or CardFilter(),
        cursor=cursor,
        limit=limit,
        counted=counted,
        book_path="book",
    )


def store_rows(scope: Scope, store: Store, card_filter: CardFilter) -> QuerySet[StoreEntry]:
    """The store view's rows (R-BOOK-9): the switch, the grant, and a store the actor works in."""
    require_enabled(scope)
    scope.require(Operation.VIEW_STORE_BOOKS)
    scope.require_store(store)
    rows = StoreEntry.objects.filter(store=store)
    if card_filter.owner_username:
        # The owner as a value the plan knows before it reads the rows, so that the page is a
        # range of the (store, owner, name) index; joined by username, PostgreSQL read every
        # row of that owner's book and sorted them (50 ms for a book of 10,000).
        owner = Worker.objects.filter(user__username=card_filter.owner_username).values("id")
        rows = rows.filter(owner_id=Subquery(owner[:1]))
    return rows


def store_client_book_cards(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    store: Store,
    card_filter: CardFilter | None = None,
    cursor: str | None = None,
    limit: int = 50,
    counted: bool = True,
) -> CardPage:
    """The union of the client books of every worker who shares an address book with the
    store, showing whose book each customer is in (R-BOOK-9); ``counted`` as for a book."""
    scope = scope_of(actor, legal_entity)
    card_filter = card_filter or CardFilter()
    rows = store_rows(scope, store, card_filter)
    return _card_page(
        rows,
        legal_entity=legal_entity,
        parameters=parameters_for(legal_entity),
        card_filter=card_filter,
        cursor=cursor,
        limit=limit,
        counted=counted,
        book_path="membership__book",
    )


def client_book_find(*, legal_entity: LegalEntity, owner: Worker) -> ClientBook | None:
    """The owner's client book in the legal entity, if it has one."""
    return (
        ClientBook.objects.filter(legal_entity=legal_entity, owner=owner)
        .select_related("owner__user")
        .first()
    )


def customer_books(*, legal_entity: LegalEntity, customer: Customer) -> list[Membership]:
    """The books a customer is in, primary first."""
    return list(
        Membership.objects.filter(legal_entity=legal_entity, customer=customer)
        .select_related("book__owner__user")
        .order_by("-is_primary", "added_at")
    )


def books_of_customers(
    *, legal_entity: LegalEntity, customers: Sequence[Customer]
) -> dict[int, list[Membership]]:
    """Per customer id, the books it is in (primary first), for a list of search results."""
    result: dict[int, list[Membership]] = {}
    memberships = (
        Membership.objects.filter(legal_entity=legal_entity, customer__in=list(customers))
        .select_related("book__owner__user")
        .order_by("-is_primary", "added_at")
    )
    for membership in memberships:
        result.setdefault(membership.customer_id, []).append(membership)
    return result


def store_associates(*, store: Store) -> list[Worker]:
    """The workers whose client books the store shows and who may hold one: they share an
    address book with it and are granted the view of their own book (R-BOOK-9, R-SEC-4).
    Kept with the workers' access (25 ms at R-SCALE-1, on every store view)."""
    return ACCESS.cached(f"store-associates:{store.pk}", lambda: _store_associates(store))


def _store_associates(store: Store) -> list[Worker]:
    return list(
        Worker.objects.filter(
            granted_q(Operation.VIEW_OWN_BOOK),
            legal_entities=store.legal_entity_id,
            address_books__stores=store,
        )
        .select_related("user")
        .distinct()
        .order_by("user__first_name", "user__last_name", "user__username")
    )


MAX_BULK_SELECTION = 10_000


def store_matching_accounts(
    *, actor: Worker, legal_entity: LegalEntity, store: Store, card_filter: CardFilter
) -> list[str]:
    """Every account the store view shows for this filter, for "reassign all that match"."""
    scope = scope_of(actor, legal_entity)
    rows = apply_filter(
        store_rows(scope, store, card_filter), card_filter, local_today(legal_entity)
    )
    accounts = list(
        rows.order_by("sort_name", "id").values_list("customer__account", flat=True)[
            : MAX_BULK_SELECTION + 1
        ]
    )
    if len(accounts) > MAX_BULK_SELECTION:
        raise Invalid(
            _("At most %(max)d customers can be reassigned at once; narrow the filter.")
            % {"max": MAX_BULK_SELECTION},
            field="customers",
            rule="max_selection",
        )
    return list(dict.fromkeys(accounts))


def anniversary_in_days(value: dt.date, today: dt.date) -> int:
    """Days from ``today`` to the next anniversary of ``value``, ignoring the year: 0 when it
    is today. A 29 February date comes round on 28 February in a common year (as
    ``filters.upcoming_ranges`` counts it)."""
    for year in (today.year, today.year + 1):
        try:
            day = value.replace(year=year)
        except ValueError:  # 29 February in a common year
            day = dt.date(year, 2, 28)
        if day >= today:
            return (day - today).days
    raise AssertionError("an anniversary comes round within a year")  # pragma: no cover


def customers_addable(
    *, actor: Worker, legal_entity: LegalEntity, books: Mapping[int, Sequence[Membership]]
) -> set[int]:
    """Of the customers in ``books`` (per customer id, the books each is in), the ids the actor
    may add to their own book: granted the operation, not in it already, and, unless the
    legal entity shares customers between books, in no other book (R-BOOK-2)."""
    scope = scope_of(actor, legal_entity)
    parameters = parameters_for(legal_entity)
    if not parameters.enabled or not scope.may(Operation.ADD_CUSTOMER):
        return set()
    shared = parameters.membership_mode == MembershipMode.SHARED
    return {
        customer_id
        for customer_id, memberships in books.items()
        if not any(m.book.owner_id == actor.pk for m in memberships) and (shared or not memberships)
    }


def suggested_sort(params: QueryParams | Mapping[str, Any]) -> str | None:
    """The order a page of cards takes when none is chosen: by the coming date of the first
    upcoming-date filter (``upcoming.CODE`` with a number of days), soonest first; otherwise
    None (by name)."""
    if str(params.get("sort") or "").strip():
        return None
    for key in list(params.keys()):
        if str(key).startswith("upcoming.") and str(params.get(key) or "").strip():
            return str(key)
    return None


def book_owners_of(
    *, legal_entity: LegalEntity, customers: Sequence[Customer]
) -> list[tuple[Worker, int]]:
    """Whose books these customers are in (their primary book), with how many in each, most
    first: what a reassignment takes them from (R-BOOK-4)."""
    counts = dict(
        Membership.objects.filter(
            legal_entity=legal_entity, is_primary=True, customer__in=[c.id for c in customers]
        )
        .order_by()
        .values_list("book__owner_id")
        .annotate(customers=Count("id"))
        .values_list("book__owner_id", "customers")
    )
    owners = Worker.objects.filter(id__in=list(counts)).select_related("user")
    return sorted(((w, counts[w.id]) for w in owners), key=lambda pair: (-pair[1], str(pair[0])))
