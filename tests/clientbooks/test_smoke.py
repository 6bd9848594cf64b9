import pytest

from clienteling.clientbooks import selectors, services
from clienteling.core.errors import Conflict

pytestmark = pytest.mark.django_db


def test_add_then_conflict(legal_entity, giulia, marco, customers):
    services.client_book_add_customers(
        actor=giulia, legal_entity=legal_entity, customers=customers[:2]
    )
    with pytest.raises(Conflict) as err:
        services.client_book_add_customers(
            actor=marco, legal_entity=legal_entity, customers=customers[1:3]
        )
    assert err.value.details["owner"] == "giulia"
    services.customer_attributes_set(
        actor=giulia,
        customer=customers[0],
        values={"PREF_CATEGORY": "handbags", "BIRTHDAY": "1980-03-02"},
    )
    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity)
    assert len(page.items) == 2
    f = selectors.card_filter_parse(
        legal_entity=legal_entity,
        params={"attr.PREF_CATEGORY": "Handbags", "sort": "upcoming.BIRTHDAY"},
    )
    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity, card_filter=f)
    assert [c.account for c in page.items] == [customers[0].account]
    page = selectors.client_book_cards(actor=giulia, legal_entity=legal_entity, limit=1)
    assert page.next_cursor
    page2 = selectors.client_book_cards(
        actor=giulia, legal_entity=legal_entity, limit=1, cursor=page.next_cursor
    )
    assert page2.items[0].account != page.items[0].account and page2.next_cursor is None
    store_page = selectors.store_client_book_cards(
        actor=giulia, legal_entity=legal_entity, store=giulia.stores.get()
    )
    assert len(store_page.items) == 2
    n = services.customers_reassign(
        actor=__import__("tests.factories").factories.WorkerFactory.create(
            user__username="boss",
            stores=list(giulia.stores.all()),
            operations=__import__("tests.factories").factories.ALL_OPERATIONS,
        ),
        legal_entity=legal_entity,
        customers=customers[:2],
        to_worker=marco,
    )
    assert n == 2
    store_page = selectors.store_client_book_cards(
        actor=giulia, legal_entity=legal_entity, store=giulia.stores.get()
    )
    assert {c.book.owner if c.book else None for c in store_page.items} == {"marco"}
