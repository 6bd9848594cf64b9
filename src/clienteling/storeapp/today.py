"""Today as the store app shows it: each row's values and links made once in Python, so the
template only places strings. Today lists up to some 300 rows with four links each; placed
through template tags (``{% url %}``, ``|date``) the page cost more to render than to read
(docs/performance.md, "Today")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypedDict
from urllib.parse import urlencode

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.customers.models import Customer
from clienteling.engagement.selectors import TodayPage
from clienteling.storeapp.cards import customer_urls

ID = 2_147_483_647  # stands for a row's id in a reversed address, then replaced


class Row(TypedDict):
    account: str
    name: str
    url: str
    detail: str


class FollowUpRow(Row):
    subject: str
    overdue: bool
    done_url: str


class DateRow(Row):
    cue: str
    today: bool
    note_url: str
    follow_up_url: str


class AppointmentRow(Row):
    start: str  # ISO, for <time datetime>
    start_text: str
    ics_url: str
    cancel_url: str


class QuietRow(Row):
    appointment_url: str


class MoreLink(TypedDict):
    label: str
    url: str


class TodayView(TypedDict):
    day: str
    follow_ups: list[FollowUpRow]
    dates: list[DateRow]
    dates_not_shown: int
    dates_more: list[MoreLink]
    appointments: list[AppointmentRow]
    quiet: list[QuietRow]
    quiet_days: int
    quiet_total: int


def _by_id(name: str) -> Callable[[int], str]:
    """One reverse() per page for an address that differs only by a row's id."""
    prefix, suffix = reverse(name, args=[ID]).split(str(ID))
    return lambda pk: f"{prefix}{pk}{suffix}"


def _short(day: dt.date | dt.datetime) -> str:
    return str(date_filter(day, "SHORT_DATE_FORMAT"))


def today_view(page: TodayPage) -> TodayView:
    """The rows of ``page`` in the reader's language and time zone, with their links."""
    customer_url = customer_urls()
    done_url = _by_id("storeapp:follow_up_done")
    ics_url = _by_id("storeapp:appointment_ics")
    cancel_url = _by_id("storeapp:appointment_cancel")
    follow_up_new = reverse("storeapp:follow_up_new")
    appointment_new = reverse("storeapp:appointment_new")
    book = reverse("storeapp:book")

    def row(customer: Customer, detail: str) -> Row:
        return {
            "account": customer.account,
            "name": customer.display_name,
            "url": customer_url(customer.account),
            "detail": detail,
        }

    def for_account(path: str, account: str) -> str:
        return f"{path}?{urlencode({'account': account})}"

    follow_ups: list[FollowUpRow] = [
        {
            **row(f.customer, _short(f.due)),
            "subject": f.subject,
            "overdue": f.due < page.today,
            "done_url": done_url(f.pk),
        }
        for f in page.follow_ups
    ]
    dates: list[DateRow] = [
        {
            **row(e.customer, f"{e.attribute.localized_name()} {_short(e.occasion)}"),
            "cue": e.when,
            "today": e.in_days == 0,
            "note_url": f"{customer_url(e.customer.account)}#record",
            "follow_up_url": for_account(follow_up_new, e.customer.account),
        }
        for e in page.dates
    ]
    appointments: list[AppointmentRow] = []
    for a in page.appointments:
        start = timezone.localtime(a.start)
        detail = " · ".join(filter(None, [a.purpose, a.store.name if a.store else ""]))
        appointments.append(
            {
                **row(a.customer, detail),
                "start": start.isoformat(),
                "start_text": str(date_filter(start, "SHORT_DATETIME_FORMAT")),
                "ics_url": ics_url(a.pk),
                "cancel_url": cancel_url(a.pk),
            }
        )
    never, last = _("never contacted"), _("last contact")
    quiet: list[QuietRow] = [
        {
            **row(
                q.customer,
                f"{last} {_short(timezone.localtime(q.last_contact))}" if q.last_contact else never,
            ),
            "appointment_url": for_account(appointment_new, q.customer.account),
        }
        for q in page.quiet
    ]
    return {
        "day": str(date_filter(page.today, "DATE_FORMAT")),
        "follow_ups": follow_ups,
        "dates": dates,
        "dates_not_shown": page.dates_not_shown,
        "dates_more": [
            {
                "label": f"{m.attribute.localized_name()} ({m.count})",
                "url": f"{book}?{m.query}" if m.query else "",
            }
            for m in page.dates_more
        ],
        "appointments": appointments,
        "quiet": quiet,
        "quiet_days": page.quiet_days,
        "quiet_total": page.quiet_total,
    }
