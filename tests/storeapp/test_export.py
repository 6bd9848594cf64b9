"""The store app's Export control on the client book and store client books pages (R-IO-3)."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from clienteling.organization.access import Operation
from tests.dataio.test_export import (
    HEADER,
    MANY,
    as_cards,
    card_tuples,
    csv_rows,
    fill_books,
    page_cards,
    unescaped,
    xlsx_rows,
)
from tests.factories import ASSOCIATE_OPERATIONS, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(legal_entity, store, giulia, marco):
    return fill_books(legal_entity, store, giulia, marco)


@pytest.fixture
def logged_in(client, giulia):
    client.force_login(giulia.user)
    return client


def export_links(body: str) -> dict[str, str]:
    """The export control's links, by format."""
    block = re.search(r'<p class="bulk export" data-testid="export">(.*?)</p>', body, re.S)
    assert block, "no export control"
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', block.group(1))]
    return {re.search(r"format=(\w+)$", link).group(1): link for link in links}  # type: ignore[union-attr]


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_book_page_offers_the_current_filter_as_csv_and_excel(
    logged_in, legal_entity, giulia, filled
):
    """R-IO-3: the links carry the page's filter; the file is every page of it."""
    params = {"attr.PREF_CATEGORY": "Handbags", "sort": "added"}
    body = logged_in.get(reverse("storeapp:book"), params).content.decode()
    links = export_links(body)
    assert set(links) == {"csv", "xlsx"}
    assert links["csv"].startswith(reverse("storeapp:book_export") + "?")
    assert "attr.PREF_CATEGORY=Handbags" in links["csv"]
    expected = card_tuples(page_cards(legal_entity, giulia, params))

    response = logged_in.get(links["csv"])

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = unescaped(csv_rows(content(response)))
    assert rows[0] == HEADER
    assert as_cards(rows) == expected

    workbook = logged_in.get(links["xlsx"])
    assert workbook.status_code == 200
    assert as_cards(xlsx_rows(content(workbook))) == expected


def test_the_htmx_results_carry_the_new_filter(logged_in, filled):
    """R-IO-3: after a filter changes (htmx swaps the results) the links follow it."""
    response = logged_in.get(
        reverse("storeapp:book"),
        {"q": "example.com", "attr.PREF_CATEGORY": "Shoes"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    # Nobody prefers shoes: no cards, nothing to export.
    assert 'data-testid="export"' not in response.content.decode()
    response = logged_in.get(
        reverse("storeapp:book"),
        {"attr.PREF_CATEGORY": "Handbags"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert "attr.PREF_CATEGORY=Handbags" in export_links(response.content.decode())["csv"]


def test_the_store_page_exports_the_store_view_over_every_page(
    logged_in, legal_entity, store, giulia, filled
):
    """R-IO-3, R-BOOK-9: all the store's client books, each line naming book and owner."""
    body = logged_in.get(reverse("storeapp:store_books")).content.decode()
    link = export_links(body)["csv"]
    assert link.startswith(reverse("storeapp:store_books_export"))

    rows = unescaped(csv_rows(content(logged_in.get(link))))

    assert len(rows) - 1 == MANY > 2 * 50
    cards = page_cards(legal_entity, giulia, {}, store=store)
    assert as_cards(rows) == card_tuples(cards)


def test_without_the_grant_there_is_no_control_and_the_export_is_forbidden(
    client, legal_entity, store, filled
):
    """R-IO-3, R-PERM-2: the store export needs the store view grant (403, named)."""
    ops = [op for op in ASSOCIATE_OPERATIONS if op is not Operation.VIEW_STORE_BOOKS]
    worker = WorkerFactory.create(stores=[store], operations=ops)
    client.force_login(worker.user)

    response = client.get(reverse("storeapp:store_books_export"), {"format": "csv"})

    assert response.status_code == 403
    assert "view customers from store client books" in response.content.decode()
    page = client.get(reverse("storeapp:store_books"))
    assert page.status_code == 403
    assert reverse("storeapp:store_books_export") not in page.content.decode()


def test_nul_in_a_filter_is_a_422_not_a_500(logged_in, filled):
    """R-IO-3, R-ERR-1: control characters in the query are refused before the export."""
    response = logged_in.get(reverse("storeapp:book_export"), {"q": "a\x00b"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "params", [{"format": "pdf"}, {"attr.RING_SIZE": "50"}, {"upcoming.BIRTHDAY": "999"}]
)
def test_a_bad_format_or_filter_is_a_message_with_422(logged_in, filled, params):
    """R-IO-3, R-ERR-1: the refusal is a page in the user's language, not a broken file."""
    response = logged_in.get(reverse("storeapp:book_export"), params)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("language", "words"), [("it", "Esporta"), ("lt", "Eksportuoti")])
def test_the_control_speaks_the_users_language(logged_in, filled, language, words):
    """R-IO-3, R-I18N: the control is translated."""
    body = logged_in.get(reverse("storeapp:book"), headers={"Accept-Language": language})
    assert words in body.content.decode()
