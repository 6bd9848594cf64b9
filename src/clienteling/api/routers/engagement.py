"""Acting on the book (SPEC §18): Today, follow-ups, appointments, outreach."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from clienteling.api.idempotency import idempotent
from clienteling.api.routers.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    Cursor,
    DayQuery,
    LegalEntityCode,
    Limit,
    StoreCode,
    day_from,
    scope_from,
)
from clienteling.api.schemas import (
    ACCOUNT_PATTERN,
    CODE_PATTERN,
    MAX_ACCOUNTS,
    TEXT_PATTERN,
    USERNAME_PATTERN,
)
from clienteling.clientbooks import selectors as books
from clienteling.core.errors import Invalid
from clienteling.core.pagination import DEFAULT_LIMIT
from clienteling.customers import selectors as customer_selectors
from clienteling.engagement import ics, selectors, services
from clienteling.engagement.models import Appointment, FollowUp
from clienteling.organization.access import Scope
from clienteling.organization.models import Worker
from clienteling.organization.selectors import worker_get

router = Router(tags=["acting on the book"])

MULTILINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
FollowUpId = Annotated[int, Path(ge=1, le=2**62, description="The follow-up's id.")]
AppointmentId = Annotated[int, Path(ge=1, le=2**62, description="The appointment's id.")]
OutreachId = Annotated[int, Path(ge=1, le=2**62, description="The outreach's id.")]
Account = Annotated[str, Field(pattern=ACCOUNT_PATTERN, max_length=30)]


class CustomerRef(Schema):
    account: str
    name: str


class DateOut(Schema):
    customer: CustomerRef
    attribute: str = Field(..., description="The date attribute's code, e.g. BIRTHDAY.")
    label: str = Field(..., description="The attribute's name in the caller's language.")
    date: dt.date = Field(..., description="The date as recorded (with its year).")
    occasion: dt.date = Field(..., description="The day it falls on next (today or later).")
    in_days: int = Field(..., description="0 is today.")
    when: str = Field(
        ..., description='"today", "tomorrow", "in 3 days", in the caller\'s language.'
    )


class DatesMoreOut(Schema):
    attribute: str = Field(..., description="The date attribute's code, e.g. BIRTHDAY.")
    label: str = Field(..., description="The attribute's name in the caller's language.")
    count: int = Field(..., description="Its dates in the window beyond those listed.")
    filter: str | None = Field(
        ...,
        description="The client book filter that lists them all (upcoming.BIRTHDAY=14); "
        "null when the attribute does not filter the book.",
    )


class FollowUpOut(Schema):
    id: int
    customer: CustomerRef
    subject: str
    note: str
    due: dt.date
    overdue: bool
    done: bool
    done_at: dt.datetime | None
    occasion: dt.date | None = Field(
        None, description="For a reminder: the day of the occasion it reminds of."
    )


class AppointmentOut(Schema):
    id: int
    customer: CustomerRef
    associate: str = Field(..., description="The associate's username.")
    store: str | None = Field(..., description="The store's code.")
    start: dt.datetime
    end: dt.datetime
    duration_minutes: int
    purpose: str
    cancelled_at: dt.datetime | None = Field(..., description="null: the appointment holds.")


class QuietOut(Schema):
    customer: CustomerRef
    last_contact: dt.datetime | None = Field(..., description="The last activity; null: none.")


class TodayOut(Schema):
    today: dt.date = Field(..., description="Today in the legal entity's time zone.")
    dates: list[DateOut] = Field(
        ..., description="Birthdays and anniversaries, 14 days, soonest first: the first 100."
    )
    dates_total: int = Field(..., description="All the dates in the 14 days, listed or not.")
    dates_more: list[DatesMoreOut] = Field(
        ..., description="For each attribute with dates beyond those listed: how many."
    )
    follow_ups: list[FollowUpOut] = Field(..., description="Due today or overdue.")
    appointments: list[AppointmentOut] = Field(..., description="Today and the next 6 days.")
    quiet: list[QuietOut] = Field(
        ...,
        description="No activity for quiet_days (an appointment counts from when it was booked): never contacted first, then the longest ago.",
    )
    quiet_days: int
    quiet_total: int


class FollowUpPageOut(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None


class SelectionIn(Schema):
    customers: list[Account] | None = Field(
        None, max_length=MAX_ACCOUNTS, description="Account numbers; or give filter."
    )
    filter: str | None = Field(
        None,
        max_length=4000,
        pattern=TEXT_PATTERN,
        description="A client book filter query string, as the book page's URL has it "
        "(attr.PREF_CATEGORY=Shoes&upcoming.BIRTHDAY=14).",
        examples=["attr.PREF_CATEGORY=Shoes"],
    )
    scope: Literal["book", "store"] = Field(
        "book", description="With filter: the caller's book, or a store's books (a manager)."
    )
    store: str | None = Field(
        None, pattern=CODE_PATTERN, max_length=20, description="With scope store: its code."
    )


class FollowUpsIn(SelectionIn):
    subject: str = Field(..., min_length=1, max_length=200, pattern=TEXT_PATTERN)
    due: dt.date
    note: str = Field("", max_length=4000, pattern=MULTILINE_PATTERN)


class CreatedOut(Schema):
    created: int


class AppointmentIn(Schema):
    customer: Account
    start: dt.datetime = Field(
        ..., description="ISO 8601; without an offset, the legal entity's local time."
    )
    duration_minutes: int = Field(..., ge=1, le=720)
    store: str = Field(..., pattern=CODE_PATTERN, max_length=20)
    purpose: str = Field(..., min_length=1, max_length=200, pattern=TEXT_PATTERN)


class OutreachIn(SelectionIn):
    template: str = Field(..., pattern=CODE_PATTERN, max_length=40, examples=["BIRTHDAY"])
    channel: Literal["email", "sms"] = "email"


class SkippedOut(Schema):
    no_consent: int
    no_email: int
    no_phone: int = Field(0, description="Text messages only.")


class OutreachQueuedOut(Schema):
    id: int
    recipients: int
    skipped: SkippedOut
    job: int | None = Field(..., description="The background job sending it.")


class OutreachOut(Schema):
    id: int
    template: str
    status: Literal["queued", "running", "done", "failed"]
    recipients: int
    sent: int
    failed: int
    queued: int
    outcomes: int = Field(..., description="Messages followed by a purchase within the window.")


class OutcomeCountOut(Schema):
    key: str = Field(..., description="The associate's username or the template's code.")
    messages: int
    purchases: int


class OutcomesOut(Schema):
    since: dt.date
    window_days: int
    by_associate: list[OutcomeCountOut]
    by_template: list[OutcomeCountOut]


class OverdueOut(Schema):
    username: str
    name: str
    overdue: int


def _customer(customer: object) -> CustomerRef:
    return CustomerRef(account=customer.account, name=customer.display_name)  # type: ignore[attr-defined]


def follow_up_out(row: FollowUp, today: dt.date) -> FollowUpOut:
    return FollowUpOut(
        id=row.pk,
        customer=_customer(row.customer),
        subject=row.subject,
        note=row.note,
        due=row.due,
        overdue=row.done_at is None and row.due < today,
        done=row.done_at is not None,
        done_at=row.done_at,
        occasion=row.occasion,
    )


def appointment_out(row: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=row.pk,
        customer=_customer(row.customer),
        associate=row.associate.user.username,
        store=row.store.code if row.store else None,
        start=row.start,
        end=row.end,
        duration_minutes=row.duration_minutes,
        purpose=row.purpose,
        cancelled_at=row.cancelled_at,
    )


def _selection(scope: Scope, payload: SelectionIn) -> list[int]:
    if (payload.customers is None) == (payload.filter is None):
        raise Invalid(
            _("Give either customers or filter."), field="customers", rule="one_of_required"
        )
    if payload.customers is not None:
        found = books.customers_by_accounts(
            actor=scope.actor, legal_entity=scope.legal_entity, accounts=payload.customers
        )
        return [c.pk for c in found]
    return selectors.selection_customer_ids(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        query=payload.filter or "",
        scope=payload.scope,
        store=scope.store(payload.store) if payload.store else None,
    )


@router.get(
    "/legal-entities/{le}/today",
    response={200: TodayOut, **READ_ERRORS},
    operation_id="today",
    summary="Today",
    description="The caller's day (R-TODAY-1): birthdays and anniversaries of their book's "
    "customers today and in the next 14 days, follow-ups due or overdue, appointments today "
    "and in the next six days, and the customers not contacted for HQ's number of days.",
)
def today(request: HttpRequest, le: LegalEntityCode) -> TodayOut:
    scope = scope_from(request, le)
    page = selectors.today_page(actor=scope.actor, legal_entity=scope.legal_entity)
    return TodayOut(
        today=page.today,
        dates=[
            DateOut(
                customer=_customer(d.customer),
                attribute=d.attribute.code,
                label=d.attribute.localized_name(),
                date=d.date,
                occasion=d.occasion,
                in_days=d.in_days,
                when=d.when,
            )
            for d in page.dates
        ],
        dates_total=page.dates_total,
        dates_more=[
            DatesMoreOut(
                attribute=m.attribute.code,
                label=m.attribute.localized_name(),
                count=m.count,
                filter=m.query or None,
            )
            for m in page.dates_more
        ],
        follow_ups=[follow_up_out(f, page.today) for f in page.follow_ups],
        appointments=[appointment_out(a) for a in page.appointments],
        quiet=[
            QuietOut(customer=_customer(q.customer), last_contact=q.last_contact)
            for q in page.quiet
        ],
        quiet_days=page.quiet_days,
        quiet_total=page.quiet_total,
    )


@router.get(
    "/legal-entities/{le}/follow-ups",
    response={200: FollowUpPageOut, **READ_ERRORS},
    operation_id="follow_ups_list",
    summary="My follow-ups",
    description="The caller's open follow-ups, soonest due first (with done=true, done ones too).",
)
def follow_ups_list(
    request: HttpRequest,
    le: LegalEntityCode,
    done: bool = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> FollowUpPageOut:
    scope = scope_from(request, le)
    page = selectors.follow_ups(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        include_done=done,
        cursor=cursor,
        limit=limit,
    )
    today_ = books.local_today(scope.legal_entity)
    return FollowUpPageOut(
        items=[follow_up_out(f, today_) for f in page.rows], next_cursor=page.next_cursor
    )


@router.post(
    "/legal-entities/{le}/follow-ups",
    response={201: CreatedOut, **WRITE_ERRORS},
    operation_id="follow_ups_create",
    summary="Create follow-ups",
    description="A follow-up for the caller on each customer: the accounts in customers, or "
    "every customer a client book filter shows (scope book, or store for a manager) (R-TASK-1).",
)
@idempotent(status=201)
def follow_ups_create(
    request: HttpRequest, le: LegalEntityCode, payload: FollowUpsIn
) -> CreatedOut:
    scope = scope_from(request, le)
    ids = _selection(scope, payload)
    created = services.follow_ups_create(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        customer_ids=ids,
        subject=payload.subject,
        due=payload.due,
        note=payload.note,
    )
    return CreatedOut(created=created)


def _follow_up(request: HttpRequest, le: str, follow_up_id: int) -> tuple[Scope, FollowUp]:
    scope = scope_from(request, le)
    return scope, selectors.follow_up_get(
        actor=scope.actor, legal_entity=scope.legal_entity, follow_up_id=follow_up_id
    )


@router.post(
    "/legal-entities/{le}/follow-ups/{follow_up_id}/done",
    response={200: FollowUpOut, **WRITE_ERRORS},
    operation_id="follow_up_done",
    summary="Mark a follow-up done",
    description="Recorded on the customer's timeline; marking it done again changes nothing.",
)
def follow_up_done(
    request: HttpRequest, le: LegalEntityCode, follow_up_id: FollowUpId
) -> FollowUpOut:
    scope, row = _follow_up(request, le, follow_up_id)
    done = services.follow_up_done(actor=scope.actor, follow_up=row)
    return follow_up_out(done, books.local_today(scope.legal_entity))


@router.post(
    "/legal-entities/{le}/follow-ups/{follow_up_id}/undone",
    response={200: FollowUpOut, **WRITE_ERRORS},
    operation_id="follow_up_undone",
    summary="Open a follow-up again",
    description="Recorded on the customer's timeline.",
)
def follow_up_undone(
    request: HttpRequest, le: LegalEntityCode, follow_up_id: FollowUpId
) -> FollowUpOut:
    scope, row = _follow_up(request, le, follow_up_id)
    opened = services.follow_up_undone(actor=scope.actor, follow_up=row)
    return follow_up_out(opened, books.local_today(scope.legal_entity))


@router.get(
    "/legal-entities/{le}/stores/{store}/follow-ups/overdue",
    response={200: list[OverdueOut], **READ_ERRORS},
    operation_id="overdue_follow_ups",
    summary="Overdue follow-ups per associate",
    description="For a manager (store books grant): each associate of the store with the "
    "number of open follow-ups past their due day, most first (R-TASK-1).",
)
def overdue_follow_ups(
    request: HttpRequest, le: LegalEntityCode, store: StoreCode
) -> list[OverdueOut]:
    scope = scope_from(request, le)
    rows = selectors.overdue_follow_ups_by_associate(
        actor=scope.actor, legal_entity=scope.legal_entity, store=scope.store(store)
    )
    return [OverdueOut(username=r.username, name=r.name, overdue=r.overdue) for r in rows]


@router.get(
    "/legal-entities/{le}/appointments",
    response={200: list[AppointmentOut], **READ_ERRORS},
    operation_id="appointments_list",
    summary="Appointments of a day or week",
    description="The caller's, or with store= the store's (optionally one associate's), for "
    "the day (default today) or the seven days from it (R-APPT-1).",
)
def appointments_list(
    request: HttpRequest,
    le: LegalEntityCode,
    day: DayQuery = None,
    span: Literal["day", "week"] = "day",
    store: Annotated[str | None, Query(None, pattern=CODE_PATTERN, max_length=20)] = None,
    associate: Annotated[str | None, Query(None, pattern=USERNAME_PATTERN, max_length=150)] = None,
) -> list[AppointmentOut]:
    scope = scope_from(request, le)
    the_store = scope.store(store) if store else None
    who: Worker | None = None
    if associate:
        who = worker_get(legal_entity=scope.legal_entity, username=associate, field="associate")
    rows = selectors.appointments_list(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        day=day_from(day, "day"),
        span=span,
        store=the_store,
        associate=who,
    )
    return [appointment_out(a) for a in rows]


@router.post(
    "/legal-entities/{le}/appointments",
    response={201: AppointmentOut, **WRITE_ERRORS},
    operation_id="appointment_book",
    summary="Book an appointment",
    description="The caller with a customer at one of the caller's stores; a start without "
    "an offset is the legal entity's local time. 409 when the caller is already booked then.",
)
@idempotent(status=201)
def appointment_book(
    request: HttpRequest, le: LegalEntityCode, payload: AppointmentIn
) -> AppointmentOut:
    scope = scope_from(request, le)
    customer = customer_selectors.customer_get(
        actor=scope.actor, legal_entity=scope.legal_entity, account=payload.customer
    )
    booked = services.appointment_book(
        actor=scope.actor,
        customer=customer,
        start=payload.start,
        duration_minutes=payload.duration_minutes,
        store=scope.store(payload.store),
        purpose=payload.purpose,
    )
    return appointment_out(booked)


@router.get(
    "/legal-entities/{le}/appointments/{appointment_id}/ics",
    response=READ_ERRORS,
    operation_id="appointment_ics",
    summary="The appointment as iCalendar",
    description="text/calendar (RFC 5545), one event.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The appointment as an attachment (Content-Disposition names it).",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
)
def appointment_ics(
    request: HttpRequest, le: LegalEntityCode, appointment_id: AppointmentId
) -> HttpResponse:
    scope = scope_from(request, le)
    row = selectors.appointment_get(
        actor=scope.actor, legal_entity=scope.legal_entity, appointment_id=appointment_id
    )
    response = HttpResponse(
        ics.appointment_ics(row, host=request.get_host().split(":")[0]),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="appointment-{row.pk}.ics"'
    return response


@router.post(
    "/legal-entities/{le}/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **WRITE_ERRORS},
    operation_id="appointment_cancel",
    summary="Cancel an appointment",
    description="By the associate booked or a manager of its store, before it ends: its time "
    "is free again, the customer's timeline says who cancelled it, and its .ics says "
    "CANCELLED. Cancelling it again changes nothing; an ended one is a 422.",
)
def appointment_cancel(
    request: HttpRequest, le: LegalEntityCode, appointment_id: AppointmentId
) -> AppointmentOut:
    scope = scope_from(request, le)
    row = selectors.appointment_get(
        actor=scope.actor, legal_entity=scope.legal_entity, appointment_id=appointment_id
    )
    return appointment_out(services.appointment_cancel(actor=scope.actor, appointment=row))


@router.post(
    "/legal-entities/{le}/outreach",
    response={202: OutreachQueuedOut, **WRITE_ERRORS},
    operation_id="outreach_start",
    summary="Send an e-mail template",
    description="To the accounts in customers, or to every customer a client book filter "
    "shows (scope book, or store for a manager), each in their preferred language. Customers "
    "without an e-mail address, or whose consent does not allow e-mail, are counted in "
    "skipped and get nothing; the others' messages are sent by a background job (R-OUT-1).",
)
@idempotent(status=202)
def outreach_start(
    request: HttpRequest, le: LegalEntityCode, payload: OutreachIn
) -> OutreachQueuedOut:
    scope = scope_from(request, le)
    ids = _selection(scope, payload)
    outreach, skipped = services.outreach_start(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        template_code=payload.template,
        customer_ids=ids,
        store=scope.store(payload.store) if payload.store else None,
        channel=payload.channel,
    )
    return OutreachQueuedOut(
        id=outreach.pk,
        recipients=outreach.recipients,
        skipped=SkippedOut(**skipped),
        job=outreach.job_id,
    )


@router.get(
    "/legal-entities/{le}/outreach/outcomes",
    response={200: OutcomesOut, **READ_ERRORS},
    operation_id="outreach_outcomes",
    summary="Outreach outcomes",
    description="E-mails sent since a day (default 30 days ago) and how many were followed by "
    "a purchase within HQ's window, per associate and per template: the caller's own, or "
    "with store= (a manager) the store's (R-OUT-2).",
)
def outreach_outcomes(
    request: HttpRequest,
    le: LegalEntityCode,
    since: DayQuery = None,
    store: Annotated[str | None, Query(None, pattern=CODE_PATTERN, max_length=20)] = None,
) -> OutcomesOut:
    scope = scope_from(request, le)
    first = day_from(since, "since") or books.local_today(scope.legal_entity) - dt.timedelta(
        days=30
    )
    result = selectors.outreach_outcomes(
        actor=scope.actor,
        legal_entity=scope.legal_entity,
        since=first,
        store=scope.store(store) if store else None,
    )
    return OutcomesOut(
        since=result.since,
        window_days=result.window_days,
        by_associate=[OutcomeCountOut(**vars(c)) for c in result.by_associate],
        by_template=[OutcomeCountOut(**vars(c)) for c in result.by_template],
    )


@router.get(
    "/legal-entities/{le}/outreach/{outreach_id}",
    response={200: OutreachOut, **READ_ERRORS},
    operation_id="outreach_get",
    summary="An outreach's progress",
    description="To whoever sent it: the job's status, messages sent, failed and still queued.",
)
def outreach_get(request: HttpRequest, le: LegalEntityCode, outreach_id: OutreachId) -> OutreachOut:
    scope = scope_from(request, le)
    progress = selectors.outreach_get(
        actor=scope.actor, legal_entity=scope.legal_entity, outreach_id=outreach_id
    )
    return OutreachOut(
        id=progress.outreach.pk,
        template=progress.outreach.template_code,
        status=progress.status,  # type: ignore[arg-type]
        recipients=progress.outreach.recipients,
        sent=progress.sent,
        failed=progress.failed,
        queued=progress.queued,
        outcomes=progress.outcomes,
    )
