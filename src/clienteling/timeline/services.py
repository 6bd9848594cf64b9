"""Writing the timeline: activity types, activities, notes and client-book events (SPEC §7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.clientbooks import readmodel
from clienteling.core.errors import Conflict, Forbidden, Invalid, NotFound
from clienteling.customers.models import Customer
from clienteling.customers.selectors import customer_ids_by_account, customer_scope
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline import caching
from clienteling.timeline.models import Activity, ActivityType, BookEvent, Note, NoteChange

SUBJECT_MAX = 200
NOTE_MAX = 4000
MAX_APPOINTMENT_MINUTES = 24 * 60
# The span of time an activity may be dated in: a retailer's history, and appointments a
# few years ahead.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
APPOINTMENT_HORIZON = dt.timedelta(days=5 * 366)
# An author may change what they wrote for a day; after that the note is part of the record.
NOTE_EDIT_WINDOW = dt.timedelta(days=1)
# What happened to a customer's book membership: the values of ``BookEvent.Kind``.
BookEventKind = Literal["added", "removed", "reassigned"]


@transaction.atomic
def activity_type_save(*, activity_type: ActivityType) -> ActivityType:
    """Create or change an activity type; every process sees it at its next request (R-ACT-4)."""
    try:
        activity_type.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise Invalid(messages[0], field=field, rule="invalid") from None
    try:
        with transaction.atomic():
            activity_type.save()
    except IntegrityError:
        raise Conflict(
            _("Activity type %(code)s already exists in %(le)s.")
            % {"code": activity_type.code, "le": activity_type.legal_entity.code},
            field="code",
        ) from None
    caching.forget_activity_types(activity_type.legal_entity_id)
    return activity_type


def _subject(raw: str) -> str:
    subject = (raw or "").strip()
    if not subject:
        raise Invalid(_("Give the activity a subject."), field="subject", rule="required")
    if len(subject) > SUBJECT_MAX:
        raise Invalid(
            _("The subject may be at most %(max)d characters.") % {"max": SUBJECT_MAX},
            field="subject",
            rule="max_length",
        )
    return subject


def _active_type(legal_entity: LegalEntity, code: str) -> ActivityType:
    activity_type = ActivityType.objects.filter(legal_entity=legal_entity, code=code).first()
    if activity_type is None:
        raise Invalid(
            _("%(code)s is not an activity type of %(le)s.")
            % {"code": code, "le": legal_entity.code},
            field="type",
            rule="unknown",
        )
    if not activity_type.active:
        raise Invalid(
            _("The activity type %(code)s is retired.") % {"code": code},
            field="type",
            rule="retired",
        )
    return activity_type


@transaction.atomic
def activity_record(
    *,
    actor: Worker,
    customer: Customer,
    type_code: str,
    subject: str,
    description: str = "",
    occurred_at: dt.datetime | None = None,
    store: Store | None = None,
    scheduled_start: dt.datetime | None = None,
    duration_minutes: int | None = None,
) -> Activity:
    """Record what happened with a customer (R-ACT-2). An appointment needs a scheduled start
    and a duration and sits on the timeline at its start; other types take neither."""
    scope = customer_scope(actor, customer)
    activity_type = _active_type(scope.legal_entity, type_code)
    clean_subject = _subject(subject)
    if store is not None and not scope.works_in(store):
        raise Invalid(_("You do not work in that store."), field="store", rule="not_assigned")
    now = timezone.now()
    occurred_at = _moment(occurred_at, "occurred_at")
    scheduled_start = _moment(scheduled_start, "scheduled_start")
    if activity_type.is_appointment:
        if scheduled_start is None:
            raise Invalid(
                _("An appointment needs a scheduled start."),
                field="scheduled_start",
                rule="required",
            )
        if duration_minutes is None or not 1 <= duration_minutes <= MAX_APPOINTMENT_MINUTES:
            raise Invalid(
                _("An appointment lasts from 1 to %(max)d minutes.")
                % {"max": MAX_APPOINTMENT_MINUTES},
                field="duration_minutes",
                rule="range",
            )
        if scheduled_start > now + APPOINTMENT_HORIZON:
            raise Invalid(
                _("An appointment can be scheduled up to five years ahead."),
                field="scheduled_start",
                rule="range",
            )
        when = scheduled_start
    else:
        if scheduled_start is not None or duration_minutes is not None:
            raise Invalid(
                _("Only appointments have a scheduled start and a duration."),
                field="scheduled_start",
                rule="not_appointment",
            )
        when = occurred_at or now
        if when > now + dt.timedelta(minutes=5):
            raise Invalid(
                _("An activity that is not an appointment cannot be in the future."),
                field="occurred_at",
                rule="not_future",
            )
    activity = Activity.objects.create(
        legal_entity_id=customer.legal_entity_id,
        customer=customer,
        type=activity_type,
        occurred_at=when,
        subject=clean_subject,
        description=(description or "").strip(),
        author=actor,
        store=store,
        scheduled_start=scheduled_start if activity_type.is_appointment else None,
        duration_minutes=duration_minutes if activity_type.is_appointment else None,
    )
    readmodel.contact_noted(activity)
    return activity


def _moment(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """A time with its offset, in UTC: any offset Python accepts (up to ±24 h) is stored the
    same way, and a time before 1900 is refused rather than stored as nonsense."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise Invalid(
            _("Give the time with its offset, e.g. 2026-11-24T15:30:00+01:00."),
            field=field,
            rule="timezone",
        )
    try:
        moment = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or moment < EARLIEST:
        raise Invalid(
            _("The time must be in 1900 or later."),
            field=field,
            rule="range",
        )
    return moment


def _note_text(raw: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise Invalid(_("A note cannot be empty."), field="text", rule="required")
    if len(text) > NOTE_MAX:
        raise Invalid(
            _("A note may be at most %(max)d characters.") % {"max": NOTE_MAX},
            field="text",
            rule="max_length",
        )
    return text


@transaction.atomic
def note_create(*, actor: Worker, customer: Customer, text: str) -> Note:
    """Write a note about a customer, with its author and time (R-NOTE-1)."""
    customer_scope(actor, customer)
    return Note.objects.create(
        legal_entity_id=customer.legal_entity_id,
        customer=customer,
        author=actor,
        text=_note_text(text),
        created_at=timezone.now(),
    )


def _require_author_in_window(actor: Worker, note: Note) -> Note:
    customer_scope(actor, note.customer)
    locked = Note.objects.select_for_update().get(pk=note.pk)
    if locked.deleted_at is not None:
        raise NotFound(_("This note was deleted."), field="note")
    if locked.author_id != actor.pk:
        raise Forbidden(_("Only the author may change a note."), operation="note_change")
    if timezone.now() - locked.created_at > NOTE_EDIT_WINDOW:
        raise Forbidden(
            _("A note can be changed only within a day of writing it."),
            operation="note_change",
        )
    return locked


@transaction.atomic
def note_update(*, actor: Worker, note: Note, text: str) -> Note:
    """The author corrects their note within a day; the previous text is kept (R-NOTE-1)."""
    new_text = _note_text(text)
    locked = _require_author_in_window(actor, note)
    if new_text == locked.text:
        return locked
    now = timezone.now()
    NoteChange.objects.create(
        note=locked,
        kind=NoteChange.Kind.EDITED,
        previous_text=locked.text,
        changed_by=actor,
        changed_at=now,
    )
    locked.text, locked.edited_at = new_text, now
    locked.save(update_fields=["text", "edited_at"])
    return locked


@transaction.atomic
def note_delete(*, actor: Worker, note: Note) -> None:
    """The author withdraws their note within a day; it leaves the timeline, its text is kept."""
    locked = _require_author_in_window(actor, note)
    now = timezone.now()
    NoteChange.objects.create(
        note=locked,
        kind=NoteChange.Kind.DELETED,
        previous_text=locked.text,
        changed_by=actor,
        changed_at=now,
    )
    locked.deleted_at = now
    locked.save(update_fields=["deleted_at"])


def book_events_record(
    *,
    kind: BookEventKind,
    actor: Worker | None,
    entries: Iterable[tuple[int, str, int, int | None]],
    legal_entity_id: int,
) -> None:
    """Record client-book changes on the customers' timelines, inside the caller's transaction.

    ``entries`` holds (customer id, book number, owner id, previous owner id)."""
    now = timezone.now()
    BookEvent.objects.bulk_create(
        [
            BookEvent(
                legal_entity_id=legal_entity_id,
                customer_id=customer_id,
                kind=kind,
                book_number=number,
                owner_id=owner_id,
                previous_owner_id=previous_owner_id,
                actor=actor,
                occurred_at=now,
            )
            for customer_id, number, owner_id, previous_owner_id in entries
        ],
        batch_size=1000,
    )


@transaction.atomic
def activities_import(
    *, legal_entity: LegalEntity, rows: Sequence[Mapping[str, Any]]
) -> dict[int, Invalid]:
    """Record past activities in bulk (R-IO-2), each row with ``account``, ``type`` (code),
    ``occurred_at`` (an aware time), ``subject`` (default: the type's name), ``description``,
    ``worker`` (username: who recorded it) and ``store`` (code, optional). The checks of
    ``activity_record``; appointments are booked, not imported. An activity already on record
    (same customer, type, time and subject) is not recorded twice, so a file imports again
    safely. Refused rows are answered by index, naming the column."""
    customers = customer_ids_by_account(legal_entity, (row["account"] for row in rows))
    types = {t.code: t for t in ActivityType.objects.filter(legal_entity=legal_entity)}
    workers = dict(
        Worker.objects.filter(
            legal_entities=legal_entity, user__username__in={row["worker"] for row in rows}
        ).values_list("user__username", "id")
    )
    stores = dict(Store.objects.filter(legal_entity=legal_entity).values_list("code", "id"))
    now = timezone.now()
    refused: dict[int, Invalid] = {}
    wanted: dict[tuple[int, int, dt.datetime, str], Activity] = {}
    for index, row in enumerate(rows):
        try:
            activity = _imported_activity(row, legal_entity, customers, types, workers, stores, now)
        except Invalid as error:
            refused[index] = error
            continue
        key = (activity.customer_id, activity.type_id, activity.occurred_at, activity.subject)
        wanted.setdefault(key, activity)
    on_record = set(
        Activity.objects.filter(
            customer_id__in={key[0] for key in wanted},
            occurred_at__in={key[2] for key in wanted},
        ).values_list("customer_id", "type_id", "occurred_at", "subject")
    )
    recorded = Activity.objects.bulk_create(
        [activity for key, activity in wanted.items() if key not in on_record], batch_size=1000
    )
    readmodel.last_contact_refresh({activity.customer_id for activity in recorded})
    return refused


def _imported_activity(
    row: Mapping[str, Any],
    legal_entity: LegalEntity,
    customers: Mapping[str, int],
    types: Mapping[str, ActivityType],
    workers: Mapping[str, int],
    stores: Mapping[str, int],
    now: dt.datetime,
) -> Activity:
    if row["account"] not in customers:
        raise Invalid(
            _("Customer %(account)s does not exist in %(le)s.")
            % {"account": row["account"], "le": legal_entity.code},
            field="account",
            rule="unknown",
        )
    activity_type = types.get(row["type"])
    if activity_type is None or not activity_type.active:
        _active_type(legal_entity, row["type"])  # raises, saying which
    assert activity_type is not None
    if activity_type.is_appointment:
        raise Invalid(_("Appointments are booked, not imported."), field="type", rule="appointment")
    when = _moment(row["occurred_at"], "occurred_at")
    if when is None or when > now + dt.timedelta(minutes=5):
        raise Invalid(
            _("An activity that is not an appointment cannot be in the future."),
            field="occurred_at",
            rule="not_future",
        )
    author = workers.get(row["worker"])
    if author is None:
        raise Invalid(
            _("%(worker)s does not work for %(le)s; name who recorded the activity.")
            % {"worker": row["worker"] or "—", "le": legal_entity.code},
            field="worker",
            rule="unknown",
        )
    store = stores.get(row["store"]) if row["store"] else None
    if row["store"] and store is None:
        raise Invalid(
            _("Store %(code)s does not exist in %(le)s.")
            % {"code": row["store"], "le": legal_entity.code},
            field="store",
            rule="unknown",
        )
    description = row["description"]
    if len(description) > NOTE_MAX:
        raise Invalid(
            _("The description may be at most %(max)d characters.") % {"max": NOTE_MAX},
            field="description",
            rule="max_length",
        )
    return Activity(
        legal_entity=legal_entity,
        customer_id=customers[row["account"]],
        type=activity_type,
        occurred_at=when,
        subject=_subject(row["subject"] or activity_type.name),
        description=description,
        author_id=author,
        store_id=store,
    )
