"""Keeps the card rows (``Membership`` and ``StoreEntry``) in step with the data they copy.

Called only from services, inside their transaction, so a page never sees a half update.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from clienteling.attributes.models import SLOT_NAMES, Attribute, AttributeValue
from clienteling.attributes.values import slot_columns
from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.core.text import folded
from clienteling.customers.models import Customer
from clienteling.organization.models import Store, Worker

BATCH = 2000


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
    """Per customer id: sort name, search text and every filter slot, from its attribute values."""
    customers = list(customers)
    slotted = slotted_attributes()
    result: dict[int, dict[str, Any]] = {
        c.id: {"sort_name": c.sort_name, "search_text": search_text(c), **empty_slots()}
        for c in customers
    }
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
        chunk = Customer.objects.filter(id__in=carded.values("customer_id"))
        for customer_id, columns in card_columns(chunk).items():
            Membership.objects.filter(customer_id=customer_id).update(**columns)
            StoreEntry.objects.filter(customer_id=customer_id).update(**columns)


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
    copied = ["sort_name", "search_text", "added_at", *empty_slots().keys()]
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
