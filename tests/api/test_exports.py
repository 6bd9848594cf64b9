"""GET /client-book/export and /stores/{store}/client-books/export (R-IO-3)."""

from __future__ import annotations

import pytest

from clienteling.organization.access import Operation
from tests.api.conftest import assert_error
from tests.dataio.test_export import (
    HEADER,
    MANY,
    as_cards,
    csv_rows,
    fill_books,
    unescaped,
    xlsx_rows,
)
from tests.factories import ASSOCIATE_OPERATIONS, WorkerFactory

pytestmark = pytest.mark.django_db

LE = "/legal-entities/ITJW"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def filled(legal_entity, store, giulia, marco):
    return fill_books(legal_entity, store, giulia, marco)


def api_cards(api, path: str, params: dict) -> list[tuple]:
    """Every card of every page the API lists, following next_cursor."""
    cards: list[tuple] = []
    cursor = None
    while True:
        response = api.get(path, {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        body = response.json()
        cards += [
            (c["account"], c["name"], c["email"], c["phone"], c["book"]["id"], c["book"]["owner"])
            for c in body["items"]
        ]
        cursor = body["next_cursor"]
        if cursor is None:
            return cards


def content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "params", [{}, {"attr.PREF_CATEGORY": "Handbags"}, {"sort": "upcoming.BIRTHDAY"}]
)
def test_book_export_is_every_page_of_the_filtered_book(as_worker, giulia, filled, params):
    """R-IO-3: the CSV has the lines of GET /client-book with the same filters, all pages."""
    api = as_worker(giulia)
    expected = api_cards(api, f"{LE}/client-book", params)

    response = api.get(f"{LE}/client-book/export", {**params, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="client-book-CB-')
    rows = unescaped(csv_rows(content(response)))
    assert rows[0] == HEADER
    assert as_cards(rows) == expected
    if not params:
        assert len(expected) == MANY - 5 > 2 * 50


def test_store_export_as_xlsx_is_the_store_view(as_worker, giulia, filled):
    """R-IO-3: the Excel file of the store's client books has the view's lines, each with
    its book and owner."""
    api = as_worker(giulia)
    params = {"owner": "marco"}
    expected = api_cards(api, f"{LE}/stores/MI01/client-books", params)

    response = api.get(f"{LE}/stores/MI01/client-books/export", {**params, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].endswith('.xlsx"')
    data = content(response)
    assert int(response["Content-Length"]) == len(data)
    rows = xlsx_rows(data)
    assert as_cards(rows) == expected
    assert {row[-1] for row in rows[1:]} == {"marco"}


def test_csv_is_the_default_format(as_worker, giulia, filled):
    """R-IO-3: without format, CSV."""
    response = as_worker(giulia).get(f"{LE}/client-book/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_another_legal_entitys_book_and_store_are_not_found(
    as_worker, giulia, rasa, other_store, filled
):
    """R-IO-3, R-ORG-1: 404, as for the pages, never a file."""
    api = as_worker(giulia)
    assert_error(api.get("/legal-entities/LTFA/client-book/export"), 404, "not_found")
    assert_error(api.get(f"{LE}/stores/VL01/client-books/export"), 404, "not_found", "store")
    assert_error(
        as_worker(rasa).get("/legal-entities/LTFA/stores/MI01/client-books/export"),
        404,
        "not_found",
    )


def test_without_the_view_grant_the_export_is_forbidden(as_worker, store, filled):
    """R-IO-3, R-PERM-2: the page's grant, named in the 403."""
    no_book = [op for op in ASSOCIATE_OPERATIONS if op is not Operation.VIEW_OWN_BOOK]
    no_store = [op for op in ASSOCIATE_OPERATIONS if op is not Operation.VIEW_STORE_BOOKS]
    error = assert_error(
        as_worker(WorkerFactory.create(stores=[store], operations=no_book)).get(
            f"{LE}/client-book/export"
        ),
        403,
        "forbidden",
    )
    assert error["details"]["operation"] == "view_own_client_book"
    error = assert_error(
        as_worker(WorkerFactory.create(stores=[store], operations=no_store)).get(
            f"{LE}/stores/MI01/client-books/export"
        ),
        403,
        "forbidden",
    )
    assert error["details"]["operation"] == "view_store_client_books"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "a\x00b"}, "q"),
        ({"attr.PREF_CATEGORY": "Hand\x00bags"}, "attr.PREF_CATEGORY"),
        ({"format": "pdf"}, "format"),
        ({"attr.RING_SIZE": "50"}, "attr.RING_SIZE"),
        ({"sort": "upcoming.PREF_CATEGORY"}, "sort"),
        ({"\u00b4": "-4.0e-73"}, "\u00b4"),
        ({"cursor": "x"}, "cursor"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_not_a_500(as_worker, giulia, filled, params, field):
    """R-IO-3, R-ERR-1: NUL in a filter, an unknown format or a bad filter answer 422."""
    for path in (f"{LE}/client-book/export", f"{LE}/stores/MI01/client-books/export"):
        error = assert_error(as_worker(giulia).get(path, params), 422, "invalid")
        assert field in (error["field"] or ""), error


def test_a_formula_in_a_name_is_escaped_in_the_download(as_worker, giulia, filled):
    """R-IO-3: CSV injection: the cell starts with an apostrophe."""
    response = as_worker(giulia).get(f"{LE}/client-book/export", {"q": filled[0].email})
    rows = csv_rows(content(response))
    assert rows[1][1].startswith("'=HYPERLINK(")
