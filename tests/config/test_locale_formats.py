"""R-UX-2: dates, times and numbers follow the language's conventions: English as written in
Europe, Italian, Lithuanian; and a date input reads back what it shows, and ISO 8601."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.utils import formats, translation

NBSP = "\u00a0"
EVENING = dt.datetime(2026, 11, 30, 19, 16)
BIRTH = dt.date(1989, 12, 1)
LANGUAGES = ("en", "it", "lt")


def shown(language: str, value: dt.date | dt.datetime, format_name: str) -> str:
    with translation.override(language):
        return str(formats.date_format(value, format_name))


def test_english_writes_day_month_year_and_a_24_hour_clock():
    """R-UX-2: 30 Nov 2026 19:16, not Nov. 30, 2026, 7:16 p.m."""
    assert shown("en", EVENING, "DATETIME_FORMAT") == "30 Nov 2026 19:16"
    assert shown("en", EVENING.date(), "DATE_FORMAT") == "30 Nov 2026"
    assert shown("en", EVENING, "SHORT_DATETIME_FORMAT") == "30/11/2026 19:16"
    with translation.override("en"):
        assert formats.time_format(EVENING.time(), "TIME_FORMAT") == "19:16"


def test_italian_writes_the_month_in_lower_case_and_the_day_without_a_zero():
    """R-UX-2: "1 dicembre 1989", not "01 Dicembre 1989"."""
    assert shown("it", BIRTH, "DATE_FORMAT") == "1 dicembre 1989"
    assert shown("it", EVENING, "DATETIME_FORMAT") == "30 novembre 2026 19:16"
    assert shown("it", BIRTH, "SHORT_DATE_FORMAT") == "01/12/1989"


def test_a_lithuanian_date_is_held_together_by_no_break_spaces():
    """R-UX-2: "1989 m. gruodžio 1 d." never wraps between its parts."""
    date = shown("lt", BIRTH, "DATE_FORMAT")

    assert date == f"1989{NBSP}m.{NBSP}gruodžio{NBSP}1{NBSP}d."
    assert " " not in date
    assert shown("lt", EVENING, "DATETIME_FORMAT").endswith(f"30{NBSP}d. 19:16")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "1,250.5"), ("it", "1.250,5"), ("lt", f"1{NBSP}250,5")],
)
def test_numbers_use_the_languages_decimal_mark_and_grouping(language, expected):
    """R-UX-2: the decimal mark and thousands grouping of each language."""
    with translation.override(language):
        text = formats.number_format(Decimal("1250.5"), use_l10n=True, force_grouping=True)

    assert text == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_date_input_reads_back_the_date_it_shows_and_iso(language):
    """R-UX-2: the first DATE_INPUT_FORMATS entry is how a date input shows a date; that text
    and ISO 8601 both read back as the date."""
    with translation.override(language):
        input_formats = formats.get_format("DATE_INPUT_FORMATS")
        field = forms.DateField()
        displayed = BIRTH.strftime(input_formats[0])
        read_back = field.clean(displayed)
        read_iso = field.clean("1989-12-01")
        short = formats.date_format(BIRTH, "SHORT_DATE_FORMAT")

    assert read_back == BIRTH
    assert read_iso == BIRTH
    assert displayed == short, "the input shows the date as the short format does"


def test_day_first_is_never_read_as_month_first_in_english():
    """R-UX-2: 01/12/1989 is 1 December in Europe, not 12 January."""
    with translation.override("en"):
        assert forms.DateField().clean("01/12/1989") == BIRTH


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_date_and_time_input_reads_iso_and_the_short_format(language):
    """R-UX-2: a date and time typed as the app shows it in short, or as ISO 8601."""
    with translation.override(language):
        field = forms.DateTimeField()
        short = formats.date_format(EVENING, "SHORT_DATETIME_FORMAT")
        assert field.clean(short).replace(tzinfo=None) == EVENING
        assert field.clean("2026-11-30 19:16").replace(tzinfo=None) == EVENING
