from __future__ import annotations

import pytest

from tests.factories import LegalEntityFactory, StoreFactory, WorkerFactory, clienteling_setup


@pytest.fixture
def stranger(db):
    """An associate of another legal entity."""
    other = LegalEntityFactory(code="LTFA", name="Lithuania")
    clienteling_setup(other)
    return WorkerFactory(user__username="rasa", stores=[StoreFactory(legal_entity=other)])
