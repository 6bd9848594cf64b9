"""Keyset (cursor) pagination: a page continues after the last row's sort key, never by OFFSET.

``keyset_page`` pages a queryset. The customer timeline pages a UNION of three tables, which
cannot be filtered after the union, so it applies the cursor to each part itself
(timeline/selectors.py) with the same cursor encoding."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from clienteling.core.errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

RowT = TypeVar("RowT", bound=Model)


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset ordering; ``kind`` says how its cursor value is decoded."""

    name: str
    kind: type = str
    descending: bool = False

    @property
    def order_by(self) -> str:
        return f"-{self.name}" if self.descending else self.name


def page_limit(raw: Any) -> int:
    """The page size asked for: 1 to MAX_LIMIT, DEFAULT_LIMIT when absent."""
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(
            _("limit must be a whole number from 1 to %(max)d.") % {"max": MAX_LIMIT},
            field="limit",
            rule="range",
        )
    return limit


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The sort-key values a cursor carries, checked against the ordering they must fit."""
    invalid = Invalid(_("The cursor is not valid for this list."), field="cursor", rule="format")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(values, list) or len(values) != len(keys):
        raise invalid
    decoded: list[Any] = []
    for key, value in zip(keys, values, strict=True):
        try:
            if key.kind is dt.datetime:
                moment = dt.datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError
                # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
                decoded.append(moment.astimezone(dt.UTC))
            elif key.kind is int:
                # Beyond 64 bits the databases cannot compare it (SQLite raises OverflowError).
                if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
                    raise ValueError
                decoded.append(value)
            else:
                # A forged cursor could carry NUL, which PostgreSQL text cannot hold.
                if not isinstance(value, str) or "\x00" in value:
                    raise ValueError
                decoded.append(value)
        except (TypeError, ValueError, OverflowError):
            raise invalid from None
    return decoded


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in the ordering ``keys``. The leading key also gets a
    plain bound so the database can start the index scan there."""
    first = keys[0]
    bound = Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": values[0]})
    condition = Q()
    for i in range(len(keys) - 1, -1, -1):
        key = keys[i]
        step = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": values[i]})
        condition = step if i == len(keys) - 1 else step | (Q(**{key.name: values[i]}) & condition)
    return bound & condition


@dataclass(frozen=True)
class KeysetPage(Generic[RowT]):
    """At most ``limit`` rows, and the cursor of the next page (None on the last one)."""

    rows: list[RowT]
    next_cursor: str | None


def keyset_page(
    rows: QuerySet[RowT], *, keys: Sequence[SortKey], cursor: str | None, limit: int
) -> KeysetPage[RowT]:
    """The page of ``rows`` in the order ``keys`` that starts after ``cursor`` (from the
    first row without one). The rows must carry every key as an attribute (a field or an
    annotation), or as a key of a ``values()`` row; one query reads ``limit`` + 1 rows to
    know whether another page follows."""
    if cursor:
        rows = rows.filter(_after(keys, decode_cursor(cursor, keys)))
    page = list(rows.order_by(*[key.order_by for key in keys])[: limit + 1])
    if len(page) <= limit:
        return KeysetPage(page, None)
    page = page[:limit]
    last = page[-1]
    if isinstance(last, dict):
        return KeysetPage(page, encode_cursor([last[key.name] for key in keys]))
    return KeysetPage(page, encode_cursor([getattr(last, key.name) for key in keys]))
