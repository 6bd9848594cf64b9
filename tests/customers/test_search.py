"""Customer search: name, email, phone, account; limited to the store's address books (R-SRCH-1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clienteling.core.errors import Invalid
from clienteling.customers.selectors import SearchScope, customer_search, customer_search_first
from clienteling.customers.services import customer_create
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_store(legal_entity, store):
    """Customers of the store's address book."""
    books = list(store.address_books.all())
    people = {
        "anna": CustomerFactory.create(
            legal_entity=legal_entity,
            account="ACC100",
            first_name="Anna",
            last_name="Rossi",
            email="anna.rossi@example.com",
            phone="+39 02 555 1234",
        ),
        "mario": CustomerFactory.create(
            legal_entity=legal_entity,
            account="ACC200",
            first_name="Mario",
            last_name="Rossi",
            email="mario@example.com",
            phone="+39 06 777 0000",
        ),
        "anna_b": CustomerFactory.create(
            legal_entity=legal_entity,
            account="ACC300",
            first_name="Anna",
            last_name="Bianchi",
            email="ab@example.com",
            phone="+39 011 888 9999",
        ),
    }
    for customer in people.values():
        customer.address_books.set(books)
    return people


@pytest.fixture
def elsewhere(legal_entity):
    """A customer of another store's address book only."""
    rome = StoreFactory.create(legal_entity=legal_entity, code="RM01")
    customer = CustomerFactory.create(
        legal_entity=legal_entity, account="ACC900", first_name="Anna", last_name="Romano"
    )
    customer.address_books.set(rome.address_books.all())
    return customer


def search(actor, legal_entity, store, query, *, all_stores=False) -> list[str]:
    scope = SearchScope(legal_entity=legal_entity, store=store, all_stores=all_stores)
    return [c.account for c in customer_search(actor=actor, scope=scope, query=query)]


def test_search_by_name(legal_entity, store, giulia, in_store):
    """R-SRCH-1: a name keyword finds every customer with it."""
    assert sorted(search(giulia, legal_entity, store, "rossi")) == ["ACC100", "ACC200"]


def test_search_ranks_by_number_of_keywords_matched(legal_entity, store, giulia, in_store):
    """R-SRCH-1: name matches any keyword, most keywords matched first."""
    found = search(giulia, legal_entity, store, "Anna Rossi")

    assert found[0] == "ACC100"
    assert sorted(found) == ["ACC100", "ACC200", "ACC300"]


@pytest.mark.parametrize(("limit", "cap"), [(1, 2), (2, 3), (3, 10), (1, 1)])
def test_the_first_results_come_in_the_search_order_with_their_count_up_to_a_cap(
    legal_entity, store, giulia, in_store, limit, cap
):
    """R-SRCH-1: the page's rows are the search's first, in its order; the count stops at the
    cap. The customers are read twice: the matches once, then the rows shown."""
    where = SearchScope(legal_entity=legal_entity, store=store)
    ordered = search(giulia, legal_entity, store, "Anna Rossi")
    with CaptureQueriesContext(connection) as queries:
        shown, found = customer_search_first(
            actor=giulia, scope=where, query="Anna Rossi", limit=limit, cap=cap
        )
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "customers_customer"' in q["sql"]]
    assert len(reads) == 2
    assert [customer.account for customer in shown] == ordered[:limit]
    assert found == min(3, cap)


def test_search_by_email(legal_entity, store, giulia, in_store):
    """R-SRCH-1: email."""
    assert search(giulia, legal_entity, store, "mario@example.com") == ["ACC200"]


def test_search_by_phone_ignores_formatting(legal_entity, store, giulia, in_store):
    """R-SRCH-1: phone numbers match whatever the spacing and punctuation."""
    assert search(giulia, legal_entity, store, "(011)888-99") == ["ACC300"]


def test_search_by_account_number(legal_entity, store, giulia, in_store):
    """R-SRCH-1: the account number."""
    assert search(giulia, legal_entity, store, "acc200") == ["ACC200"]


def test_search_is_limited_to_the_store_address_books(
    legal_entity, store, giulia, in_store, elsewhere
):
    """R-SRCH-1: unlike the client book, search sees the current store's customers only."""
    assert "ACC900" not in search(giulia, legal_entity, store, "anna")


def test_search_in_all_stores_finds_other_stores_customers(
    legal_entity, store, giulia, in_store, elsewhere
):
    """R-SRCH-1: "all stores" widens the search to the legal entity."""
    assert "ACC900" in search(giulia, legal_entity, store, "anna", all_stores=True)


def test_search_in_all_stores_needs_four_characters(legal_entity, store, giulia, in_store):
    """R-SRCH-1: all stores needs at least 4 characters."""
    with pytest.raises(Invalid) as error:
        search(giulia, legal_entity, store, "ann", all_stores=True)

    assert (error.value.field, error.value.rule) == ("q", "min_length")


def test_empty_query_finds_nothing(legal_entity, store, giulia, in_store):
    """R-SRCH-1: no keyword, no results (not the whole store)."""
    assert search(giulia, legal_entity, store, "   ") == []


def test_search_without_a_store_and_not_all_stores_finds_nothing(legal_entity, giulia, in_store):
    """R-SRCH-1: without a current store only "all stores" searches."""
    assert search(giulia, legal_entity, None, "rossi") == []


def test_search_never_returns_another_legal_entitys_customers(
    legal_entity, other_legal_entity, store, giulia, in_store
):
    """R-SRCH-1 / R-ORG-1: all stores means all stores of this legal entity."""
    CustomerFactory.create(legal_entity=other_legal_entity, account="LT1", last_name="Rossi")

    assert "LT1" not in search(giulia, legal_entity, store, "rossi", all_stores=True)


@pytest.mark.parametrize(
    "query",
    ["Niccolò", "niccolò", "NICCOLÒ", "Niccolo\u0300", "NICCOLO\u0300", "ＮＩＣＣＯＬÒ"],
)
def test_search_ignores_case_and_how_an_accent_was_typed(giulia, store, legal_entity, query):
    """A name stored precomposed is found by any case and by a combining accent (NFKC +
    case folding on write and query), on SQLite as on PostgreSQL."""
    found = CustomerFactory.create(
        legal_entity=legal_entity, first_name="Niccolò", last_name="Machiavelli"
    )
    scope = SearchScope(legal_entity, store, all_stores=True)

    results = customer_search(actor=giulia, scope=scope, query=query)

    assert list(results) == [found]


def test_a_name_typed_with_a_combining_accent_is_found_by_the_precomposed_one(
    giulia, store, legal_entity
):
    stored = customer_create(
        legal_entity=legal_entity, account="IT777", first_name="Nicco\u0300lo", last_name="Rossi"
    )
    scope = SearchScope(legal_entity, store, all_stores=True)

    assert list(customer_search(actor=giulia, scope=scope, query="Niccòlo")) == [stored]
