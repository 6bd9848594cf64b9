"""Keeps the card rows (``Membership`` and ``StoreEntry``) in step with the data they copy.

Called only from services, inside their transaction, so a page never sees a half update.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Least

from clienteling.attributes.models import SLOT_NAMES, Attribute, AttributeValue
from clienteling.attributes.values import slot_columns
from clienteling.clientbooks.facts import fact_columns
from clienteling.clientbooks.models import FACT_COLUMNS, Membership, StoreEntry
from clienteling.core.text import folded
from clienteling.customers.models import Customer
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.sales.models import SaleLine
from clienteling.sales.selectors import local_today, purchase_facts, window_start
from clienteling.timeline.models import Activity

BATCH = 2000
# Values of one IN: within the oldest SQLite's limit of 999 parameters.
IN_CHUNK = 900


def search_text(customer: Customer) -> str:
    """What free-text filters match: name, email and phone digits, normalised and
    case-folded (``core.text.folded``)."""
    return folded(
        " ".join(
            part
            for part in (
                customer.first_name,
                customer.last_name,
                customer.email,
                customer.phone_digits,
            )
            if part
        )
    )[:400]


def empty_slots() -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for slot in SLOT_NAMES:
        columns.update(slot_columns(slot, None))
    return columns


def slotted_attributes() -> dict[int, Attribute]:
    return {a.id: a for a in Attribute.objects.filter(filter_slot__isnull=False)}


def card_columns(customers: Iterable[Customer]) -> dict[int, dict[str, Any]]:
    """Per customer id: sort name, search text, every filter slot from its attribute values,
    and its purchase facts (R-SALE-3)."""
    customers = list(customers)
    slotted = slotted_attributes()
    result: dict[int, dict[str, Any]] = {
        c.id: {"sort_name": c.sort_name, "search_text": search_text(c), **empty_slots()}
        for c in customers
    }
    for customer_id, columns in purchase_columns(customers).items():
        result[customer_id].update(columns)
    for customer_id, last in last_contacts(list(result)).items():
        result[customer_id]["last_contact"] = last
    if slotted and result:
        values = AttributeValue.objects.filter(
            customer_id__in=list(result), attribute_id__in=list(slotted)
        )
        for value in values.iterator(chunk_size=BATCH):
            slot = slotted[value.attribute_id].filter_slot
            assert slot is not None
            result[value.customer_id].update(slot_columns(slot, value.value))
    return result


def refresh_customers(customer_ids: Iterable[int]) -> None:
    """Copy the customers' current name, contact and slotted values onto all their card rows;
    customers in no book (most of an import) cost one query per batch."""
    ids = list(customer_ids)
    for start in range(0, len(ids), BATCH):
        carded = Membership.objects.filter(customer_id__in=ids[start : start + BATCH])
        chunk = Customer.objects.filter(id__in=carded.values("customer_id")).order_by()
        for customer_id, columns in card_columns(chunk).items():
            Membership.objects.filter(customer_id=customer_id).update(**columns)
            StoreEntry.objects.filter(customer_id=customer_id).update(**columns)


def purchase_columns(customers: Iterable[Customer]) -> dict[int, dict[str, Any]]:
    """Per customer id, the purchase fact columns as of today in its legal entity: two
    queries per legal entity and 900 customers."""
    ids_by_entity: dict[int, list[int]] = defaultdict(list)
    for customer in customers:
        ids_by_entity[customer.legal_entity_id].append(customer.id)
    result: dict[int, dict[str, Any]] = {}
    for legal_entity in LegalEntity.objects.filter(pk__in=list(ids_by_entity)):
        facts = purchase_facts(
            legal_entity=legal_entity,
            customer_ids=ids_by_entity[legal_entity.pk],
            today=local_today(legal_entity),
        )
        result.update({pk: fact_columns(summary) for pk, summary in facts.items()})
    return result


# When an activity is a contact: when it happened, or when it was recorded if that is
# earlier. So an appointment is a contact from when it was booked, and a customer's last
# contact is never ahead of now.
CONTACT_AT = Least("occurred_at", "created_at")


def last_contacts(customer_ids: list[int]) -> dict[int, dt.datetime]:
    """Per customer id that has any activity, its last contact (CONTACT_AT)."""
    found: dict[int, dt.datetime] = {}
    for start in range(0, len(customer_ids), IN_CHUNK):
        rows = (
            Activity.objects.filter(customer_id__in=customer_ids[start : start + IN_CHUNK])
            .order_by()
            .values("customer_id")
            .annotate(last=Max(CONTACT_AT))
            .values_list("customer_id", "last")
        )
        found.update(rows)
    return found


def contact_noted(activity: Activity) -> None:
    """``activity`` was recorded: its customer's card rows take it as their last contact
    unless they have a later one (one indexed UPDATE a table)."""
    at = min(activity.occurred_at, activity.created_at)
    later = Q(last_contact__isnull=True) | Q(last_contact__lt=at)
    for model in (Membership, StoreEntry):
        model.objects.filter(later, customer_id=activity.customer_id).update(last_contact=at)


def last_contact_refresh(customer_ids: Iterable[int]) -> None:
    """The customers' last contact, read again from their activities onto their card rows
    (after activities were recorded in bulk): one UPDATE a table and 900 customers."""
    latest = (
        Activity.objects.filter(customer_id=OuterRef("customer_id"))
        .order_by()
        .values("customer_id")
        .annotate(last=Max(CONTACT_AT))
        .values("last")
    )
    ids = list(customer_ids)
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        for model in (Membership, StoreEntry):
            model.objects.filter(customer_id__in=chunk).update(last_contact=Subquery(latest))


def _in_books(legal_entity: LegalEntity, customer_ids: list[int]) -> list[int]:
    """Which of these customers are in a book, in plain SQL: on the path of every sales
    import batch, where the ORM's work on thousands of values cost four times the query. On
    PostgreSQL the ids go as one array (psycopg's work on 900 placeholders cost more than the
    query)."""
    quote = connection.ops.quote_name
    query = (
        f"SELECT DISTINCT {quote('customer_id')} FROM {quote(Membership._meta.db_table)} "
        f"WHERE {quote('legal_entity_id')} = %s AND {quote('customer_id')} "
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(query + "= ANY(%s)", [legal_entity.pk, customer_ids])
            return [customer_id for (customer_id,) in cursor.fetchall()]
        found: list[int] = []
        for start in range(0, len(customer_ids), IN_CHUNK):
            chunk = customer_ids[start : start + IN_CHUNK]
            cursor.execute(
                query + f"IN ({', '.join(['%s'] * len(chunk))})", [legal_entity.pk, *chunk]
            )
            found.extend(customer_id for (customer_id,) in cursor.fetchall())
    return found


def refresh_purchase_facts(
    *, legal_entity: LegalEntity, customer_ids: Iterable[int], today: dt.date | None = None
) -> int:
    """Bring the purchase facts of these customers' card rows up to date (R-SALE-3): after
    their sales lines changed, or when the 12- and 24-month windows moved. Customers in no
    book cost one query per batch. Returns the number of customers whose rows changed."""
    day = today or local_today(legal_entity)
    ids = list(customer_ids)
    changed = 0
    for start in range(0, len(ids), BATCH):
        carded = _in_books(legal_entity, ids[start : start + BATCH])
        if not carded:
            continue
        facts = purchase_facts(legal_entity=legal_entity, customer_ids=carded, today=day)
        rows = []
        for customer_id, summary in facts.items():
            columns = fact_columns(summary)
            rows.append((*(columns[name] for name in FACT_COLUMNS), customer_id))
        _write_facts(rows)
        changed += len(carded)
    return changed


def _write_facts(rows: list[tuple[Any, ...]]) -> None:
    """Write (facts…, customer id) rows onto every card row of those customers: one UPDATE
    per table on PostgreSQL (the facts as arrays), one statement run per customer on SQLite,
    whose loop is in C."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Membership, StoreEntry):
            table = quote(model._meta.db_table)
            if connection.vendor == "postgresql":
                fields = {f.attname: f for f in model._meta.concrete_fields}
                names = [*FACT_COLUMNS, "customer_id"]
                arrays = ", ".join(f"%s::{fields[n].db_type(connection)}[]" for n in names)
                cursor.execute(
                    f"UPDATE {table} SET "
                    + ", ".join(f"{quote(n)} = f.{quote(n)}" for n in FACT_COLUMNS)
                    + f" FROM unnest({arrays}) AS f({', '.join(map(quote, names))})"
                    + f" WHERE {table}.{quote('customer_id')} = f.{quote('customer_id')}",
                    [list(column) for column in zip(*rows, strict=True)],
                )
            else:
                assignments = ", ".join(f"{quote(column)} = %s" for column in FACT_COLUMNS)
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE {quote('customer_id')} = %s", rows
                )


def purchase_facts_refresh(
    *, legal_entity: LegalEntity, today: dt.date | None = None, days: int | None = 1
) -> int:
    """The daily refresh of R-SALE-3: the facts of the customers in books who have a sales line
    that left the 12-month window (spend, visits) or the 24-month one (favourite category) in
    the last ``days`` days; with ``days=None``, of every customer in a book. Returns how many
    customers were brought up to date."""
    day = today or local_today(legal_entity)
    carded = Membership.objects.filter(legal_entity=legal_entity)
    if days is not None:
        zone = zoneinfo.ZoneInfo(legal_entity.time_zone)
        left = Q()
        for years in (1, 2):
            left |= Q(
                sold_at__gte=window_start(day - dt.timedelta(days=days), years, zone),
                sold_at__lt=window_start(day, years, zone),
            )
        lines = SaleLine.objects.filter(
            legal_entity=legal_entity, customer_id=OuterRef("customer_id")
        )
        carded = carded.filter(Exists(lines.filter(left)))
    customer_ids = carded.values_list("customer_id", flat=True).distinct().order_by("customer_id")
    return refresh_purchase_facts(
        legal_entity=legal_entity, customer_ids=list(customer_ids), today=day
    )


def refresh_slot(attribute: Attribute, previous_slot: str | None) -> None:
    """After an attribute gained, lost or changed its filter slot: rewrite that column everywhere."""
    for slot in {previous_slot, attribute.filter_slot} - {None}:
        assert slot is not None
        cleared = slot_columns(slot, None)
        Membership.objects.exclude(**{slot: None}).update(**cleared)
        StoreEntry.objects.exclude(**{slot: None}).update(**cleared)
    slot = attribute.filter_slot
    if slot is None:
        return
    values = AttributeValue.objects.filter(attribute=attribute).values_list(
        "customer_id", "value_text", "value_number", "value_date", "value_boolean"
    )
    by_value: dict[Any, list[int]] = defaultdict(list)
    for customer_id, *typed in values.iterator(chunk_size=BATCH):
        value = next((c for c in typed if c is not None), None)
        by_value[value].append(customer_id)
    for value, customer_ids in by_value.items():
        slot_values = slot_columns(slot, value)
        for start in range(0, len(customer_ids), BATCH):
            chunk = customer_ids[start : start + BATCH]
            Membership.objects.filter(customer_id__in=chunk).update(**slot_values)
            StoreEntry.objects.filter(customer_id__in=chunk).update(**slot_values)


def stores_of_owner(owner: Worker) -> list[Store]:
    """The stores whose client books show this worker's book: they share an address book (R-BOOK-9)."""
    return list(
        Store.objects.filter(
            legal_entity__in=owner.legal_entities.all(), address_books__workers=owner
        ).distinct()
    )


def create_store_entries(memberships: QuerySet[Membership] | list[Membership]) -> None:
    """Add the store rows of freshly created or moved memberships."""
    stores_by_owner: dict[int, list[Store]] = {}
    rows: list[StoreEntry] = []
    copied = ["sort_name", "search_text", "added_at", *empty_slots().keys(), *FACT_COLUMNS]
    for membership in memberships:
        owner = membership.book.owner
        if owner.id not in stores_by_owner:
            stores_by_owner[owner.id] = stores_of_owner(owner)
        for store in stores_by_owner[owner.id]:
            if store.legal_entity_id != membership.legal_entity_id:
                continue
            rows.append(
                StoreEntry(
                    legal_entity_id=membership.legal_entity_id,
                    store=store,
                    membership=membership,
                    customer_id=membership.customer_id,
                    owner=owner,
                    **{name: getattr(membership, name) for name in copied},
                )
            )
    StoreEntry.objects.bulk_create(rows, batch_size=BATCH)


def rebuild_store_entries_for_owners(owner_ids: Iterable[int]) -> None:
    """After a worker's or a store's address books changed: recompute where their books show."""
    owner_ids = list(owner_ids)
    StoreEntry.objects.filter(owner_id__in=owner_ids).delete()
    memberships = Membership.objects.filter(book__owner_id__in=owner_ids).select_related(
        "book__owner"
    )
    batch: list[Membership] = []
    for membership in memberships.iterator(chunk_size=BATCH):
        batch.append(membership)
        if len(batch) >= BATCH:
            create_store_entries(batch)
            batch = []
    if batch:
        create_store_entries(batch)
