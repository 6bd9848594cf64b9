from __future__ import annotations

import pytest

from tests.factories import LegalEntityFactory, StoreFactory, WorkerFactory, clienteling_setup


@pytest.fixture
def stranger(db):
    """An associate of another legal entity."""
    other = LegalEntityFactory.create(code="LTFA", name="Lithuania")
    clienteling_setup(other)
    return WorkerFactory.create(
        user__username="rasa", stores=[StoreFactory.create(legal_entity=other)]
    )
