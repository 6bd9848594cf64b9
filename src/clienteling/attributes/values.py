"""Turning raw input into a typed attribute value, or a clear refusal (R-ATTR-4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from clienteling.attributes.models import Attribute, DataType
from clienteling.core.errors import Invalid
from clienteling.core.text import folded

TypedValue = str | Decimal | dt.date | bool
TRUE_WORDS = {"true", "yes", "1", "on", "y"}
FALSE_WORDS = {"false", "no", "0", "off", "n"}
MAX_TEXT = 200
# Numbers below 10^14 in magnitude (the database columns hold 20 digits, 6 decimals).
NUMBER_DIGITS = 14


def month_day(value: dt.date) -> int:
    """A date's place in the year, ignoring the year: 14 February is 214."""
    return value.month * 100 + value.day


def _refuse(attribute: Attribute, rule: str, message: str) -> Invalid:
    return Invalid(message, field=attribute.code, rule=rule)


def parse_value(attribute: Attribute, raw: Any) -> TypedValue:
    """The typed value of ``raw`` for ``attribute``; raises Invalid naming the attribute and rule."""
    name = attribute.localized_name()
    kind = attribute.data_type
    if kind == DataType.TEXT:
        if not isinstance(raw, str):
            raise _refuse(attribute, "type", _("%(name)s must be text.") % {"name": name})
        text = raw.strip()
        if "\x00" in text:
            # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
            raise _refuse(
                attribute,
                "characters",
                _("%(name)s contains a character that is not allowed.") % {"name": name},
            )
        if len(text) > MAX_TEXT:
            raise _refuse(
                attribute,
                "max_length",
                _("%(name)s must be at most %(max)d characters.") % {"name": name, "max": MAX_TEXT},
            )
        allowed = attribute.allowed_value_list()
        if allowed:
            for choice in allowed:
                if choice.casefold() == text.casefold():
                    return choice
            raise _refuse(
                attribute,
                "allowed_values",
                _("%(name)s must be one of: %(values)s.")
                % {"name": name, "values": ", ".join(allowed)},
            )
        return text
    if kind in (DataType.INTEGER, DataType.DECIMAL):
        number = _parse_number(attribute, raw, name)
        _check_range(attribute, number, name)
        return number
    if kind == DataType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return raw.strip().lower() in TRUE_WORDS
        raise _refuse(attribute, "type", _("%(name)s must be yes or no.") % {"name": name})
    if kind == DataType.DATE:
        if isinstance(raw, dt.datetime):
            raise _refuse(
                attribute, "type", _("%(name)s must be a date (YYYY-MM-DD).") % {"name": name}
            )
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw.strip())
            except ValueError:
                pass
        raise _refuse(
            attribute, "type", _("%(name)s must be a date (YYYY-MM-DD).") % {"name": name}
        )
    raise _refuse(attribute, "type", _("%(name)s has an unknown data type.") % {"name": name})


def _parse_number(attribute: Attribute, raw: Any, name: str) -> Decimal:
    integer = attribute.data_type == DataType.INTEGER
    wrong = (
        _("%(name)s must be a whole number.") if integer else _("%(name)s must be a number.")
    ) % {"name": name}
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        raise _refuse(attribute, "type", wrong)
    try:
        number = (
            Decimal(str(raw).strip().replace(",", "."))
            if isinstance(raw, str)
            else Decimal(str(raw))
        )
    except InvalidOperation:
        raise _refuse(attribute, "type", wrong) from None
    # By the exponent, not arithmetic: abs(1e999999999) already overflows the context.
    if not number.is_finite() or (number and number.adjusted() >= NUMBER_DIGITS):
        raise _refuse(attribute, "type", wrong)
    if integer and number != number.to_integral_value():
        raise _refuse(attribute, "type", wrong)
    if number.as_tuple().exponent < -6:  # type: ignore[operator]
        raise _refuse(
            attribute, "precision", _("%(name)s allows at most 6 decimal places.") % {"name": name}
        )
    return number.quantize(Decimal(1)) if integer else number


def _check_range(attribute: Attribute, number: Decimal, name: str) -> None:
    unit = f" {attribute.unit}" if attribute.unit else ""
    if attribute.min_value is not None and number < attribute.min_value:
        raise _refuse(
            attribute,
            "min",
            _("%(name)s must be at least %(min)s%(unit)s.")
            % {"name": name, "min": _plain(attribute.min_value), "unit": unit},
        )
    if attribute.max_value is not None and number > attribute.max_value:
        raise _refuse(
            attribute,
            "max",
            _("%(name)s must be at most %(max)s%(unit)s.")
            % {"name": name, "max": _plain(attribute.max_value), "unit": unit},
        )


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def value_columns(attribute: Attribute, value: TypedValue) -> dict[str, Any]:
    """The AttributeValue columns that store ``value``; the others are cleared."""
    columns: dict[str, Any] = {
        "value_text": None,
        "value_number": None,
        "value_date": None,
        "value_boolean": None,
        "month_day": None,
    }
    kind = attribute.data_type
    if kind == DataType.TEXT:
        columns["value_text"] = value
    elif kind in (DataType.INTEGER, DataType.DECIMAL):
        columns["value_number"] = value
    elif kind == DataType.BOOLEAN:
        columns["value_boolean"] = value
    else:
        assert isinstance(value, dt.date)
        columns["value_date"] = value
        columns["month_day"] = month_day(value)
    return columns


def slot_columns(slot: str, value: TypedValue | None) -> dict[str, Any]:
    """The read-model columns of filter slot ``slot`` (``text_2``, ``date_1`` …) for ``value``."""
    family, n = slot.rsplit("_", 1)
    if family == "date":
        if value is None:
            return {slot: None, f"md_{n}": None}
        assert isinstance(value, dt.date)
        return {slot: value, f"md_{n}": month_day(value)}
    if family == "text" and isinstance(value, str):
        return {slot: folded(value)}
    return {slot: value}
