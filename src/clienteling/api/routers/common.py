"""What every router needs: the legal entity from the path, the path and query parameters
several routers share, the documented error answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query

from clienteling.api.auth import actor_of
from clienteling.api.schemas import ACCOUNT_PATTERN, CODE_PATTERN, CURSOR_PATTERN, ErrorOut
from clienteling.core.errors import Invalid
from clienteling.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from clienteling.organization.access import Scope, scope_for_code

LegalEntityCode = Annotated[
    str,
    Path(
        pattern=CODE_PATTERN,
        max_length=8,
        description="The legal entity's code.",
        example="ITJW",
    ),
]
StoreCode = Annotated[
    str,
    Path(pattern=CODE_PATTERN, max_length=20, description="The store's code.", example="MI01"),
]
AccountPath = Annotated[
    str,
    Path(
        pattern=ACCOUNT_PATTERN,
        max_length=30,
        description="The account number.",
        example="IT000042",
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        None,
        pattern=CURSOR_PATTERN,
        description="The next_cursor of the previous page, with the same filters.",
    ),
]
Limit = Annotated[
    int,
    Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1 to 200, default 50)."),
]

# A day in a query string: ISO 8601 only (pydantic would read a number as a timestamp).
DayQuery = Annotated[
    str | None,
    Query(None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="A day, YYYY-MM-DD."),
]


def day_from(value: str | None, field: str) -> dt.date | None:
    """The day a DayQuery names; one that does not exist (2026-02-30) is a 422 naming it."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            _("%(value)s is not a day of the calendar (YYYY-MM-DD).") % {"value": value},
            field=field,
            rule="date",
        ) from None


READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
# Any request with a body may be over the upload limit (config.middleware): 413.
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 409: ErrorOut, 413: ErrorOut}


def scope_from(request: HttpRequest, le: str) -> Scope:
    """The caller acting in the legal entity ``le``, if they work for it (else not found)."""
    return scope_for_code(actor_of(request), le)
