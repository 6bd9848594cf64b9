"""What the filter panel and the attribute form show, and the parsing of form fields that are
not plain text, built from the client book attributes."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.http import QueryDict
from django.utils.translation import gettext as _

from clienteling.attributes.models import Attribute, DataType
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
    choices: list[str] = field(default_factory=list)
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


def filter_panel(attributes: list[Attribute], params: QueryDict) -> FilterPanel:
    controls = []
    sorts = [("name", _("Name")), ("added", _("Recently added"))]
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
                minimum=params.get(f"attr.{code}.min", ""),
                maximum=params.get(f"attr.{code}.max", ""),
                upcoming=params.get(f"upcoming.{code}", ""),
                choices=attribute.allowed_value_list() if kind == "list" else [],
                anniversary=kind == "date" and fact_column(attribute) is None,
            )
        )
        if controls[-1].anniversary:
            sorts.append(
                (f"upcoming.{code}", _("Upcoming %(name)s") % {"name": attribute.localized_name()})
            )
    return FilterPanel(
        q=params.get("q", ""),
        sort=params.get("sort", "name"),
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
    def input_type(self) -> str:
        return {
            DataType.DATE: "date",
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
        return value.isoformat()
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
        fields.append(AttributeField(reading.attribute, reading.value, text, message))
    return fields


def local_datetime(raw: str, *, time_zone: str, field_name: str) -> dt.datetime | None:
    """A ``datetime-local`` input (``2026-11-24T15:30``) read in the legal entity's time zone."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        naive = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            _("Enter a date and time such as 2026-11-24 15:30."),
            field=field_name,
            rule="format",
        ) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(time_zone))


def whole_number(raw: str, *, field_name: str, message: str) -> int | None:
    """A whole number typed in a form field; empty is None, anything else is ``message``."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid(message, field=field_name, rule="format") from None
