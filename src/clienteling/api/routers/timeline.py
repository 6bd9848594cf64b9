"""Activity types, activities, notes and the customer timeline (SPEC §7)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status

from clienteling.api.idempotency import idempotent
from clienteling.api.routers.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    AccountPath,
    Cursor,
    LegalEntityCode,
    Limit,
    scope_from,
)
from clienteling.api.schemas import CODE_PATTERN
from clienteling.core.errors import Invalid
from clienteling.core.pagination import DEFAULT_LIMIT
from clienteling.customers import selectors as customer_selectors
from clienteling.customers.models import Customer
from clienteling.engagement import services as engagement_services
from clienteling.organization.access import scope_of
from clienteling.organization.models import Store, Worker
from clienteling.timeline import selectors, services
from clienteling.timeline.models import Activity, BookEvent, Note

router = Router(tags=["timeline"])

# Free text may span lines but holds no other control characters (nor NUL).
MULTILINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"


class ActivityTypeOut(Schema):
    code: str
    name: str = Field(..., description="In the caller's language.")
    is_appointment: bool = Field(..., description="Activities of this type need a schedule.")
    display_order: int


class ActivityOut(Schema):
    id: int
    type: str = Field(..., description="The activity type's code.")
    type_name: str
    occurred_at: dt.datetime = Field(..., description="When; an appointment's scheduled start.")
    subject: str
    description: str
    author: str = Field(..., description="The username of who recorded it.")
    store: str | None = Field(..., description="The store's code.")
    scheduled_start: dt.datetime | None
    duration_minutes: int | None
    upcoming: bool = Field(..., description="An appointment that has not happened yet.")


class NoteOut(Schema):
    id: int
    text: str
    author: str = Field(..., description="The username of who wrote it.")
    created_at: dt.datetime
    edited_at: dt.datetime | None


class BookEventOut(Schema):
    kind: Literal["added", "removed", "reassigned"]
    book: str = Field(..., description="The client book's identifier.")
    owner: str = Field(..., description="The book owner's username.")
    previous_owner: str | None = Field(..., description="Reassigned from (username).")
    by: str | None = Field(..., description="Who did it (username); null for an import.")


class TimelineEntryOut(Schema):
    kind: Literal["activity", "note", "book_event"]
    at: dt.datetime
    activity: ActivityOut | None = None
    note: NoteOut | None = None
    book_event: BookEventOut | None = None


class TimelinePageOut(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class NotePageOut(Schema):
    items: list[NoteOut]
    next_cursor: str | None


class ActivityIn(Schema):
    type: str = Field(..., pattern=CODE_PATTERN, max_length=20, examples=["PHONE"])
    subject: str = Field(..., max_length=200, pattern=LINE_PATTERN, examples=["Birthday call"])
    description: str = Field("", max_length=4000, pattern=MULTILINE_PATTERN)
    occurred_at: dt.datetime | None = Field(
        None, description="When it happened (default now); not for appointments."
    )
    store: str | None = Field(
        None, pattern=CODE_PATTERN, max_length=20, description="A store of the caller's."
    )
    scheduled_start: dt.datetime | None = Field(None, description="Appointments only.")
    duration_minutes: int | None = Field(None, ge=1, le=1440, description="Appointments only.")


class NoteIn(Schema):
    text: str = Field(..., min_length=1, max_length=4000, pattern=MULTILINE_PATTERN)


NoteId = Annotated[int, Path(ge=1, le=2**62, description="The note's id.")]


def _username(worker: Worker | None) -> str | None:
    return worker.user.username if worker is not None else None


def activity_out(activity: Activity, *, upcoming: bool) -> ActivityOut:
    return ActivityOut(
        id=activity.pk,
        type=activity.type.code,
        type_name=activity.type.localized_name(),
        occurred_at=activity.occurred_at,
        subject=activity.subject,
        description=activity.description,
        author=activity.author.user.username,
        store=activity.store.code if activity.store else None,
        scheduled_start=activity.scheduled_start,
        duration_minutes=activity.duration_minutes,
        upcoming=upcoming,
    )


def note_out(note: Note) -> NoteOut:
    return NoteOut(
        id=note.pk,
        text=note.text,
        author=note.author.user.username,
        created_at=note.created_at,
        edited_at=note.edited_at,
    )


def _book_event_out(event: BookEvent) -> BookEventOut:
    return BookEventOut(
        kind=event.kind,  # type: ignore[arg-type]
        book=event.book_number,
        owner=event.owner.user.username,
        previous_owner=_username(event.previous_owner),
        by=_username(event.actor),
    )


def _actor_and_customer(request: HttpRequest, le: str, account: str) -> tuple[Worker, Customer]:
    scope = scope_from(request, le)
    return scope.actor, customer_selectors.customer_get(
        actor=scope.actor, legal_entity=scope.legal_entity, account=account
    )


def _store(actor: Worker, customer: Customer, code: str | None) -> Store | None:
    return scope_of(actor, customer.legal_entity_id).store(code) if code else None


@router.get(
    "/legal-entities/{le}/activity-types",
    response={200: list[ActivityTypeOut], **READ_ERRORS},
    operation_id="activity_types_list",
    summary="Activity types",
    description="The legal entity's active activity types in display order (R-ACT-1). A "
    "retired type keeps its history but is not offered for new activities.",
)
def activity_types_list(request: HttpRequest, le: LegalEntityCode) -> list[ActivityTypeOut]:
    legal_entity = scope_from(request, le).legal_entity
    return [
        ActivityTypeOut(
            code=t.code,
            name=t.localized_name(),
            is_appointment=t.is_appointment,
            display_order=t.display_order,
        )
        for t in selectors.activity_types(legal_entity=legal_entity)
    ]


@router.get(
    "/legal-entities/{le}/customers/{account}/activities",
    response={200: TimelinePageOut, **READ_ERRORS},
    operation_id="customer_timeline",
    summary="The customer's timeline",
    description="Activities, notes and client-book events (added, removed, reassigned), newest "
    "first, a page at a time (R-ACT-3). Every worker of the legal entity who may read customer "
    "details sees every entry (R-NOTE-2).",
)
def customer_timeline(
    request: HttpRequest,
    le: LegalEntityCode,
    account: AccountPath,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> TimelinePageOut:
    actor, customer = _actor_and_customer(request, le, account)
    page = selectors.timeline(actor=actor, customer=customer, cursor=cursor, limit=limit)
    items = []
    for entry in page.items:
        if entry.kind == "activity":
            items.append(
                TimelineEntryOut(
                    kind="activity",
                    at=entry.at,
                    activity=activity_out(entry.item, upcoming=entry.upcoming),
                )
            )
        elif entry.kind == "note":
            items.append(TimelineEntryOut(kind="note", at=entry.at, note=note_out(entry.item)))
        else:
            items.append(
                TimelineEntryOut(
                    kind="book_event", at=entry.at, book_event=_book_event_out(entry.item)
                )
            )
    return TimelinePageOut(items=items, next_cursor=page.next_cursor)


@router.post(
    "/legal-entities/{le}/customers/{account}/activities",
    response={201: ActivityOut, **WRITE_ERRORS},
    operation_id="activity_create",
    summary="Record an activity",
    description="Type, subject, description, when, store (R-ACT-2). An appointment type is "
    "booked as an appointment (as POST /appointments): it needs scheduled_start, "
    "duration_minutes and store, and is a 409 when the caller is already booked then; other "
    "types take neither start nor duration. An unknown or retired type, a missing subject or "
    "an incomplete appointment is a 422 naming the field.",
)
@idempotent(status=201)
def activity_create(
    request: HttpRequest, le: LegalEntityCode, account: AccountPath, payload: ActivityIn
) -> ActivityOut:
    actor, customer = _actor_and_customer(request, le, account)
    activity = engagement_services.activity_record(
        actor=actor,
        customer=customer,
        type_code=payload.type,
        subject=payload.subject,
        description=payload.description,
        occurred_at=_aware(payload.occurred_at, "occurred_at"),
        store=_store(actor, customer, payload.store),
        scheduled_start=_aware(payload.scheduled_start, "scheduled_start"),
        duration_minutes=payload.duration_minutes,
    )
    start = activity.scheduled_start
    return activity_out(activity, upcoming=start is not None and start > timezone.now())


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid(
            _("Give the time with its offset, e.g. 2026-11-24T15:30:00+01:00."),
            field=field,
            rule="timezone",
        )
    return value


@router.get(
    "/legal-entities/{le}/customers/{account}/notes",
    response={200: NotePageOut, **READ_ERRORS},
    operation_id="customer_notes",
    summary="The customer's notes",
    description="Newest first, whoever wrote them (R-NOTE-1, R-NOTE-2).",
)
def customer_notes(
    request: HttpRequest,
    le: LegalEntityCode,
    account: AccountPath,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> NotePageOut:
    actor, customer = _actor_and_customer(request, le, account)
    page = selectors.notes(actor=actor, customer=customer, cursor=cursor, limit=limit)
    return NotePageOut(items=[note_out(n) for n in page.rows], next_cursor=page.next_cursor)


@router.post(
    "/legal-entities/{le}/customers/{account}/notes",
    response={201: NoteOut, **WRITE_ERRORS},
    operation_id="note_create",
    summary="Write a note",
    description="Free text about the customer, with author and time (R-NOTE-1).",
)
@idempotent(status=201)
def note_create(
    request: HttpRequest, le: LegalEntityCode, account: AccountPath, payload: NoteIn
) -> NoteOut:
    actor, customer = _actor_and_customer(request, le, account)
    return note_out(services.note_create(actor=actor, customer=customer, text=payload.text))


@router.patch(
    "/legal-entities/{le}/customers/{account}/notes/{note_id}",
    response={200: NoteOut, **WRITE_ERRORS},
    operation_id="note_update",
    summary="Correct a note",
    description="Only its author, within a day of writing it; the previous text is kept.",
)
def note_update(
    request: HttpRequest,
    le: LegalEntityCode,
    account: AccountPath,
    note_id: NoteId,
    payload: NoteIn,
) -> NoteOut:
    actor, customer = _actor_and_customer(request, le, account)
    note = selectors.note_get(actor=actor, customer=customer, note_id=note_id)
    return note_out(services.note_update(actor=actor, note=note, text=payload.text))


@router.delete(
    "/legal-entities/{le}/customers/{account}/notes/{note_id}",
    response={204: None, **WRITE_ERRORS},
    operation_id="note_delete",
    summary="Delete a note",
    description="Only its author, within a day of writing it; the text is kept on record.",
)
def note_delete(
    request: HttpRequest, le: LegalEntityCode, account: AccountPath, note_id: NoteId
) -> Status[None]:
    actor, customer = _actor_and_customer(request, le, account)
    note = selectors.note_get(actor=actor, customer=customer, note_id=note_id)
    services.note_delete(actor=actor, note=note)
    return Status(204, None)
