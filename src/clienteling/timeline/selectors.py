"""Reading the timeline, scoped to what the actor may see (R-ACT-3, R-NOTE-2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import CharField, F, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.core.errors import NotFound
from clienteling.core.pagination import (
    KeysetPage,
    SortKey,
    decode_cursor,
    encode_cursor,
    keyset_page,
)
from clienteling.customers.models import Customer
from clienteling.customers.selectors import customer_scope
from clienteling.organization.models import LegalEntity, Worker
from clienteling.timeline import caching
from clienteling.timeline.models import Activity, ActivityType, BookEvent, Note

EntryKind = Literal["activity", "book_event", "note"]
KINDS: tuple[EntryKind, ...] = ("activity", "book_event", "note")
CURSOR_KEYS = [SortKey("at", dt.datetime), SortKey("kind", str), SortKey("id", int)]


def activity_types(
    *, legal_entity: LegalEntity, include_retired: bool = False
) -> list[ActivityType]:
    """The legal entity's activity types in display order; retired ones only when asked for."""
    every = caching.activity_types_cached(
        legal_entity.pk,
        lambda: list(
            ActivityType.objects.filter(legal_entity=legal_entity).order_by("display_order", "code")
        ),
    )
    return every if include_retired else [t for t in every if t.active]


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a customer's timeline: an activity, a note or a client-book event."""

    kind: EntryKind
    at: dt.datetime
    id: int
    item: Any
    upcoming: bool = False


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineEntry]
    next_cursor: str | None


def _part(
    queryset: QuerySet[Any], kind: EntryKind, at: str, after: list[Any] | None
) -> QuerySet[Any]:
    part = queryset.order_by().annotate(
        entry_at=F(at), entry_kind=Value(kind, output_field=CharField())
    )
    if after is not None:
        at_value, kind_value, id_value = after
        # Newest first: rows strictly before the cursor in (at, kind, id) descending order.
        if kind < kind_value:
            part = part.filter(**{f"{at}__lte": at_value})
        elif kind == kind_value:
            part = part.filter(
                Q(**{f"{at}__lt": at_value}) | Q(**{at: at_value, "id__lt": id_value})
            )
        else:
            part = part.filter(**{f"{at}__lt": at_value})
    return part.values_list("entry_at", "entry_kind", "id")


def timeline(
    *, actor: Worker, customer: Customer, cursor: str | None = None, limit: int = 50
) -> TimelinePage:
    """Activities, notes and client-book events of a customer, newest first, a page at a time.

    One query finds the page's keys across the three tables; one more per kind loads them,
    so a page costs the same whatever the customer's history holds."""
    customer_scope(actor, customer)
    return timeline_page(customer=customer, cursor=cursor, limit=limit)


def timeline_page(
    *, customer: Customer, cursor: str | None = None, limit: int = 50
) -> TimelinePage:
    """The timeline without an actor's scope: for the back office, whose staff permissions
    already decide who may look."""
    after = decode_cursor(cursor, CURSOR_KEYS) if cursor else None
    parts = [
        _part(Activity.objects.filter(customer=customer), "activity", "occurred_at", after),
        _part(BookEvent.objects.filter(customer=customer), "book_event", "occurred_at", after),
        _part(
            Note.objects.filter(customer=customer, deleted_at__isnull=True),
            "note",
            "created_at",
            after,
        ),
    ]
    keys = list(
        parts[0]
        .union(*parts[1:], all=True)
        .order_by("-entry_at", "-entry_kind", "-id")[: limit + 1]
    )
    more = len(keys) > limit
    keys = keys[:limit]
    wanted: dict[str, list[int]] = {kind: [] for kind in KINDS}
    for _at, kind, pk in keys:
        wanted[kind].append(pk)
    loaded: dict[str, dict[int, Any]] = {
        "activity": Activity.objects.select_related("type", "author__user", "store").in_bulk(
            wanted["activity"]
        )
        if wanted["activity"]
        else {},
        "book_event": BookEvent.objects.select_related(
            "owner__user", "previous_owner__user", "actor__user"
        ).in_bulk(wanted["book_event"])
        if wanted["book_event"]
        else {},
        "note": Note.objects.select_related("author__user").in_bulk(wanted["note"])
        if wanted["note"]
        else {},
    }
    now = timezone.now()
    items = []
    for at, kind, pk in keys:
        item = loaded[kind][pk]
        upcoming = (
            kind == "activity" and item.scheduled_start is not None and item.scheduled_start > now
        )
        items.append(TimelineEntry(kind=kind, at=at, id=pk, item=item, upcoming=upcoming))
    next_cursor = encode_cursor([keys[-1][0], keys[-1][1], keys[-1][2]]) if more and keys else None
    return TimelinePage(items=items, next_cursor=next_cursor)


def upcoming_appointments(*, actor: Worker, customer: Customer, limit: int = 5) -> list[Activity]:
    """The customer's appointments that have not happened yet, soonest first."""
    customer_scope(actor, customer)
    return list(
        Activity.objects.filter(customer=customer, scheduled_start__gt=timezone.now())
        .select_related("type", "author__user", "store")
        .order_by("scheduled_start", "id")[:limit]
    )


def note_get(*, actor: Worker, customer: Customer, note_id: int) -> Note:
    """A live note of this customer; anything else is not found."""
    customer_scope(actor, customer)
    note = (
        Note.objects.filter(customer=customer, pk=note_id, deleted_at__isnull=True)
        .select_related("customer", "author__user")
        .first()
    )
    if note is None:
        raise NotFound(_("Note not found."), field="note")
    return note


NOTE_KEYS = [
    SortKey("created_at", dt.datetime, descending=True),
    SortKey("id", int, descending=True),
]


def notes(
    *, actor: Worker, customer: Customer, cursor: str | None = None, limit: int = 50
) -> KeysetPage[Note]:
    """The customer's notes, newest first, whoever wrote them (R-NOTE-1, R-NOTE-2)."""
    customer_scope(actor, customer)
    return keyset_page(
        Note.objects.filter(customer=customer, deleted_at__isnull=True).select_related(
            "author__user"
        ),
        keys=NOTE_KEYS,
        cursor=cursor,
        limit=limit,
    )
