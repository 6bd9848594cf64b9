"""Client book filters (R-BOOK-7): parsed from query parameters, checked against the refinable
attributes, and applied to the card rows through their typed filter slots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from clienteling.attributes.models import Attribute, AttributeValue, DataType
from clienteling.attributes.values import TypedValue, month_day, parse_value
from clienteling.clientbooks.facts import fact_column
from clienteling.core.errors import Invalid
from clienteling.core.text import folded
from clienteling.customers.models import phone_digits

MAX_UPCOMING_DAYS = 366
MAX_TEXT_TERMS = 5


class QueryParams(Protocol):
    """What a Django QueryDict offers: every value of a repeated key."""

    def getlist(self, key: str) -> list[str]: ...

    def get(self, key: str, default: Any = None) -> Any: ...

    def keys(self) -> Any: ...


@dataclass
class Criterion:
    """One attribute's condition: one-of values, a range, or an upcoming-date window."""

    attribute: Attribute
    one_of: list[TypedValue] = field(default_factory=list)
    minimum: TypedValue | None = None
    maximum: TypedValue | None = None
    upcoming_days: int | None = None


@dataclass
class CardFilter:
    """Everything that narrows and orders a page of cards; criteria combine with AND."""

    text: str = ""
    criteria: list[Criterion] = field(default_factory=list)
    sort: str = "name"
    sort_attribute: Attribute | None = None
    owner_username: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.criteria and not self.owner_username


SORTS = ("name", "added")


def parse_filter(
    params: QueryParams | Mapping[str, Any], attributes: Sequence[Attribute]
) -> CardFilter:
    """Read ``q``, ``attr.CODE``, ``attr.CODE.min|max``, ``upcoming.CODE`` and ``sort`` (CONTRACT.md).

    A filter on an unknown or non-refinable attribute, or a value of the wrong type, is Invalid.
    """
    by_code = {a.code: a for a in attributes}
    result = CardFilter()
    criteria: dict[str, Criterion] = {}

    def values_of(key: str) -> list[str]:
        if hasattr(params, "getlist"):
            return [v for v in params.getlist(key)]
        raw = params[key]
        return list(raw) if isinstance(raw, list | tuple) else [raw]

    def refinable(code: str, key: str) -> Attribute:
        attribute = by_code.get(code)
        if attribute is None:
            raise Invalid(
                _("%(code)s is not an attribute of the client book.") % {"code": code},
                field=key,
                rule="unknown_attribute",
            )
        if not attribute.can_be_refined:
            raise Invalid(
                _("%(name)s cannot be used to filter the client book.")
                % {"name": attribute.localized_name()},
                field=key,
                rule="not_refinable",
            )
        return attribute

    def typed(attribute: Attribute, raw: str, key: str) -> TypedValue:
        try:
            return parse_value(attribute, raw)
        except Invalid as error:
            raise Invalid(error.message, field=key, rule=error.rule) from None

    for key in list(params.keys()):
        if key == "q":
            result.text = " ".join(v.strip() for v in values_of(key) if v.strip())[:200]
        elif key == "sort":
            sort = values_of(key)[-1].strip() or "name"
            if sort in SORTS:
                result.sort = sort
            elif sort.startswith("upcoming."):
                attribute = refinable(sort.removeprefix("upcoming."), key)
                if attribute.data_type != DataType.DATE or fact_column(attribute):
                    raise Invalid(
                        _("Sorting by upcoming date needs a date attribute."),
                        field=key,
                        rule="not_a_date",
                    )
                result.sort, result.sort_attribute = "upcoming", attribute
            else:
                raise Invalid(
                    _("Sort by name, added or upcoming.CODE."), field=key, rule="allowed_values"
                )
        elif key == "owner":
            result.owner_username = values_of(key)[-1].strip() or None
        elif key.startswith("upcoming."):
            attribute = refinable(key.removeprefix("upcoming."), key)
            if fact_column(attribute):
                raise Invalid(
                    _("%(name)s is not a yearly date: filter it with %(min)s or %(max)s.")
                    % {
                        "name": attribute.localized_name(),
                        "min": f"attr.{attribute.code}.min",
                        "max": f"attr.{attribute.code}.max",
                    },
                    field=key,
                    rule="not_an_anniversary",
                )
            if attribute.data_type != DataType.DATE:
                raise Invalid(
                    _("%(name)s is not a date.") % {"name": attribute.localized_name()},
                    field=key,
                    rule="not_a_date",
                )
            raw = values_of(key)[-1].strip()
            if not raw:  # an untouched field of a submitted form
                continue
            # isascii: str.isdigit() also accepts digits such as '²' that int() refuses.
            if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_UPCOMING_DAYS:
                raise Invalid(
                    _("Give a number of days from 0 to %(max)d.") % {"max": MAX_UPCOMING_DAYS},
                    field=key,
                    rule="range",
                )
            criterion = criteria.setdefault(attribute.code, Criterion(attribute))
            criterion.upcoming_days = int(raw)
        elif key.startswith("attr."):
            code, _dot, bound = key.removeprefix("attr.").partition(".")
            attribute = refinable(code, key)
            criterion = criteria.setdefault(attribute.code, Criterion(attribute))
            raws = [v for v in values_of(key) if v.strip()]
            if not raws:
                continue
            if bound in ("min", "max"):
                if attribute.data_type not in (DataType.INTEGER, DataType.DECIMAL, DataType.DATE):
                    raise Invalid(
                        _("%(name)s has no range.") % {"name": attribute.localized_name()},
                        field=key,
                        rule="no_range",
                    )
                value = typed(attribute, raws[-1], key)
                if bound == "min":
                    criterion.minimum = value
                else:
                    criterion.maximum = value
            elif bound:
                raise Invalid(
                    _("Use attr.CODE, attr.CODE.min or attr.CODE.max."), field=key, rule="unknown"
                )
            else:
                criterion.one_of.extend(typed(attribute, raw, key) for raw in raws)
        elif key in ("cursor", "limit", "all_stores", "page"):
            continue
    result.criteria = [
        c
        for c in criteria.values()
        if c.one_of or c.minimum is not None or c.maximum is not None or c.upcoming_days is not None
    ]
    for criterion in result.criteria:
        _require_ordered_range(criterion)
    return result


def _require_ordered_range(criterion: Criterion) -> None:
    """A range whose start is after its end matches nothing: it is a mistake, named as one."""
    low, high = criterion.minimum, criterion.maximum
    inverted = (isinstance(low, Decimal) and isinstance(high, Decimal) and low > high) or (
        isinstance(low, dt.date) and isinstance(high, dt.date) and low > high
    )
    if inverted:
        raise Invalid(
            _("%(name)s: the start of the range is after its end.")
            % {"name": criterion.attribute.localized_name()},
            field=f"attr.{criterion.attribute.code}.min",
            rule="range_order",
        )


def upcoming_ranges(today: dt.date, days: int) -> list[tuple[int, int]]:
    """The month·100+day ranges of dates whose next anniversary is within ``days`` of today,
    ignoring the year. Across the new year the window is two ranges. In a year without a
    29 February, a 29 February date is celebrated on 28 February."""
    if days >= 365:
        return [(101, 1231)]
    end = today + dt.timedelta(days=days)
    start_md, end_md = month_day(today), month_day(end)
    if not _is_leap(end.year) and end_md == 228:
        end_md = 229
    if end.year == today.year:
        return [(start_md, end_md)]
    return [(start_md, 1231), (101, end_md)]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def apply_filter(queryset: QuerySet, card_filter: CardFilter, today: dt.date) -> QuerySet:
    """Narrow card rows (Membership or StoreEntry) by ``card_filter``."""
    for word in card_filter.text.split()[:MAX_TEXT_TERMS]:
        term = folded(word)
        digits = phone_digits(word)
        if digits and len(digits) >= len(word.strip("+()-. ")) - 1:
            queryset = queryset.filter(
                Q(search_text__contains=term) | Q(search_text__contains=digits)
            )
        else:
            queryset = queryset.filter(search_text__contains=term)
    for criterion in card_filter.criteria:
        queryset = queryset.filter(_criterion_q(criterion, today))
    return queryset


def _criterion_q(criterion: Criterion, today: dt.date) -> Q:
    attribute = criterion.attribute
    column = fact_column(attribute)
    if column is not None:
        condition = _value_q(criterion, today, {"value": column})
        if (
            column == "last_purchase"
            and criterion.maximum is not None
            and criterion.minimum is None
        ):
            # "No purchase since …" includes those who never bought.
            condition |= Q(last_purchase__isnull=True)
        return condition
    slot = attribute.filter_slot
    if slot is None:
        # Refinable beyond the indexed slots: answered by the values table (slower, still correct).
        return Q(
            Exists(
                AttributeValue.objects.filter(
                    customer=OuterRef("customer_id"), attribute=attribute
                ).filter(_value_q(criterion, today, _value_columns(attribute)))
            )
        )
    n = slot.rsplit("_", 1)[1]
    columns = {"value": slot, "md": f"md_{n}"}
    return _value_q(criterion, today, columns)


def _value_columns(attribute: Attribute) -> dict[str, str]:
    column = {
        DataType.TEXT: "value_text",
        DataType.INTEGER: "value_number",
        DataType.DECIMAL: "value_number",
        DataType.BOOLEAN: "value_boolean",
        DataType.DATE: "value_date",
    }[DataType(attribute.data_type)]
    return {"value": column, "md": "month_day"}


def _value_q(criterion: Criterion, today: dt.date, columns: dict[str, str]) -> Q:
    column = columns["value"]
    condition = Q()
    if criterion.one_of:
        if column.startswith("text_"):
            # Text slots hold folded values (core.text.folded), so equality ignores case and uses the index.
            condition &= Q(**{f"{column}__in": [folded(str(v)) for v in criterion.one_of]})
        elif column == "value_text":
            any_of = Q()
            for value in criterion.one_of:
                any_of |= Q(value_text__iexact=value)
            condition &= any_of
        else:
            condition &= Q(**{f"{column}__in": criterion.one_of})
    if criterion.minimum is not None:
        condition &= Q(**{f"{column}__gte": criterion.minimum})
    if criterion.maximum is not None:
        condition &= Q(**{f"{column}__lte": criterion.maximum})
    if criterion.upcoming_days is not None:
        window = Q()
        for low, high in upcoming_ranges(today, criterion.upcoming_days):
            window |= Q(**{f"{columns['md']}__gte": low, f"{columns['md']}__lte": high})
        condition &= window
    return condition
