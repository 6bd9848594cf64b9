from __future__ import annotations

import pytest

from clienteling.timeline.models import ActivityType
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


@pytest.fixture
def activity_types(legal_entity):
    """The demo's types: a store visit, an e-mail, a phone call and an appointment."""
    specs = [
        ("VISIT", "Store visit", False),
        ("EMAIL", "E-mail", False),
        ("PHONE", "Phone call", False),
        ("APPOINTMENT", "Appointment", True),
    ]
    return {
        code: ActivityType.objects.create(
            legal_entity=legal_entity,
            code=code,
            name=name,
            is_appointment=appointment,
            display_order=order,
        )
        for order, (code, name, appointment) in enumerate(specs, start=1)
    }


@pytest.fixture
def carla(store):
    """Customer service: reads customer details, no client book operations."""
    from clienteling.clientbooks.permissions import Operation

    return WorkerFactory(
        user__username="carla", stores=[], legal_entity=store.legal_entity,
        operations=[Operation.READ_CUSTOMER_DETAILS],
    )  # fmt: skip


@pytest.fixture
def other_legal_entity(db):
    """A second legal entity with clienteling on: its data must stay invisible to ITJW's workers."""
    le = LegalEntityFactory(code="LTFA", name="Fashion Lithuania")
    clienteling_setup(le)
    return le


@pytest.fixture
def other_store(other_legal_entity):
    return StoreFactory(legal_entity=other_legal_entity, code="VL01", name="Vilnius")


@pytest.fixture
def rasa(other_store):
    """An associate of the other legal entity, with every operation."""
    return WorkerFactory(user__username="rasa", stores=[other_store], operations=ALL_OPERATIONS)
