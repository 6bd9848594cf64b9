"""Writing sales lines (R-SALE-1): the bulk path an import takes, in batches of thousands."""

from __future__ import annotations

import datetime as dt
import functools
import re
import sqlite3
import zoneinfo
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.clientbooks import readmodel
from clienteling.core.currency import is_currency
from clienteling.core.errors import Invalid
from clienteling.core.text import UNSAFE, is_safe_text
from clienteling.customers.selectors import customer_ids_by_account
from clienteling.organization.models import LegalEntity, Store
from clienteling.sales.models import (
    AMOUNT_DIGITS,
    AMOUNT_LIMIT,
    AMOUNT_PLACES,
    CATEGORY_LENGTH,
    MAX_INTEGER,
    PRODUCT_LENGTH,
    PRODUCT_NAME_LENGTH,
    TRANSACTION_LENGTH,
    SaleLine,
)

# The columns of a sales line as the CSV import names them (CONTRACT.md "CSV formats").
COLUMNS = (
    "transaction",
    "line",
    "account",
    "sold_at",
    "store",
    "product",
    "product_name",
    "category",
    "quantity",
    "amount",
    "currency",
)
TEXT_LENGTHS = {
    "transaction": TRANSACTION_LENGTH,
    "product": PRODUCT_LENGTH,
    "product_name": PRODUCT_NAME_LENGTH,
    "category": CATEGORY_LENGTH,
}
# Positions in COLUMNS of the values a line needs, and of the texts with a length limit.
REQUIRED = tuple(
    COLUMNS.index(name) for name in ("transaction", "line", "account", "sold_at", "amount")
)
LONGEST = tuple((COLUMNS.index(name), length) for name, length in TEXT_LENGTHS.items())
INCOMING = "sales_saleline_incoming"
WHOLE = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"([+-]?)([0-9]+)(?:\.([0-9]+))?")
DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# A till's clock may run a little ahead; a sale later than this is an error in the file.
FUTURE_SLACK = dt.timedelta(days=1)


def _required(name: str) -> Invalid:
    return Invalid(_("A value is required."), field=name, rule="required")


def _whole(raw: str, name: str, *, signed: bool) -> int:
    """A whole number from 1 (or, ``signed``, from -MAX_INTEGER) to MAX_INTEGER, never 0."""
    if not WHOLE.fullmatch(raw) or (not signed and raw.startswith("-")):
        raise Invalid(_("Enter a whole number, such as 1."), field=name, rule="format")
    # Checked on the text: int() of thousands of digits is slow, and refused beyond 4,300.
    digits = raw.lstrip("+-").lstrip("0")
    value = int(raw) if len(digits) <= 10 else MAX_INTEGER + 1
    if value == 0 and signed:
        raise Invalid(
            _("The quantity cannot be 0; a return has a negative quantity."),
            field=name,
            rule="not_zero",
        )
    if not 1 <= abs(value) <= MAX_INTEGER:
        low = -MAX_INTEGER if signed else 1
        raise Invalid(
            _("Enter a whole number from %(min)d to %(max)d.") % {"min": low, "max": MAX_INTEGER},
            field=name,
            rule="range",
        )
    return value


def _amount(raw: str) -> Decimal:
    match = NUMBER.fullmatch(raw)
    if match is None:
        raise Invalid(
            _("Enter an amount such as 1250.00 or -80.50 (a point before the cents)."),
            field="amount",
            rule="format",
        )
    sign, whole, cents = match.groups()
    if len(whole.lstrip("0")) > AMOUNT_DIGITS - AMOUNT_PLACES:
        raise Invalid(
            _("The amount must be less than %(limit)s in size.") % {"limit": f"{AMOUNT_LIMIT:,}"},
            field="amount",
            rule="range",
        )
    cents = (cents or "").rstrip("0")
    if len(cents) > AMOUNT_PLACES:
        raise Invalid(
            _("An amount has at most two digits after the point."),
            field="amount",
            rule="decimal_places",
        )
    try:
        return Decimal(f"{sign}{whole}.{cents or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise Invalid(_("Enter an amount."), field="amount", rule="format") from None


def _moment(raw: str, zone: zoneinfo.ZoneInfo, latest: dt.datetime) -> dt.datetime:
    """An ISO 8601 date (local midnight) or date-time (local time without an offset), from
    1970 to ``latest``."""
    moment = _parsed_moment(raw, zone)
    if moment < EARLIEST:
        raise Invalid(_("The sale cannot be before 1970."), field="sold_at", rule="range")
    if moment > latest:
        raise Invalid(_("The sale cannot be in the future."), field="sold_at", rule="not_future")
    return moment


# A file's lines share few dates and times: each is read once.
@functools.lru_cache(maxsize=4096)
def _parsed_moment(raw: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    try:
        if DATE_ONLY.fullmatch(raw):
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
        else:
            moment = dt.datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
            moment = moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise Invalid(
            _("Enter a date (2025-03-31) or a date and time (2025-03-31T16:45:00+02:00)."),
            field="sold_at",
            rule="format",
        ) from None
    return moment


def _line(
    row: Mapping[str, str],
    *,
    legal_entity: LegalEntity,
    customers: Mapping[str, int],
    stores: Mapping[str, int],
    zone: zoneinfo.ZoneInfo,
    latest: dt.datetime,
) -> Line:
    """One row checked and turned into a line; Invalid names the first column at fault."""
    values = [(row.get(name) or "").strip() for name in COLUMNS]
    if UNSAFE.search("".join(values)):
        name = next(n for n, v in zip(COLUMNS, values, strict=True) if not is_safe_text(v))
        raise Invalid(
            _("Contains a control character, which is not allowed."),
            field=name,
            rule="control_character",
        )
    (
        transaction,
        line,
        account,
        sold_at,
        store,
        product,
        product_name,
        category,
        quantity,
        amount,
        currency,
    ) = values
    for index in REQUIRED:
        if not values[index]:
            raise _required(COLUMNS[index])
    for index, longest in LONGEST:
        if len(values[index]) > longest:
            raise Invalid(
                _("At most %(max)d characters.") % {"max": longest},
                field=COLUMNS[index],
                rule="max_length",
            )
    number = _whole(line, "line", signed=False)
    customer_id = customers.get(account)
    if customer_id is None:
        raise Invalid(
            _("Customer %(account)s not found in %(le)s.")
            % {"account": account, "le": legal_entity.code},
            field="account",
            rule="unknown",
        )
    moment = _moment(sold_at, zone, latest)
    store_id = None
    if store:
        store_id = stores.get(store)
        if store_id is None:
            raise Invalid(
                _("Store %(code)s not found in %(le)s.") % {"code": store, "le": legal_entity.code},
                field="store",
                rule="unknown",
            )
    code = currency.upper() or legal_entity.currency
    if not is_currency(code):
        raise Invalid(
            _("%(code)s is not an ISO 4217 currency code, such as EUR.") % {"code": currency},
            field="currency",
            rule="iso_4217",
        )
    return Line(
        legal_entity.pk,
        transaction,
        number,
        customer_id,
        moment,
        store_id,
        product,
        product_name,
        category,
        _whole(quantity, "quantity", signed=True) if quantity else 1,
        _amount(amount),
        code,
    )


class Line(NamedTuple):
    """A checked sales line, as its columns are written."""

    legal_entity_id: int
    transaction: str
    line: int
    customer_id: int
    sold_at: dt.datetime
    store_id: int | None
    product: str
    product_name: str
    category: str
    quantity: int
    amount: Decimal
    currency: str


WRITTEN = Line._fields
KEY = ("legal_entity_id", "transaction", "line")


def _write(lines: Sequence[Line]) -> set[int]:
    """Insert the lines, replacing those already there with the same key; returns the
    customers whose lines were added or changed (a line sent again unchanged is not written).

    The statement is the INSERT … ON CONFLICT DO UPDATE of Django's ``bulk_create(
    update_conflicts=True)``, written here because bulk_create's work per field in Python
    kept it under half the rate an import needs (6,000 to 10,000 lines a second of 20,000).
    On PostgreSQL the rows are first COPYed into a temporary table: binding thousands of
    placeholders cost psycopg more than the insert itself."""
    quote = connection.ops.quote_name
    table = quote(SaleLine._meta.db_table)
    updated = [name for name in WRITTEN if name not in KEY]
    postgresql = connection.vendor == "postgresql"
    tail = (
        f" ON CONFLICT ({', '.join(map(quote, KEY))}) DO UPDATE SET "
        + ", ".join(f"{quote(n)} = EXCLUDED.{quote(n)}" for n in updated)
        + f" WHERE ({', '.join(f'{table}.{quote(n)}' for n in updated)})"
        + (" IS DISTINCT FROM " if postgresql else " IS NOT ")
        + f"({', '.join(f'EXCLUDED.{quote(n)}' for n in updated)})"
        + f" RETURNING {quote('customer_id')}"
    )
    head = f"INSERT INTO {table} ({', '.join(map(quote, WRITTEN))}) "
    customers: set[int] = set()
    with connection.cursor() as cursor:
        if postgresql:
            by_name = {field.attname: field for field in SaleLine._meta.concrete_fields}
            fields = [by_name[name] for name in WRITTEN]
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {INCOMING} ("
                + ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
                + ") ON COMMIT DELETE ROWS"
            )
            cursor.execute(f"TRUNCATE {INCOMING}")
            with cursor.cursor.copy(
                f"COPY {INCOMING} ({', '.join(map(quote, WRITTEN))}) FROM STDIN"
            ) as copy:
                for line in lines:
                    copy.write_row(line)
            cursor.execute(f"{head}SELECT * FROM {INCOMING}{tail}")
            customers.update(customer_id for (customer_id,) in cursor.fetchall())
            return customers
        adapt = connection.ops.adapt_datetimefield_value
        # The lines of a file share few moments (and _moment hands out one object each).
        adapted: dict[dt.datetime, Any] = {}
        rows = [
            (
                *line[:4],
                adapted.get(line.sold_at) or adapted.setdefault(line.sold_at, adapt(line.sold_at)),
                *line[5:],
            )
            for line in lines
        ]
        marks = "(" + ", ".join(["?"] * len(WRITTEN)) + ")"
        # As many rows a statement as this SQLite takes parameters (999 before 3.32, 32,766
        # since): each statement costs its own planning and RETURNING.
        size = _sqlite_parameters() // len(WRITTEN)
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            # Written with SQLite's own placeholders and run on its cursor: Django's wrapper
            # rewrites every %s of a statement with a regular expression: for a batch's 30,000,
            # 5 % of the import's time.
            with connection.wrap_database_errors:
                found = sqlite3.Cursor.execute(
                    cursor.cursor,
                    head + "VALUES " + ", ".join([marks] * len(chunk)) + tail,
                    [value for row in chunk for value in row],
                ).fetchall()
            customers.update(customer_id for (customer_id,) in found)
    return customers


def _sqlite_parameters() -> int:
    connection.ensure_connection()
    return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


@db_transaction.atomic
def sales_upsert(
    *, legal_entity: LegalEntity, lines: Sequence[Mapping[str, str]]
) -> dict[int, Invalid]:
    """Check and write sales lines given as text by the import's column names (R-SALE-1).

    A line is identified by (transaction, line) in its legal entity: one already there is
    replaced, so a file sent twice changes nothing, and of two rows for one line the later
    wins. A row that breaks a rule (a missing or malformed value, a customer or store not of
    this legal entity, a sale in the future, a currency that is not ISO 4217, a quantity of
    0) is refused, by its index in ``lines``, with the column and the reason; the others are
    written, all in one transaction, with the purchase facts of the customers' cards
    (R-SALE-3). Dates without an offset are the legal entity's local time; a date alone is
    its midnight.
    """
    accepted, refused = sales_check(legal_entity=legal_entity, lines=lines)
    sales_write(legal_entity=legal_entity, accepted=accepted)
    return refused


def sales_check(
    *, legal_entity: LegalEntity, lines: Sequence[Mapping[str, str]]
) -> tuple[list[Line], dict[int, Invalid]]:
    """The first half of ``sales_upsert``, which writes nothing: the lines that pass its
    rules, in the order they are to be written, and the refused ones by index. An import
    checks its next batch while the previous one is written (``sales_write``)."""
    refused: dict[int, Invalid] = {}
    if not lines:
        return [], refused
    accounts = {(row.get("account") or "").strip() for row in lines} - {""}
    customers = customer_ids_by_account(legal_entity, accounts)
    stores = dict(Store.objects.filter(legal_entity=legal_entity).values_list("code", "id"))
    zone = zoneinfo.ZoneInfo(legal_entity.time_zone)
    latest = timezone.now() + FUTURE_SLACK
    accepted: dict[tuple[str, int], Line] = {}
    for index, row in enumerate(lines):
        try:
            sale = _line(
                row,
                legal_entity=legal_entity,
                customers=customers,
                stores=stores,
                zone=zone,
                latest=latest,
            )
        except Invalid as error:
            refused[index] = error
            continue
        # The later row wins (and is written in its own place in the order).
        accepted.pop((sale.transaction, sale.line), None)
        accepted[(sale.transaction, sale.line)] = sale
    # In customer order: the foreign-key checks and the customer index then go through the
    # customers in the order they are stored.
    return sorted(accepted.values(), key=attrgetter("customer_id")), refused


@db_transaction.atomic
def sales_write(*, legal_entity: LegalEntity, accepted: Sequence[Line]) -> None:
    """Write lines that ``sales_check`` accepted, with the purchase facts of the customers'
    cards (R-SALE-3), in one transaction. A customer deleted since the check fails it with
    an IntegrityError (the lines' foreign key), and nothing is written."""
    if accepted:
        changed = _write(accepted)
        readmodel.refresh_purchase_facts(legal_entity=legal_entity, customer_ids=sorted(changed))
