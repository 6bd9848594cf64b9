"""Sales lines for the tests: a customer of ITJW who buys, and rows as the CSV import sends them."""

from __future__ import annotations

import pytest

from tests.factories import CustomerFactory


@pytest.fixture
def buyer(legal_entity):
    return CustomerFactory.create(legal_entity=legal_entity, account="IT000042")


def row(**changes: str) -> dict[str, str]:
    """A valid sales line of IT000042 in MI01, as text by the import's column names."""
    values = {
        "transaction": "MI01-0001",
        "line": "1",
        "account": "IT000042",
        "sold_at": "2026-03-14T16:30:00+01:00",
        "store": "MI01",
        "product": "JW-LUNA-18",
        "product_name": "Luna pendant",
        "category": "Jewellery",
        "quantity": "1",
        "amount": "1850.00",
        "currency": "EUR",
    }
    values.update(changes)
    return values
