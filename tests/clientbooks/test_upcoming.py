"""The upcoming-date rule, checked against a day-by-day reference (R-BOOK-7).

The documented rule (filters.upcoming_ranges): a date falls in "the next N days" when its
month and day occur on one of the N+1 calendar days from today, whatever its year; a
29 February date is celebrated on 29 February in leap years and on 28 February otherwise.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from clienteling.attributes.values import month_day
from clienteling.clientbooks import selectors
from clienteling.clientbooks.filters import upcoming_ranges
from clienteling.organization.models import LegalEntity


def celebrated_on(birth: dt.date, year: int) -> dt.date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return dt.date(year, 2, 28)


def reference_in_window(birth: dt.date, today: dt.date, days: int) -> bool:
    end = today + dt.timedelta(days=days)
    return any(
        today <= celebrated_on(birth, year) <= end for year in range(today.year, end.year + 1)
    )


def in_ranges(birth: dt.date, ranges: list[tuple[int, int]]) -> bool:
    md = month_day(birth)
    return any(low <= md <= high for low, high in ranges)


@given(
    today=st.dates(dt.date(2020, 1, 1), dt.date(2040, 12, 31)),
    days=st.integers(min_value=0, max_value=366),
    birth=st.dates(dt.date(1920, 1, 1), dt.date(2019, 12, 31)),
)
def test_upcoming_ranges_agree_with_the_calendar(today, days, birth):
    """R-BOOK-7: the month-day ranges include exactly the dates a calendar walk finds."""
    assert in_ranges(birth, upcoming_ranges(today, days)) == reference_in_window(birth, today, days)


@pytest.mark.parametrize(
    ("today", "days"),
    [
        (dt.date(2027, 2, 28), 0),
        (dt.date(2027, 1, 1), 58),
        (dt.date(2026, 12, 31), 59),
        (dt.date(2026, 3, 1), 364),
    ],
)
def test_29_february_is_due_on_28_february_in_a_non_leap_year(today, days):
    """R-BOOK-7: windows that end on a non-leap 28 February include 29 February dates."""
    assert in_ranges(dt.date(1984, 2, 29), upcoming_ranges(today, days))


def test_29_february_is_not_due_on_28_february_in_a_leap_year():
    """R-BOOK-7: in a leap year it waits for 29 February."""
    assert not in_ranges(dt.date(1984, 2, 29), upcoming_ranges(dt.date(2028, 2, 1), 27))


def test_today_is_the_legal_entitys_local_date(monkeypatch):
    """R-BOOK-7: 'today' for upcoming dates is the date in the legal entity's time zone."""
    instant = dt.datetime(2026, 12, 31, 20, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    monkeypatch.setattr(timezone, "now", lambda: instant)

    assert selectors.local_today(LegalEntity(time_zone="Europe/Rome")) == dt.date(2026, 12, 31)
    assert selectors.local_today(LegalEntity(time_zone="Pacific/Kiritimati")) == dt.date(2027, 1, 1)
