"""Keyset pagination of cards: every row once, in order, at a constant query cost (R-BOOK-7)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clienteling.clientbooks import selectors, services
from clienteling.core.errors import Invalid
from clienteling.core.pagination import encode_cursor, page_limit
from tests.factories import CustomerFactory, book_add

pytestmark = pytest.mark.django_db


def walk(legal_entity, actor, params, limit, *, store=None) -> list[str]:
    card_filter = selectors.card_filter_parse(legal_entity=legal_entity, params=params)
    accounts: list[str] = []
    cursor = None
    for _ in range(1000):
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
        assert len(page.items) <= limit
        accounts += [card.account for card in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return accounts
    raise AssertionError("pagination did not end")


def full(legal_entity, actor, params) -> list[str]:
    return walk(legal_entity, actor, params, 200)


@pytest.fixture
def many(legal_entity, giulia):
    """Twelve customers with repeated names and birthdays, so sort keys tie."""
    customers = [
        CustomerFactory.create(
            legal_entity=legal_entity, first_name=f"N{i % 3}", last_name=["Rossi", "Bianchi"][i % 2]
        )
        for i in range(12)
    ]
    book_add(giulia, *customers[:6])
    book_add(giulia, *customers[6:])
    for i, customer in enumerate(customers):
        if i % 4:
            services.customer_attributes_set(
                actor=giulia, customer=customer, values={"BIRTHDAY": f"1980-0{1 + i % 3}-1{i % 2}"}
            )
    return customers


@pytest.mark.parametrize("sort", ["name", "added", "upcoming.BIRTHDAY"])
@pytest.mark.parametrize("limit", [1, 2, 5])
def test_walking_all_pages_gives_every_row_once_in_order(legal_entity, giulia, many, sort, limit):
    """R-BOOK-7: paging gives the same rows in the same order as one big page, no gap, no repeat."""
    expected = full(legal_entity, giulia, {"sort": sort})

    walked = walk(legal_entity, giulia, {"sort": sort}, limit)

    assert walked == expected
    assert sorted(walked) == sorted(c.account for c in many)


def test_pages_of_a_filtered_book_walk_only_the_matches(legal_entity, giulia, many):
    """R-BOOK-7: the filter holds on every page."""
    params = {"attr.BIRTHDAY.min": "1980-02-01"}

    walked = walk(legal_entity, giulia, params, 2)

    assert walked == full(legal_entity, giulia, params)
    assert len(walked) == 6


def test_store_view_pages_walk_every_row_once(legal_entity, store, giulia, many):
    """R-BOOK-9 / R-BOOK-7: the store view pages the same way."""
    walked = walk(legal_entity, giulia, {}, 5, store=store)

    assert sorted(walked) == sorted(c.account for c in many)
    assert len(walked) == len(set(walked))


def test_first_page_counts_all_matches(legal_entity, giulia, many):
    """R-BOOK-7: the first page says how many rows match in all."""
    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity, limit=5)

    assert page.total == 12


@pytest.mark.parametrize("cursor", ["garbage!", "WzFd", "W10", "WyJhIiwiYiJd"])
def test_forged_cursor_is_invalid(legal_entity, giulia, many, cursor):
    """R-BOOK-7 / R-ERR-1: a cursor that does not fit the ordering is bad input, not a crash."""
    with pytest.raises(Invalid) as error:
        selectors.client_book_cards(actor=giulia, legal_entity=legal_entity, cursor=cursor)

    assert error.value.field == "cursor"


def test_a_cursor_time_is_read_in_utc_whatever_its_offset(legal_entity, giulia, many):
    """A cursor's time with an offset PostgreSQL would refuse (-20:09) is the same moment."""
    params = selectors.card_filter_parse(legal_entity=legal_entity, params={"sort": "added"})
    first = selectors.client_book_cards(
        actor=giulia, legal_entity=legal_entity, card_filter=params, limit=5
    )
    assert first.next_cursor is not None
    added_at, row_id = json.loads(base64.urlsafe_b64decode(first.next_cursor + "=="))
    shifted = dt.datetime.fromisoformat(added_at).astimezone(
        dt.timezone(-dt.timedelta(hours=20, minutes=9))
    )
    forged = encode_cursor([shifted, row_id])

    again = selectors.client_book_cards(
        actor=giulia, legal_entity=legal_entity, card_filter=params, cursor=forged, limit=5
    )
    honest = selectors.client_book_cards(
        actor=giulia,
        legal_entity=legal_entity,
        card_filter=params,
        cursor=first.next_cursor,
        limit=5,
    )
    assert [c.account for c in again.items] == [c.account for c in honest.items]


def test_a_cursor_time_without_offset_is_invalid(legal_entity, giulia, many):
    params = selectors.card_filter_parse(legal_entity=legal_entity, params={"sort": "added"})
    with pytest.raises(Invalid) as error:
        selectors.client_book_cards(
            actor=giulia,
            legal_entity=legal_entity,
            card_filter=params,
            cursor=encode_cursor(["2026-01-01T10:00:00", 1]),
        )

    assert error.value.field == "cursor"


@pytest.mark.parametrize("raw", ["0", "201", "x", "-1"])
def test_page_size_outside_1_to_200_is_invalid(raw):
    """R-BOOK-7: limit is 1 to 200."""
    with pytest.raises(Invalid) as error:
        page_limit(raw)

    assert error.value.field == "limit"


def test_page_size_defaults_to_50():
    """R-BOOK-7: no limit means 50."""
    assert page_limit(None) == 50


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["Rossi", "Bianchi", "rossi", "Neri"]),
            st.one_of(st.none(), st.dates(dt.date(1950, 1, 1), dt.date(2005, 12, 31))),
        ),
        min_size=0,
        max_size=14,
    ),
    limit=st.integers(min_value=1, max_value=6),
    sort=st.sampled_from(["name", "added", "upcoming.BIRTHDAY"]),
)
def test_keyset_pages_equal_the_whole_list_for_any_data(legal_entity, giulia, rows, limit, sort):
    """R-BOOK-7: for any names, birthdays (ties included) and page size, the walk equals the
    full ordered list."""
    with transaction.atomic():
        customers = []
        for i, (last_name, birthday) in enumerate(rows):
            customer = CustomerFactory.create(
                legal_entity=legal_entity, first_name="Same", last_name=last_name
            )
            customers.append(customer)
            if i % 3 == 0 and customers:
                book_add(giulia, *customers)
                customers = []
            if birthday is not None:
                services.customer_attributes_set(
                    actor=giulia, customer=customer, values={"BIRTHDAY": birthday}
                )
        if customers:
            book_add(giulia, *customers)

        walked = walk(legal_entity, giulia, {"sort": sort}, limit)

        assert walked == full(legal_entity, giulia, {"sort": sort})
        assert len(walked) == len(set(walked)) == len(rows)
        transaction.set_rollback(True)


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.mark.parametrize("sort", ["name", "upcoming.BIRTHDAY"])
def test_query_count_of_a_page_does_not_depend_on_its_size(legal_entity, giulia, sort):
    """R-BOOK-6 / R-BOOK-7: a page of 5 cards and a page of 50 cost the same queries."""
    customers = CustomerFactory.create_batch(60, legal_entity=legal_entity)
    book_add(giulia, *customers)
    for customer in customers:
        services.customer_attributes_set(
            actor=giulia,
            customer=customer,
            values={"BIRTHDAY": "1980-05-05", "PREF_CATEGORY": "Shoes"},
        )
    card_filter = selectors.card_filter_parse(
        legal_entity=legal_entity, params={"sort": sort, "attr.PREF_CATEGORY": "Shoes"}
    )

    def page(limit):
        return lambda: selectors.client_book_cards(
            actor=giulia, legal_entity=legal_entity, card_filter=card_filter, limit=limit
        )

    page(5)()  # warm the permission cache, as a request does once
    assert count_queries(page(5)) == count_queries(page(50))


def test_query_count_of_a_store_page_does_not_depend_on_its_size(
    legal_entity, store, giulia, marco
):
    """R-BOOK-9: a store page of 5 and of 50 cost the same queries, books of several owners."""
    customers = CustomerFactory.create_batch(60, legal_entity=legal_entity)
    book_add(giulia, *customers[:30])
    book_add(marco, *customers[30:])

    def page(limit):
        return lambda: selectors.store_client_book_cards(
            actor=giulia, legal_entity=legal_entity, store=store, limit=limit
        )

    page(5)()
    assert count_queries(page(5)) == count_queries(page(50))
