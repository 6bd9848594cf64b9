"""A worker of one legal entity sees nothing of another: its customers, books and stores are 404."""

from __future__ import annotations

import pytest

from clienteling.clientbooks.services import client_book_add_customers
from tests.api.conftest import assert_error
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    StoreFactory,
    WorkerFactory,
    clienteling_setup,
)


@pytest.fixture
def rasa(db):
    lithuania = LegalEntityFactory.create(code="LTFA")
    clienteling_setup(lithuania)
    vilnius = StoreFactory.create(legal_entity=lithuania, code="VL01")
    return WorkerFactory.create(user__username="rasa", stores=[vilnius])


@pytest.fixture
def italian_customer(giulia, legal_entity):
    customer = CustomerFactory.create(legal_entity=legal_entity)
    client_book_add_customers(actor=giulia, legal_entity=legal_entity, customers=[customer])
    return customer


def test_another_legal_entity_s_customer_is_404(as_worker, rasa, italian_customer):
    """R-ERR-3: a foreign id answers not found, never forbidden (nothing says it exists)."""
    api = as_worker(rasa)
    assert_error(
        api.get(f"/legal-entities/ITJW/customers/{italian_customer.account}"), 404, "not_found"
    )
    assert_error(
        api.get(f"/legal-entities/LTFA/customers/{italian_customer.account}"), 404, "not_found"
    )
    assert_error(
        api.patch(
            f"/legal-entities/LTFA/customers/{italian_customer.account}/attributes",
            {"FAV_BRAND": "x"},
        ),
        404,
        "not_found",
    )
    assert_error(
        api.post(
            "/legal-entities/LTFA/client-book/customers", {"customers": [italian_customer.account]}
        ),
        404,
        "not_found",
    )


def test_another_legal_entity_s_books_are_404(as_worker, rasa, italian_customer):
    api = as_worker(rasa)
    assert_error(api.get("/legal-entities/ITJW/client-book"), 404, "not_found")
    assert_error(
        api.post(
            "/legal-entities/ITJW/client-book/remove", {"customers": [italian_customer.account]}
        ),
        404,
        "not_found",
    )
    assert_error(
        api.post(
            "/legal-entities/ITJW/client-books/reassign",
            {"customers": [italian_customer.account], "to_worker": "rasa"},
        ),
        404,
        "not_found",
    )
    assert_error(api.get("/legal-entities/ITJW/attributes"), 404, "not_found")
    assert_error(api.get("/legal-entities/ITJW/customers", {"q": "anna"}), 404, "not_found")


def test_another_legal_entity_s_store_is_404(as_worker, rasa, store):
    api = as_worker(rasa)
    assert_error(api.get("/legal-entities/ITJW/stores/MI01/client-books"), 404, "not_found")
    assert_error(api.get("/legal-entities/LTFA/stores/MI01/client-books"), 404, "not_found")


def test_reassigning_to_a_worker_of_another_legal_entity_is_404(
    as_worker, manager, rasa, italian_customer
):
    assert_error(
        as_worker(manager).post(
            "/legal-entities/ITJW/client-books/reassign",
            {"customers": [italian_customer.account], "to_worker": "rasa"},
        ),
        404,
        "not_found",
        field="to_worker",
    )
