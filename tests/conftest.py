from __future__ import annotations

import pytest

from tests.factories import (
    ALL_OPERATIONS,
    CustomerFactory,
    LegalEntityFactory,
    StoreFactory,
    WorkerFactory,
    clienteling_setup,
)


@pytest.fixture
def legal_entity(db):
    le = LegalEntityFactory(code="ITJW", name="Jewellery Italy")
    clienteling_setup(le)
    return le


@pytest.fixture
def store(legal_entity):
    return StoreFactory(legal_entity=legal_entity, code="MI01", name="Milano")


@pytest.fixture
def giulia(store):
    return WorkerFactory(user__username="giulia", stores=[store])


@pytest.fixture
def marco(store):
    return WorkerFactory(user__username="marco", stores=[store])


@pytest.fixture
def manager(store):
    return WorkerFactory(user__username="sara", stores=[store], operations=ALL_OPERATIONS)


@pytest.fixture
def customers(legal_entity):
    return CustomerFactory.create_batch(5, legal_entity=legal_entity)
