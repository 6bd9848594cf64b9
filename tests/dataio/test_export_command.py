"""``manage.py export_data KIND --legal-entity LE [--book …] [--store …] [--format …]`` (R-IO-3)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl  # type: ignore[import-untyped]
import pytest
from django.core.management import CommandError, call_command

from clienteling.clientbooks.services import customer_attributes_set
from clienteling.dataio import columns
from clienteling.timeline.services import activity_record
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db

CUSTOMER_HEADER = [*columns.CUSTOMERS.all, "book", "owner"]


def export(*args: str) -> tuple[bytes, str]:
    """Run the command; its stdout as bytes (as a shell gets them) and its stderr."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    call_command("export_data", *args, stdout=out, stderr=err)
    out.flush()
    return out.buffer.getvalue(), err.getvalue()


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.fixture
def books(legal_entity, store, giulia, marco, paolo, activity_types):
    """Giulia's book of three, Marco's of one, Paolo's (Rome) of one, and one customer in no
    book; values and activities for some."""
    customers = CustomerFactory.create_batch(6, legal_entity=legal_entity)
    book_add(giulia, *customers[:3])
    book_add(marco, customers[3])
    book_add(paolo, customers[4])
    customer_attributes_set(
        actor=giulia,
        customer=customers[0],
        values={"PREF_CATEGORY": "Shoes", "RING_SIZE": "52.5", "BIRTHDAY": "1980-02-29"},
    )
    customer_attributes_set(actor=giulia, customer=customers[4], values={"RING_SIZE": "50"})
    activity_record(
        actor=giulia,
        customer=customers[0],
        type_code="VISIT",
        subject="Came in",
        description="=1+1",
        occurred_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
        store=store,
    )
    activity_record(
        actor=marco,
        customer=customers[3],
        type_code="PHONE",
        subject="Called",
        occurred_at=dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC),
    )
    return customers


def test_customers_of_the_legal_entity_with_their_book_and_owner(legal_entity, books):
    """R-IO-3: every customer, by name; one in no book has an empty book and owner."""
    data, err = export("customers", "--legal-entity", "ITJW")
    rows = rows_of(data)

    assert rows[0] == CUSTOMER_HEADER
    by_account = {row[0]: row for row in rows[1:]}
    assert set(by_account) == {c.account for c in books}
    assert by_account[books[0].account][-1] == "giulia"
    assert by_account[books[4].account][-1] == "paolo"
    assert by_account[books[5].account][-2:] == ["", ""]
    ordered = sorted(books, key=lambda c: (c.sort_name, c.id))
    assert [row[0] for row in rows[1:]] == [c.account for c in ordered]
    assert "6/6 rows" in err
    assert not data.startswith(b"\xef\xbb\xbf")  # no byte order mark on a pipe


def test_customers_of_one_book_or_one_store(legal_entity, giulia, books):
    """R-IO-3: --book narrows to a book, --store to the store's client books view."""
    book = giulia.client_books.get()
    data, _ = export("customers", "--legal-entity", "ITJW", "--book", book.identifier)
    assert sorted(row[0] for row in rows_of(data)[1:]) == sorted(c.account for c in books[:3])
    assert {row[-2] for row in rows_of(data)[1:]} == {book.identifier}

    data, _ = export("customers", "--legal-entity", "ITJW", "--store", "MI01")
    assert sorted(row[0] for row in rows_of(data)[1:]) == sorted(c.account for c in books[:4])


def test_attribute_values_as_the_api_shows_them(legal_entity, giulia, books):
    """R-IO-3: account, attribute code, value (dates ISO, numbers plain)."""
    data, _ = export("attribute-values", "--legal-entity", "ITJW")
    rows = rows_of(data)
    assert rows[0] == list(columns.ATTRIBUTE_VALUES.all)
    assert sorted(rows[1:]) == sorted(
        [
            [books[0].account, "BIRTHDAY", "1980-02-29"],
            [books[0].account, "PREF_CATEGORY", "Shoes"],
            [books[0].account, "RING_SIZE", "52.5"],
            [books[4].account, "RING_SIZE", "50"],
        ]
    )
    book = giulia.client_books.get()
    data, _ = export("attribute-values", "--legal-entity", "ITJW", "--book", book.identifier)
    assert {row[0] for row in rows_of(data)[1:]} == {books[0].account}


def test_book_assignments(legal_entity, books):
    """R-IO-3: account and the book owner's username, as the import reads them."""
    data, _ = export("book-assignments", "--legal-entity", "ITJW")
    rows = rows_of(data)
    assert rows[0] == ["account", "worker"]
    assert sorted(rows[1:]) == sorted(
        [[c.account, "giulia"] for c in books[:3]]
        + [[books[3].account, "marco"], [books[4].account, "paolo"]]
    )
    data, _ = export("book-assignments", "--legal-entity", "ITJW", "--store", "RM01")
    assert rows_of(data)[1:] == [[books[4].account, "paolo"]]


def test_activities_in_local_time_with_a_formula_escaped(legal_entity, books):
    """R-IO-3: type code, ISO time in the legal entity's zone, worker and store; a cell a
    spreadsheet would run starts with an apostrophe."""
    data, _ = export("activities", "--legal-entity", "ITJW")
    rows = rows_of(data)
    assert rows[0] == list(columns.ACTIVITIES.all)
    assert rows[1:] == sorted(
        [
            [books[0].account, "VISIT", "2026-03-01T10:30:00+01:00", "Came in", "'=1+1", "giulia", "MI01"],
            [books[3].account, "PHONE", "2026-03-02T18:00:00+01:00", "Called", "", "marco", ""],
        ],
        key=lambda row: next(c.id for c in books if c.account == row[0]),
    )  # fmt: skip


def test_xlsx_goes_to_stdout_as_bytes(legal_entity, books):
    """R-IO-3: --format xlsx writes a workbook to the binary stdout."""
    data, _ = export("customers", "--legal-entity", "ITJW", "--format", "xlsx")
    assert data[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == CUSTOMER_HEADER
    assert len(rows) == 1 + len(books)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["customers", "--legal-entity", "NOPE"], "--legal-entity"),
        (["customers", "--legal-entity", "ITJW", "--book", "CB-999999"], "--book"),
        (["customers", "--legal-entity", "ITJW", "--store", "XX99"], "--store"),
        (["customers", "--legal-entity", "ITJW", "--format", "pdf"], "--format"),
        (["customers", "--legal-entity", "ITJW", "--book", "CB-1", "--store", "MI01"], "--store"),
    ],
)
def test_bad_arguments_name_the_option(legal_entity, store, args, option):
    """R-IO-3: a wrong option is a CommandError naming it."""
    with pytest.raises(CommandError, match=rf"^{option}:"):
        export(*args)


def test_another_legal_entitys_book_is_not_found(legal_entity, other_legal_entity, rasa):
    """R-IO-3, R-ORG-1: a book is looked for only in the legal entity given."""
    customer = CustomerFactory.create(legal_entity=other_legal_entity)
    book_add(rasa, customer)
    book = rasa.client_books.get()
    with pytest.raises(CommandError, match=r"^--book:"):
        export("customers", "--legal-entity", "ITJW", "--book", book.identifier)


def test_sales_are_not_exported(legal_entity):
    """R-IO-3: the kinds of the import, except sales (CONTRACT.md)."""
    with pytest.raises(CommandError):
        export("sales", "--legal-entity", "ITJW")
