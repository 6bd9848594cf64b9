"""What the filter panel and the attribute form show, and the parsing of form fields that are
not plain text, built from the client book attributes."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.http import QueryDict
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from clienteling.attributes.models import Attribute, ChoiceOption, DataType
from clienteling.clientbooks.facts import fact_column
from clienteling.clientbooks.selectors import AttributeReading
from clienteling.core.errors import Invalid

UPCOMING_CHOICES = (7, 14, 30, 60, 90)

# Which control the filter panel draws for an attribute (see _filters.html).
FilterKind = Literal["list", "text", "number", "date", "boolean"]


@dataclass
class FilterControl:
    """One refinable attribute in the filter panel, with what the URL currently asks."""

    attribute: Attribute
    kind: FilterKind
    selected: list[str] = field(default_factory=list)
    value: str = ""
    minimum: str = ""
    maximum: str = ""
    upcoming: str = ""
    # Each the stored value, with ``.label`` in the reader's language (R-UX-2).
    choices: list[ChoiceOption] = field(default_factory=list)
    # A date that comes round every year (a birthday), not a purchase fact (R-SALE-3).
    anniversary: bool = False

    @property
    def code(self) -> str:
        return self.attribute.code

    @property
    def label(self) -> str:
        return self.attribute.localized_name()

    @property
    def active(self) -> bool:
        return bool(self.selected or self.value or self.minimum or self.maximum or self.upcoming)

    @property
    def date_hint(self) -> str:
        return date_pattern()


@dataclass
class FilterPanel:
    q: str
    sort: str
    controls: list[FilterControl]
    sorts: list[tuple[str, str]]
    upcoming_choices: tuple[int, ...] = UPCOMING_CHOICES
    owner: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.owner or any(c.active for c in self.controls))

    @property
    def upcoming_days(self) -> list[int]:
        """The windows of the coming-date filters set, in days."""
        return [
            int(c.upcoming) for c in self.controls if c.upcoming.isascii() and c.upcoming.isdigit()
        ]

    @property
    def active_count(self) -> int:
        """How many filters narrow the page: the text, the associate, each attribute."""
        return int(bool(self.q)) + int(bool(self.owner)) + sum(c.active for c in self.controls)


def filter_panel(attributes: list[Attribute], params: QueryDict) -> FilterPanel:
    controls = []
    sorts = [
        ("", _("Suggested")),
        ("name", _("Name")),
        ("added", _("Recently added")),
    ]
    for attribute in attributes:
        if not attribute.can_be_refined:
            continue
        code = attribute.code
        kinds: dict[DataType, FilterKind] = {
            DataType.TEXT: "list" if attribute.allowed_value_list() else "text",
            DataType.INTEGER: "number",
            DataType.DECIMAL: "number",
            DataType.DATE: "date",
            DataType.BOOLEAN: "boolean",
        }
        kind = kinds[DataType(attribute.data_type)]
        values = params.getlist(f"attr.{code}")
        controls.append(
            FilterControl(
                attribute=attribute,
                kind=kind,
                selected=values if kind == "list" else [],
                value=values[-1] if values and kind in ("text", "boolean") else "",
                minimum=shown_date(params.get(f"attr.{code}.min", ""), kind),
                maximum=shown_date(params.get(f"attr.{code}.max", ""), kind),
                upcoming=params.get(f"upcoming.{code}", ""),
                choices=attribute.allowed_choices() if kind == "list" else [],
                anniversary=kind == "date" and fact_column(attribute) is None,
            )
        )
        if controls[-1].anniversary:
            sorts.append(
                (f"upcoming.{code}", _("Upcoming %(name)s") % {"name": attribute.localized_name()})
            )
    return FilterPanel(
        q=params.get("q", ""),
        sort=params.get("sort", ""),
        controls=controls,
        sorts=sorts,
        owner=params.get("owner", ""),
    )


@dataclass
class AttributeField:
    """One attribute on the customer's form, with its value and any error beside it."""

    attribute: Attribute
    value: Any
    text: str
    error: str = ""

    @property
    def code(self) -> str:
        return self.attribute.code

    @property
    def label(self) -> str:
        return self.attribute.localized_name()

    @property
    def is_date(self) -> bool:
        return self.attribute.data_type == DataType.DATE

    @property
    def date_hint(self) -> str:
        return date_pattern()

    @property
    def input_type(self) -> str:
        # Dates are typed as text in the app's language (date_text), not the device's.
        return {
            DataType.INTEGER: "number",
            DataType.DECIMAL: "number",
        }.get(DataType(self.attribute.data_type), "text")

    @property
    def step(self) -> str:
        return "1" if self.attribute.data_type == DataType.INTEGER else "any"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def attribute_fields(
    readings: list[AttributeReading],
    submitted: dict[str, str] | None,
    error: Invalid | None,
) -> list[AttributeField]:
    """The customer's attribute form: stored values, or what was typed when saving failed."""
    fields = []
    for reading in readings:
        code = reading.attribute.code
        text = submitted.get(code, "") if submitted is not None else _as_text(reading.value)
        message = str(error.message) if error is not None and error.field == code else ""
        # An allowed value carries its label, which display_value shows (R-UX-2).
        value = reading.attribute.value_option(reading.value)
        fields.append(AttributeField(reading.attribute, value, text, message))
    return fields


def local_datetime(raw: str, *, time_zone: str, field_name: str) -> dt.datetime | None:
    """A date and time typed in the app's language (``24/11/2026 15:30`` in Italian) or as
    ISO 8601 (``2026-11-24T15:30``), read in the legal entity's time zone."""
    text = " ".join((raw or "").split())
    if not text:
        return None
    naive = _parsed(text, [*get_format("DATETIME_INPUT_FORMATS"), *DATETIME_FALLBACKS])
    if naive is None:
        try:
            naive = dt.datetime.fromisoformat(text)
        except ValueError:
            example = dt.datetime(2026, 11, 24, 15, 30)
            raise Invalid(
                _("Enter a date and time such as %(example)s.")
                % {"example": datetime_text(example)},
                field=field_name,
                rule="format",
            ) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(time_zone))


# ISO 8601 is always understood, whatever the language: URLs and scripts use it.
DATE_FALLBACKS = ("%Y-%m-%d",)
DATETIME_FALLBACKS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")


def _parsed(text: str, formats: list[str]) -> dt.datetime | None:
    for pattern in formats:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _date_format() -> str:
    """How a date is typed in the active language: its first input format."""
    return str(get_format("DATE_INPUT_FORMATS")[0])


def _datetime_format() -> str:
    """How a date and time is typed in the active language: its first input format to the
    minute."""
    formats = [str(f) for f in get_format("DATETIME_INPUT_FORMATS")]
    return next((f for f in formats if "%S" not in f and "%H" in f), "%Y-%m-%d %H:%M")


def date_text(value: dt.date) -> str:
    """A date as it is typed in the active language (``24/11/2026`` in Italian)."""
    return value.strftime(_date_format())


def datetime_text(value: dt.datetime) -> str:
    """A date and time as it is typed in the active language (``24/11/2026 15:30``)."""
    return value.strftime(_datetime_format())


def date_pattern() -> str:
    """The shape of a date in the active language for a hint beside the field (dd/mm/yyyy)."""
    parts = {"%d": _("dd"), "%m": _("mm"), "%Y": _("yyyy"), "%y": _("yy")}
    pattern = _date_format()
    for code, shown in parts.items():
        pattern = pattern.replace(code, str(shown))
    return pattern


def datetime_pattern() -> str:
    """The shape of a date and time in the active language (dd/mm/yyyy hh:mm)."""
    parts = {"%d": _("dd"), "%m": _("mm"), "%Y": _("yyyy"), "%y": _("yy")}
    parts |= {"%H": _("hh"), "%M": _("mm")}
    pattern = _datetime_format()
    for code, shown in parts.items():
        pattern = pattern.replace(code, str(shown))
    return pattern


def typed_date(raw: str) -> dt.date | None:
    """A date typed in the active language's format, or ISO 8601; None if it is neither."""
    text = (raw or "").strip()
    if not text:
        return None
    found = _parsed(text, [*get_format("DATE_INPUT_FORMATS"), *DATE_FALLBACKS])
    return found.date() if found else None


def iso_date(raw: str) -> str:
    """A date typed in the active language as ISO 8601 for the services and filters, which
    read dates that way (CONTRACT.md); anything else is passed on as typed, for the
    service to refuse with its own message naming the field."""
    found = typed_date(raw)
    return found.isoformat() if found else raw


def shown_date(raw: str, kind: str) -> str:
    """A date range bound from the URL (ISO or typed) as the active language writes it."""
    if kind != "date":
        return raw
    found = typed_date(raw)
    return date_text(found) if found else raw


def card_params(params: QueryDict, *, suggested_sort: str | None = None) -> QueryDict:
    """The filter parameters a page of cards is asked with, dates read in the app's language
    and sent on as ISO 8601; with ``suggested_sort`` when no order was chosen."""
    result = params.copy()
    for key in list(result.keys()):
        if key.startswith("attr.") and key.endswith((".min", ".max")):
            result.setlist(key, [iso_date(v) for v in result.getlist(key)])
    if suggested_sort:
        result["sort"] = suggested_sort
    return result


def attribute_input(values: dict[str, str], date_codes: set[str]) -> dict[str, str]:
    """The attribute form's values for the service: its dates, typed in the app's language,
    as ISO 8601; a date in neither that format nor ISO is refused naming the field."""
    result = {}
    for code, text in values.items():
        if code in date_codes and text.strip():
            found = typed_date(text)
            if found is None:
                raise Invalid(
                    _("Enter a date such as %(example)s.")
                    % {"example": date_text(dt.date(2026, 11, 24))},
                    field=code,
                    rule="format",
                )
            text = found.isoformat()
        result[code] = text
    return result


def whole_number(raw: str, *, field_name: str, message: str) -> int | None:
    """A whole number typed in a form field; empty is None, anything else is ``message``."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid(message, field=field_name, rule="format") from None
