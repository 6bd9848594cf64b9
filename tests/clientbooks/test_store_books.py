"""The store client books view: every book whose owner shares an address book with the store (R-BOOK-9)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.models import StoreEntry
from clienteling.core.errors import NotFound
from tests.factories import (
    AddressBookFactory,
    CustomerFactory,
    StoreFactory,
    WorkerFactory,
    book_add,
)

pytestmark = pytest.mark.django_db


def store_view(legal_entity, actor, store, params=None) -> list[tuple[str, str | None]]:
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params or {})
    page = selectors.store_client_book_cards(
        actor=actor, legal_entity=legal_entity, store=store, card_filter=card_filter, limit=200
    )
    return sorted((card.account, card.book.owner if card.book else None) for card in page.items)


def test_store_view_is_the_union_of_its_associates_books(
    legal_entity, store, giulia, marco, customers
):
    """R-BOOK-9: the books of every worker of the store, each card naming its owner."""
    book_add(giulia, *customers[:2])
    book_add(marco, customers[2])

    assert store_view(legal_entity, giulia, store) == sorted(
        [(customers[0].account, "giulia"), (customers[1].account, "giulia"),
         (customers[2].account, "marco")]
    )  # fmt: skip


def test_store_view_leaves_out_workers_of_other_address_books(legal_entity, store, giulia):
    """R-BOOK-9: a worker who shares no address book with the store is not shown."""
    rome = StoreFactory.create(legal_entity=legal_entity, code="RM01")
    roman = WorkerFactory.create(user__username="roman", stores=[rome])
    book_add(roman, CustomerFactory.create(legal_entity=legal_entity))

    assert store_view(legal_entity, giulia, store) == []


def test_worker_of_two_stores_shows_in_both(legal_entity, store, customers):
    """R-BOOK-9: a worker in several stores has their customers shown in each."""
    rome = StoreFactory.create(legal_entity=legal_entity, code="RM01")
    both = WorkerFactory.create(user__username="both", stores=[store, rome])
    viewer = WorkerFactory.create(user__username="viewer", stores=[store, rome])
    book_add(both, customers[0])

    expected = [(customers[0].account, "both")]
    assert store_view(legal_entity, viewer, store) == expected
    assert store_view(legal_entity, viewer, rome) == expected


def test_store_with_several_address_books_shows_workers_of_any(legal_entity, customers):
    """R-BOOK-9 / R-ORG-2: a store linked to two address books shows workers of either."""
    north, south = AddressBookFactory.create_batch(2, legal_entity=legal_entity)
    flagship = StoreFactory.create(
        legal_entity=legal_entity, code="FL01", address_books=[north, south]
    )
    viewer = WorkerFactory.create(user__username="viewer", stores=[flagship])
    southerner = WorkerFactory.create(user__username="southerner")
    southerner.legal_entities.add(legal_entity)
    southerner.address_books.add(south)
    book_add(southerner, customers[0])

    assert store_view(legal_entity, viewer, flagship) == [(customers[0].account, "southerner")]


def test_owner_filter_narrows_to_one_associate(legal_entity, store, giulia, marco, customers):
    """R-BOOK-9: the view can show one associate's customers."""
    book_add(giulia, *customers[:2])
    book_add(marco, customers[2])

    assert store_view(legal_entity, giulia, store, {"owner": "marco"}) == [
        (customers[2].account, "marco")
    ]


def test_store_view_supports_the_book_filters(legal_entity, store, giulia, marco, customers):
    """R-BOOK-9: the same filters as R-BOOK-7."""
    book_add(giulia, customers[0])
    book_add(marco, customers[1])
    services.customer_attributes_set(
        actor=giulia, customer=customers[1], values={"PREF_CATEGORY": "Watches"}
    )

    assert store_view(legal_entity, giulia, store, {"attr.PREF_CATEGORY": "Watches"}) == [
        (customers[1].account, "marco")
    ]


def test_store_associates_lists_whose_books_the_store_shows(legal_entity, store, giulia, marco):
    """R-BOOK-9: the owner filter offers the store's associates."""
    rome = StoreFactory.create(legal_entity=legal_entity, code="RM01")
    WorkerFactory.create(user__username="roman", stores=[rome])

    usernames = {w.username for w in selectors.store_associates(store=store)}

    assert usernames == {"giulia", "marco"}


def test_store_of_another_legal_entity_is_not_found_for_its_view(legal_entity, other_store, giulia):
    """R-BOOK-9 / R-ORG-1: the view of a foreign store does not exist for the worker."""
    with pytest.raises(NotFound):
        selectors.store_client_book_cards(
            actor=giulia, legal_entity=legal_entity, store=other_store
        )


def test_an_owner_filter_is_the_owners_range_of_the_store_index(
    legal_entity, store, giulia, marco, customers
):
    """The owner is looked up before the rows are read (a subquery, not a join through the
    users), so the page is a range of the (store, owner, name) index; a username nobody has
    finds nothing."""
    book_add(giulia, *customers[:2])
    book_add(marco, customers[2])
    with CaptureQueriesContext(connection) as queries:
        found = store_view(legal_entity, giulia, store, {"owner": "marco"})
    assert found == [(customers[2].account, "marco")]
    page = next(q["sql"] for q in queries if "LIMIT" in q["sql"] and "storeentry" in q["sql"])
    assert '"clientbooks_storeentry"."owner_id" = (SELECT' in page
    assert store_view(legal_entity, giulia, store, {"owner": "nobody"}) == []


def test_the_store_views_text_search_has_an_index_on_postgresql(legal_entity, store):
    """ "Rossi" among a store's card rows is a LIKE '%rossi%' that a trigram index serves on
    PostgreSQL (migration clientbooks/0005); SQLite has no such index."""
    count = StoreEntry.objects.filter(search_text__contains="rossi")
    sql, params = count.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            assert "storeentry_search_trgm" in "\n".join(row[0] for row in cursor.fetchall())
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'storeentry_search_trgm'")
            assert cursor.fetchall() == []
