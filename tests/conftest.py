from __future__ import annotations

import pytest

from clienteling.organization.access import Operation
from clienteling.timeline.models import ActivityType
from tests.factories import (
    ALL_OPERATIONS,
    CustomerFactory,
    LegalEntityFactory,
    StoreFactory,
    WorkerFactory,
    clienteling_setup,
)


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing():
    """Tests make thousands of users; production's PBKDF2 (1,000,000 rounds) costs 0.24 s a
    password on CI's cores. Servers started by tests keep production's hasher."""
    from django.test import override_settings

    quick = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    quick.enable()
    yield
    quick.disable()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in English: a request in Italian activates Italian for the thread, and
    it would stay active for the next test's direct calls to selectors and services."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded and produced files (imports, rejects) go to the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def legal_entity(db):
    le = LegalEntityFactory.create(code="ITJW", name="Jewellery Italy")
    clienteling_setup(le)
    return le


@pytest.fixture
def store(legal_entity):
    return StoreFactory.create(legal_entity=legal_entity, code="MI01", name="Milano")


@pytest.fixture
def giulia(store):
    return WorkerFactory.create(user__username="giulia", stores=[store])


@pytest.fixture
def hq(legal_entity):
    """An HQ worker of ITJW who may import data and nothing else."""
    return WorkerFactory.create(
        user__username="hq_it", legal_entity=legal_entity, operations=[Operation.IMPORT_DATA]
    )


@pytest.fixture
def marco(store):
    return WorkerFactory.create(user__username="marco", stores=[store])


@pytest.fixture
def manager(store):
    return WorkerFactory.create(user__username="sara", stores=[store], operations=ALL_OPERATIONS)


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
    from clienteling.organization.access import Operation

    return WorkerFactory.create(
        user__username="carla", stores=[], legal_entity=store.legal_entity,
        operations=[Operation.READ_CUSTOMER_DETAILS],
    )  # fmt: skip


@pytest.fixture
def other_legal_entity(db):
    """A second legal entity with clienteling on: its data must stay invisible to ITJW's workers."""
    le = LegalEntityFactory.create(code="LTFA", name="Fashion Lithuania")
    clienteling_setup(le)
    return le


@pytest.fixture
def other_store(other_legal_entity):
    return StoreFactory.create(legal_entity=other_legal_entity, code="VL01", name="Vilnius")


@pytest.fixture
def rasa(other_store):
    """An associate of the other legal entity, with every operation."""
    return WorkerFactory.create(
        user__username="rasa", stores=[other_store], operations=ALL_OPERATIONS
    )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: primary keys repeat across rolled-back tests, so
    an entry cached by one test (activity types, analytics settings) must not leak into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- Customer analytics: the fake Entra ID, Key Vault and Customer Insights over HTTPS ---

VAULT_READER_SECRET = "vault-reader-s3cret-Qw7"
CI_CLIENT_SECRET = "ci-app-s3cret-Zx9"
CI_ENVIRONMENT = "0b7d6a52-3c1e-4f0a-9d2b-5e6f7a8b9c0d"


@pytest.fixture(scope="session")
def azure_fakes(tmp_path_factory):
    """The three fake services, started once on ephemeral loopback ports."""
    import datetime as dt

    from clienteling.demo.fakes import FakeServices

    fakes = FakeServices(tmp_path_factory.mktemp("fakes")).start()
    fakes.register_client("clienteling-vault-reader", VAULT_READER_SECRET)
    fakes.register_client("clienteling-insights", CI_CLIENT_SECRET)
    fakes.vault_secret_set(
        "ci-client-secret",
        CI_CLIENT_SECRET,
        expires_on=dt.datetime.now(dt.UTC) + dt.timedelta(days=90),
    )
    fakes.environment_add(CI_ENVIRONMENT)
    yield fakes
    fakes.stop()


@pytest.fixture
def fakes(azure_fakes, settings, monkeypatch):
    """The fakes, trusted and reachable, in normal mode with zeroed counters; nothing of a
    previous test (secrets or tokens in memory, requests in flight) carries over."""
    from clienteling.insights import client, provider, secrets

    settings.AZURE_CA_BUNDLE = azure_fakes.ca_file
    # The fakes listen on loopback: the operator's allow-list admits them (R-SEC-1).
    settings.CLIENTELING_ALLOWED_HOSTS_EXTRA = ["127.0.0.1"]
    monkeypatch.setenv("CLIENTELING_KEYVAULT_CLIENT_SECRET", VAULT_READER_SECRET)
    secrets.forget_secrets()
    client.forget_tokens()
    azure_fakes.reset()
    yield azure_fakes
    azure_fakes.reset()
    provider.drain()
    secrets.forget_secrets()
    client.forget_tokens()


@pytest.fixture
def rome(legal_entity):
    return StoreFactory.create(legal_entity=legal_entity, code="RM01", name="Roma")


@pytest.fixture
def paolo(rome):
    """An associate of RM01 only: MI01's view does not show his book."""
    return WorkerFactory.create(user__username="paolo", stores=[rome])


@pytest.fixture
def clerk(store):
    """Customer service in MI01's address books, with no client book grant."""
    return WorkerFactory.create(
        user__username="clerk", stores=[store], operations=[Operation.READ_CUSTOMER_DETAILS]
    )
