"""Reads of acting on the book, scoped to what the actor may see: Today (R-TODAY-1), follow-ups
(R-TASK-1), appointments (R-APPT-1), outreach and its outcomes (R-OUT-1, R-OUT-2)."""

from __future__ import annotations

import datetime as dt
import operator
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode

from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clienteling.attributes.models import Attribute, AttributeValue, DataType
from clienteling.attributes.values import month_day
from clienteling.clientbooks.filters import apply_filter, upcoming_ranges
from clienteling.clientbooks.models import ClientBook, Membership
from clienteling.clientbooks.selectors import (
    MAX_BULK_SELECTION,
    book_scope,
    card_filter_parse,
    client_book_attributes,
    local_today,
    parameters_for,
    require_enabled,
    store_associates,
    store_rows,
)
from clienteling.core.errors import Invalid, NotFound
from clienteling.core.pagination import KeysetPage, SortKey, decode_cursor, keyset_page
from clienteling.core.text import is_safe_text
from clienteling.customers.models import Customer
from clienteling.engagement.models import (
    Appointment,
    EmailTemplate,
    EngagementParameters,
    FollowUp,
    Outreach,
    OutreachMessage,
)
from clienteling.organization.access import Operation, scope_of
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.sales.models import SaleLine
from clienteling.timeline import selectors as timeline
from clienteling.timeline.models import ActivityType

UPCOMING_DAYS = 14
TODAY_LIMIT = 100
QUIET_LIMIT = 50
WEEK = 7
SelectionScope = Literal["book", "store"]
Span = Literal["day", "week"]


def parameters_of(legal_entity: LegalEntity) -> EngagementParameters:
    """HQ's engagement parameters of the legal entity; the defaults when never set."""
    found = EngagementParameters.objects.filter(legal_entity=legal_entity).first()
    return found or EngagementParameters(legal_entity=legal_entity)


def zone_of(legal_entity: LegalEntity) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(legal_entity.time_zone)


def _within_calendar(day: dt.date, field: str) -> dt.date:
    """A day the product counts with: from 1900 to 2200 (beyond, times overflow)."""
    if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 12, 31):
        raise Invalid(_("Give a day from 1900 to 2200."), field=field, rule="range")
    return day


def local_midnight(legal_entity: LegalEntity, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone_of(legal_entity))


# --- Selections: the customers a client book filter shows -------------------------------------


def selection_customer_ids(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    query: str,
    scope: SelectionScope = "book",
    store: Store | None = None,
) -> list[int]:
    """The customers the client book page (``scope="book"``) or the store books page (a
    manager's ``scope="store"``) shows for the filter ``query`` (the page's own query string,
    read by the same parser, R-BOOK-7), in name order: at most MAX_BULK_SELECTION."""
    actor_scope = scope_of(actor, legal_entity)
    params = parse_qs(query or "", keep_blank_values=True, max_num_fields=200)
    for key, values in params.items():
        if not is_safe_text(key) or not all(is_safe_text(v) for v in values):
            raise Invalid(
                _("The filter contains a character that is not allowed."),
                field="filter",
                rule="characters",
            )
    card_filter = card_filter_parse(legal_entity=legal_entity, params=params)
    today = local_today(legal_entity)
    rows: QuerySet
    if scope == "store":
        if store is None:
            raise Invalid(_("Name the store."), field="store", rule="required")
        rows = store_rows(actor_scope, store, card_filter)
    else:
        book_scope(actor_scope, Operation.VIEW_OWN_BOOK)
        rows = Membership.objects.filter(
            legal_entity=legal_entity, book__legal_entity=legal_entity, book__owner=actor
        )
    ids = list(
        apply_filter(rows, card_filter, today)
        .order_by("sort_name", "id")
        .values_list("customer_id", flat=True)[: MAX_BULK_SELECTION + 1]
    )
    if len(ids) > MAX_BULK_SELECTION:
        raise Invalid(
            _("At most %(max)d customers can be selected at once; narrow the filter.")
            % {"max": MAX_BULK_SELECTION},
            field="filter",
            rule="max_selection",
        )
    return list(dict.fromkeys(ids))


# --- Follow-ups ---------------------------------------------------------------------------

FOLLOW_UP_KEYS = [SortKey("due", str), SortKey("id", int)]


def follow_ups(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    include_done: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> KeysetPage[FollowUp]:
    """The caller's follow-ups, soonest due first; open ones unless ``include_done``."""
    scope = scope_of(actor, legal_entity)
    require_enabled(scope)
    rows = FollowUp.objects.filter(legal_entity=legal_entity, owner=actor).select_related(
        "customer"
    )
    if not include_done:
        rows = rows.filter(done_at__isnull=True)
    if cursor:
        # The cursor carries the due day as text: a forged one must not reach the database.
        due, _id = decode_cursor(cursor, FOLLOW_UP_KEYS)
        try:
            dt.date.fromisoformat(due)
        except ValueError:
            raise Invalid(
                _("The cursor is not valid for this list."), field="cursor", rule="format"
            ) from None
    return keyset_page(rows, keys=FOLLOW_UP_KEYS, cursor=cursor, limit=limit)


def follow_up_get(*, actor: Worker, legal_entity: LegalEntity, follow_up_id: int) -> FollowUp:
    """One of the caller's own follow-ups; any other is not found."""
    scope_of(actor, legal_entity)
    found = (
        FollowUp.objects.filter(legal_entity=legal_entity, owner=actor, pk=follow_up_id)
        .select_related("customer")
        .first()
    )
    if found is None:
        raise NotFound(_("Follow-up not found."), field="id")
    return found


@dataclass(frozen=True)
class OverdueCount:
    username: str
    name: str
    overdue: int


def overdue_follow_ups_by_associate(
    *, actor: Worker, legal_entity: LegalEntity, store: Store
) -> list[OverdueCount]:
    """For a manager: the open follow-ups past their due day of each associate whose book
    the store shows (R-TASK-1), most overdue first."""
    scope = scope_of(actor, legal_entity)
    require_enabled(scope)
    scope.require(Operation.VIEW_STORE_BOOKS)
    scope.require_store(store)
    associates = store_associates(store=store)
    today = local_today(legal_entity)
    counts = Counter(
        FollowUp.objects.filter(
            legal_entity=legal_entity, owner__in=associates, done_at__isnull=True, due__lt=today
        ).values_list("owner_id", flat=True)
    )
    result = [OverdueCount(w.user.username, str(w), counts.get(w.pk, 0)) for w in associates]
    return sorted(result, key=lambda row: (-row.overdue, row.username))


# --- Today --------------------------------------------------------------------------------


def celebrated_on(date: dt.date, year: int) -> dt.date:
    """The day a yearly date falls on in ``year``: 29 February on 28 February in a year
    without one, as the client book's upcoming filter counts it (filters.upcoming_ranges)."""
    try:
        return date.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def next_occasion(date: dt.date, today: dt.date) -> dt.date:
    """The first day from ``today`` on which the yearly date falls."""
    this_year = celebrated_on(date, today.year)
    return this_year if this_year >= today else celebrated_on(date, today.year + 1)


def when_label(days: int) -> str:
    """ "today", "tomorrow", "in 3 days", in the active language."""
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}


@dataclass(frozen=True)
class DateEntry:
    customer: Customer
    attribute: Attribute
    date: dt.date
    occasion: dt.date
    in_days: int

    @property
    def when(self) -> str:
        return when_label(self.in_days)


@dataclass(frozen=True)
class DatesMore:
    """How many dates of one attribute fall in the window beyond those Today lists; ``query``
    is the client book filter that shows them all (``upcoming.BIRTHDAY=14``), empty when the
    attribute does not filter the book (it cannot be refined)."""

    attribute: Attribute
    count: int
    query: str


@dataclass(frozen=True)
class QuietEntry:
    customer: Customer
    last_contact: dt.datetime | None


@dataclass
class TodayPage:
    """What an associate's Today shows (R-TODAY-1)."""

    today: dt.date
    dates: list[DateEntry]
    follow_ups: list[FollowUp]
    appointments: list[Appointment]
    quiet: list[QuietEntry]
    quiet_days: int
    quiet_total: int
    dates_total: int = 0
    dates_more: list[DatesMore] = field(default_factory=list)

    @property
    def dates_not_shown(self) -> int:
        """How many dates of the window the list leaves out."""
        return self.dates_total - len(self.dates)


def _book_rows(legal_entity: LegalEntity, actor: Worker) -> QuerySet[Membership]:
    """The card rows of the actor's book in the legal entity (a book's rows are of its legal
    entity), by the book's id: with it PostgreSQL reads each list from the book's indexes
    in their order, where a join to the book sorted all its rows (5 ms at 10,000)."""
    book_id = (
        ClientBook.objects.filter(legal_entity=legal_entity, owner=actor)
        .values_list("id", flat=True)
        .first()
    )
    return Membership.objects.filter(book_id=book_id).order_by()


def _in_days_of_month_days(today: dt.date, days: int) -> dict[int, int]:
    """Each month·100+day of the window from today to ``days`` ahead, with the days until it
    falls next; a 29 February falls on 28 February in a year without one (next_occasion)."""
    result: dict[int, int] = {}
    for offset in range(min(days, 366) + 1):
        day = today + dt.timedelta(days=offset)
        result.setdefault(month_day(day), offset)
        if month_day(day) == 228 and celebrated_on(dt.date(2000, 2, 29), day.year) == day:
            result.setdefault(229, offset)
    return result


def _window(column: str, today: dt.date, days: int) -> Q:
    """The month·100+day in ``column`` falls in the next ``days`` (the client book's filter)."""
    window = Q()
    for low, high in upcoming_ranges(today, days):
        window |= Q(**{f"{column}__gte": low, f"{column}__lte": high})
    return window


@dataclass(frozen=True)
class UpcomingRows:
    """The first upcoming dates as (customer id, attribute id, date), soonest first, and how
    many of each attribute fall in the window in all."""

    rows: list[tuple[int, int, dt.date]]
    counts: Counter[int]


def upcoming_date_rows(
    *,
    legal_entity: LegalEntity,
    attributes: Sequence[Attribute],
    book: QuerySet[Membership],
    today: dt.date,
    days: int,
    limit: int,
) -> UpcomingRows:
    """The yearly dates (date ``attributes``: birthdays, anniversaries) of the customers of
    ``book`` (its card rows) that fall from today to ``days`` ahead: the first ``limit``,
    soonest first, then by name; and how many of each attribute there are.

    An attribute with a filter slot is read from the card rows' slot, as the client book's
    upcoming filter reads it: one pass over the book's rows for all slots. One beyond the
    slots is read from the values table's date index alone (attrvalue_month_day_dates), for
    the book's customers. Two queries whatever the size of the book; what they return is
    bare tuples (about 1,200 for a book of 10,000), objects are made for the first ``limit``.
    (Ordering and cutting in SQL, a UNION of one part a slot, read the book's rows once a
    part and counted them again: slower at R-SCALE-1, see docs/performance.md.)"""
    in_days = _in_days_of_month_days(today, days)
    slotted = [(a, str(a.filter_slot).rsplit("_", 1)[1]) for a in attributes if a.filter_slot]
    others = [a for a in attributes if not a.filter_slot]
    found: list[tuple[int, str, int, str, int, dt.date]] = []
    if slotted:
        columns = [c for _a, n in slotted for c in (f"md_{n}", f"date_{n}")]
        window = reduce(operator.or_, [_window(f"md_{n}", today, days) for _a, n in slotted])
        for customer_id, name, *slots in book.filter(window).values_list(
            "customer_id", "sort_name", *columns
        ):
            for (attribute, _n), md, date in zip(slotted, slots[::2], slots[1::2], strict=True):
                if md in in_days:
                    found.append(
                        (in_days[md], name, customer_id, attribute.code, attribute.pk, date)
                    )
    if others:
        codes = {a.pk: a.code for a in others}
        values = AttributeValue.objects.filter(
            _window("month_day", today, days),
            legal_entity=legal_entity,
            attribute__in=others,
            customer_id__in=book.values("customer_id"),
            value_date__isnull=False,
        ).values_list(
            "customer_id", "customer__sort_name", "attribute_id", "value_date", "month_day"
        )
        for customer_id, name, attribute_id, date, md in values.order_by():
            if date is not None and md in in_days:
                found.append(
                    (in_days[md], name, customer_id, codes[attribute_id], attribute_id, date)
                )
    found.sort()
    return UpcomingRows(
        rows=[(c, a, d) for _k, _n, c, _code, a, d in found[:limit]],
        counts=Counter(a for *_r, a, _d in found),
    )


def _date_entry(
    customer: Customer, attribute: Attribute, date: dt.date, today: dt.date
) -> DateEntry:
    occasion = next_occasion(date, today)
    return DateEntry(
        customer=customer,
        attribute=attribute,
        date=date,
        occasion=occasion,
        in_days=(occasion - today).days,
    )


def _quiet_rows(
    book: QuerySet[Membership], *, cutoff: dt.datetime, limit: int
) -> tuple[list[tuple[int, dt.datetime | None]], int]:
    """The book's customers with no contact since ``cutoff`` (an activity; an appointment from
    when it was booked), never contacted first, then the longest ago, then by name: the first
    ``limit`` (customer id, last contact), and how many there are. Read from the card rows'
    last contact, kept by the timeline's services: two short reads of the book's contact
    index (the never contacted, then the rest in its order) and a count over it."""
    never = list(
        book.filter(last_contact__isnull=True)
        .order_by("sort_name", "customer_id")
        .values_list("customer_id", "last_contact")[:limit]
    )
    rest = limit - len(never)
    longest_ago = (
        list(
            book.filter(last_contact__lte=cutoff)
            .order_by("last_contact", "sort_name", "customer_id")
            .values_list("customer_id", "last_contact")[:rest]
        )
        if rest > 0
        else []
    )
    total = book.filter(Q(last_contact__isnull=True) | Q(last_contact__lte=cutoff)).count()
    return never + longest_ago, total


def today_page(*, actor: Worker, legal_entity: LegalEntity) -> TodayPage:
    """The associate's Today: birthdays and anniversaries of their book's customers today and
    in the next 14 days, their follow-ups due or overdue, their appointments today and in the
    next six days, and the book's customers not contacted for HQ's number of days; the first
    of each (TODAY_LIMIT, QUIET_LIMIT), with how many there are of the dates and of the quiet.
    The number of queries does not grow with the book (R-SCALE-1, docs/performance.md)."""
    scope = scope_of(actor, legal_entity)
    book_scope(scope, Operation.VIEW_OWN_BOOK)
    today = local_today(legal_entity)
    book = _book_rows(legal_entity, actor)
    attributes = [a for a in client_book_attributes(legal_entity) if a.data_type == DataType.DATE]
    upcoming = (
        upcoming_date_rows(
            legal_entity=legal_entity,
            attributes=attributes,
            book=book,
            today=today,
            days=UPCOMING_DAYS,
            limit=TODAY_LIMIT,
        )
        if attributes
        else UpcomingRows(rows=[], counts=Counter())
    )
    due = list(
        FollowUp.objects.filter(
            legal_entity=legal_entity, owner=actor, done_at__isnull=True, due__lte=today
        )
        .select_related("customer")
        .order_by("due", "id")[:TODAY_LIMIT]
    )
    start = local_midnight(legal_entity, today)
    appointments = list(
        Appointment.objects.filter(
            legal_entity=legal_entity,
            associate=actor,
            start__lt=start + dt.timedelta(days=WEEK),
            end__gt=start,
            cancelled_at__isnull=True,
        )
        .select_related("customer", "store")
        .order_by("start", "id")[:TODAY_LIMIT]
    )
    parameters = parameters_of(legal_entity)
    quiet_rows, quiet_total = _quiet_rows(
        book, cutoff=timezone.now() - dt.timedelta(days=parameters.quiet_days), limit=QUIET_LIMIT
    )
    # The entries name their customer and link to them: that is all they read of it.
    customers = Customer.objects.only("account", "first_name", "last_name").in_bulk(
        {c for c, _a, _d in upcoming.rows} | {c for c, _last in quiet_rows}
    )
    by_id = {a.pk: a for a in attributes}
    dates = [_date_entry(customers[c], by_id[a], d, today) for c, a, d in upcoming.rows]
    shown = Counter(a for _c, a, _d in upcoming.rows)
    dates_more = [
        DatesMore(
            attribute=a,
            count=upcoming.counts.get(a.pk, 0) - shown[a.pk],
            query=urlencode({f"upcoming.{a.code}": UPCOMING_DAYS}) if a.can_be_refined else "",
        )
        for a in attributes
        if upcoming.counts.get(a.pk, 0) > shown[a.pk]
    ]
    return TodayPage(
        today=today,
        dates=dates,
        follow_ups=due,
        appointments=appointments,
        quiet=[QuietEntry(customer=customers[c], last_contact=last) for c, last in quiet_rows],
        quiet_days=parameters.quiet_days,
        quiet_total=quiet_total,
        dates_total=sum(upcoming.counts.values()),
        dates_more=dates_more,
    )


# --- Appointments -------------------------------------------------------------------------


def appointments_list(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    day: dt.date | None = None,
    span: Span = "day",
    store: Store | None = None,
    associate: Worker | None = None,
) -> list[Appointment]:
    """The appointments of a day or of the week (seven days) from ``day`` (default today):
    the caller's own, or a store's (the caller works there), optionally of one associate;
    cancelled ones are not listed (the timeline keeps them)."""
    scope = scope_of(actor, legal_entity)
    require_enabled(scope)
    scope.require(Operation.READ_CUSTOMER_DETAILS)
    first = day or local_today(legal_entity)
    start = local_midnight(legal_entity, _within_calendar(first, "day"))
    end = start + dt.timedelta(days=WEEK if span == "week" else 1)
    rows = Appointment.objects.filter(
        legal_entity=legal_entity, start__lt=end, end__gt=start, cancelled_at__isnull=True
    )
    if store is not None:
        scope.require_store(store)
        rows = rows.filter(store=store)
        if associate is not None:
            rows = rows.filter(associate=associate)
    else:
        rows = rows.filter(associate=associate or actor)
    return list(rows.select_related("customer", "store", "associate__user").order_by("start", "id"))


def appointment_get(
    *, actor: Worker, legal_entity: LegalEntity, appointment_id: int
) -> Appointment:
    """An appointment of the legal entity, to a worker who may read customer details."""
    scope = scope_of(actor, legal_entity)
    found = (
        Appointment.objects.filter(legal_entity=legal_entity, pk=appointment_id)
        .select_related("customer", "store", "associate__user", "legal_entity")
        .first()
    )
    if found is None:
        raise NotFound(_("Appointment not found."), field="id")
    scope.require(Operation.READ_CUSTOMER_DETAILS)
    return found


# --- Outreach -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutreachProgress:
    outreach: Outreach
    status: str
    queued: int
    sent: int
    failed: int
    outcomes: int


def outreach_get(*, actor: Worker, legal_entity: LegalEntity, outreach_id: int) -> OutreachProgress:
    """How far an outreach got, to whoever sent it: queued, running, done or failed, with
    its counts and how many messages a purchase followed (R-OUT-2)."""
    scope_of(actor, legal_entity)
    outreach = (
        Outreach.objects.filter(legal_entity=legal_entity, pk=outreach_id)
        .select_related("job")
        .first()
    )
    if outreach is None or (outreach.sender_id != actor.pk and not actor.user.is_superuser):
        raise NotFound(_("Outreach not found."), field="id")
    counts = Counter(
        OutreachMessage.objects.filter(outreach=outreach).values_list("status", flat=True)
    )
    window = dt.timedelta(days=parameters_of(legal_entity).outcome_days)
    sent_rows = list(
        OutreachMessage.objects.filter(
            outreach=outreach, status=OutreachMessage.Status.SENT
        ).values_list("id", "sent_at", "customer_id")
    )
    outcomes = len(_purchased(sent_rows, window))
    if outreach.job is not None:
        status = outreach.job.status
    else:
        status = "done" if counts[OutreachMessage.Status.QUEUED] == 0 else "queued"
    return OutreachProgress(
        outreach=outreach,
        status=status,
        queued=counts[OutreachMessage.Status.QUEUED],
        sent=counts[OutreachMessage.Status.SENT],
        failed=counts[OutreachMessage.Status.FAILED],
        outcomes=outcomes,
    )


def first_purchase_after(message: OutreachMessage, window: dt.timedelta) -> SaleLine | None:
    """The first purchase of the message's customer within ``window`` after it was sent."""
    if message.sent_at is None:
        return None
    return (
        SaleLine.objects.filter(
            customer_id=message.customer_id,
            sold_at__gte=message.sent_at,
            sold_at__lte=message.sent_at + window,
            amount__gt=0,
        )
        .order_by("sold_at", "id")
        .first()
    )


@dataclass(frozen=True)
class OutcomeCount:
    key: str
    messages: int
    purchases: int


@dataclass(frozen=True)
class Outcomes:
    """Outreach messages sent since a day and how many a purchase followed (R-OUT-2)."""

    since: dt.date
    window_days: int
    by_associate: list[OutcomeCount]
    by_template: list[OutcomeCount]


def outreach_outcomes(
    *, actor: Worker, legal_entity: LegalEntity, since: dt.date, store: Store | None = None
) -> Outcomes:
    """Per associate and per template, the e-mails sent since ``since`` and how many were
    followed by a purchase within HQ's window: the caller's own, or (a manager, with the
    store books grant) every associate's of the store."""
    scope = scope_of(actor, legal_entity)
    require_enabled(scope)
    window_days = parameters_of(legal_entity).outcome_days
    window = dt.timedelta(days=window_days)
    messages = OutreachMessage.objects.filter(
        legal_entity=legal_entity,
        status=OutreachMessage.Status.SENT,
        sent_at__gte=local_midnight(legal_entity, _within_calendar(since, "since")),
    )
    if store is not None:
        scope.require(Operation.VIEW_STORE_BOOKS)
        scope.require_store(store)
        messages = messages.filter(outreach__store=store)
    else:
        messages = messages.filter(outreach__sender=actor)
    rows = list(
        messages.values_list(
            "id", "sent_at", "customer_id", "outreach__sender__user__username",
            "outreach__template_code",
        )
    )  # fmt: skip
    bought = _purchased(rows, window)
    by_associate: Counter[str] = Counter()
    by_template: Counter[str] = Counter()
    hits_associate: Counter[str] = Counter()
    hits_template: Counter[str] = Counter()
    for message_id, _sent, _customer, username, template in rows:
        by_associate[username] += 1
        by_template[template] += 1
        if message_id in bought:
            hits_associate[username] += 1
            hits_template[template] += 1
    return Outcomes(
        since=since,
        window_days=window_days,
        by_associate=[
            OutcomeCount(k, by_associate[k], hits_associate[k]) for k in sorted(by_associate)
        ],
        by_template=[
            OutcomeCount(k, by_template[k], hits_template[k]) for k in sorted(by_template)
        ],
    )


def _purchased(rows: Sequence[tuple[Any, ...]], window: dt.timedelta) -> set[int]:
    """The ids of the messages (id, sent at, customer, …) followed by a purchase in window."""
    if not rows:
        return set()
    by_customer: dict[int, list[tuple[int, dt.datetime]]] = {}
    for message_id, sent_at, customer_id, *_rest in rows:
        by_customer.setdefault(customer_id, []).append((message_id, sent_at))
    earliest = min(sent for _id, sent, *_r in rows)
    hits: set[int] = set()
    customer_ids = list(by_customer)
    for chunk_start in range(0, len(customer_ids), 900):
        chunk = customer_ids[chunk_start : chunk_start + 900]
        sales = SaleLine.objects.filter(
            customer_id__in=chunk, sold_at__gte=earliest, amount__gt=0
        ).values_list("customer_id", "sold_at")
        for customer_id, sold_at in sales:
            for message_id, sent_at in by_customer[customer_id]:
                if sent_at <= sold_at <= sent_at + window:
                    hits.add(message_id)
    return hits


def email_template_codes(*, legal_entity: LegalEntity) -> list[str]:
    """The codes of the legal entity's e-mail templates, for a sender to choose from."""
    return list(
        EmailTemplate.objects.filter(legal_entity=legal_entity)
        .order_by("code")
        .values_list("code", flat=True)
        .distinct()
    )


# --- Appointments recorded as activities ----------------------------------------------------


def appointments_are_booked(legal_entity: LegalEntity) -> bool:
    """While clienteling is on, an appointment is booked (R-APPT-1), which checks that the
    associate is free, and is never recorded as a plain activity of an appointment type."""
    return parameters_for(legal_entity).enabled


@dataclass(frozen=True)
class RecordableTypes:
    """What the store app's activity form offers: HQ's active activity types, less the
    appointment types when appointments are booked (``booked``) instead."""

    types: list[ActivityType]
    booked: bool


def activity_types_to_record(*, legal_entity: LegalEntity) -> RecordableTypes:
    """The activity types an associate records on the customer page (R-ACT-2, R-APPT-1)."""
    offered = timeline.activity_types(legal_entity=legal_entity)
    if not appointments_are_booked(legal_entity):
        return RecordableTypes(types=offered, booked=False)
    return RecordableTypes(types=[t for t in offered if not t.is_appointment], booked=True)
