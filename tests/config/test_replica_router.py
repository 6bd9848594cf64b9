"""The read replica's router (config/db_router.py, R-SCALE-3), on a second connection alias.

The alias ``replica`` is a second connection to the test database, as a replica that is
never behind. Each test asserts where the queries really went, by capturing them on both
connections.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clienteling.api.models import ApiToken
from clienteling.config.db_router import (
    PIN_COOKIE,
    PRIMARY,
    REPLICA,
    ReplicaReadsMiddleware,
    replica_reads,
)
from clienteling.customers.models import Customer
from clienteling.insights.models import InsightsSettings
from clienteling.organization.models import Worker
from clienteling.timeline.models import Activity, ActivityType, Note
from tests.factories import CustomerFactory, LegalEntityFactory, WorkerFactory

ROOT = Path(__file__).resolve().parents[2]
ROUTER = "clienteling.config.db_router.PrimaryReplicaRouter"


# Every test may use both aliases; data is committed so that both connections see it.
pytestmark = pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup) -> Iterator[None]:
    """``replica``: a second connection to the test database, mirroring the primary (as
    ``DATABASE_REPLICA_URL`` configures it, TEST MIRROR included)."""
    replica_settings = copy.deepcopy(connections[PRIMARY].settings_dict)
    replica_settings["TEST"]["MIRROR"] = PRIMARY
    connections.settings[REPLICA] = replica_settings
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica(settings) -> BaseDatabaseWrapper:
    """The router installed, as the settings install it with a replica."""
    settings.DATABASE_ROUTERS = [ROUTER]
    return connections[REPLICA]


class Queries:
    """The queries each connection ran inside the block."""

    def __init__(self) -> None:
        self.primary = CaptureQueriesContext(connections[PRIMARY])
        self.replica = CaptureQueriesContext(connections[REPLICA])

    def __enter__(self) -> Queries:
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def on_primary(self, table: str) -> int:
        return sum(table in query["sql"] for query in self.primary.captured_queries)

    def on_replica(self, table: str) -> int:
        return sum(table in query["sql"] for query in self.replica.captured_queries)


CUSTOMERS = Customer._meta.db_table


def test_a_page_reads_from_the_replica(replica):
    customer = CustomerFactory.create()
    with replica_reads(), Queries() as queries:
        found = list(Customer.objects.filter(pk=customer.pk))
    assert found == [customer]
    assert found[0]._state.db == REPLICA
    assert (queries.on_replica(CUSTOMERS), queries.on_primary(CUSTOMERS)) == (1, 0)


def test_writes_go_to_the_primary(replica):
    legal_entity = LegalEntityFactory.create()
    with replica_reads(), Queries() as queries:
        CustomerFactory.create(legal_entity=legal_entity, account="A1")
        Customer.objects.filter(account="A1").update(first_name="Ada")
    assert queries.on_primary(CUSTOMERS) == 2
    assert queries.on_replica(CUSTOMERS) == 0


def test_after_a_write_the_request_reads_what_it_wrote_from_the_primary(replica):
    legal_entity = LegalEntityFactory.create()
    with replica_reads(), Queries() as queries:
        assert not Customer.objects.filter(account="A1").exists()
        written = CustomerFactory.create(legal_entity=legal_entity, account="A1")
        read = Customer.objects.get(account="A1")
    assert read == written
    assert read._state.db == PRIMARY
    assert queries.on_replica(CUSTOMERS) == 1


def test_reads_inside_a_transaction_go_to_the_primary(replica):
    customer = CustomerFactory.create()
    with replica_reads(), Queries() as queries:
        with transaction.atomic():
            assert Customer.objects.get(pk=customer.pk)._state.db == PRIMARY
        # A transaction that only read leaves the replica to the reads after it.
        assert Customer.objects.get(pk=customer.pk)._state.db == REPLICA
    assert (queries.on_primary(CUSTOMERS), queries.on_replica(CUSTOMERS)) == (1, 1)


def test_reads_outside_a_request_go_to_the_primary(replica):
    """Commands and background jobs mix reads and writes: they never read the replica."""
    customer = CustomerFactory.create()
    with Queries() as queries:
        assert Customer.objects.get(pk=customer.pk)._state.db == PRIMARY
    assert queries.on_replica(CUSTOMERS) == 0


def test_sessions_and_api_tokens_are_always_read_from_the_primary(replica):
    with replica_reads():
        assert Session.objects.all().db == PRIMARY
        assert ApiToken.objects.all().db == PRIMARY
        assert Customer.objects.all().db == REPLICA


def test_what_fills_the_shared_cache_is_read_from_the_primary(replica):
    """A cached entry filled from a replica a moment behind would outlive the change."""
    with replica_reads():
        assert Permission.objects.all().db == PRIMARY
        assert Worker.objects.all().db == PRIMARY
        assert ActivityType.objects.all().db == PRIMARY
        assert InsightsSettings.objects.all().db == PRIMARY
        assert Activity.objects.all().db == REPLICA


def test_migrations_run_on_the_primary_only(replica):
    assert router.allow_migrate_model(PRIMARY, Customer)
    assert not router.allow_migrate_model(REPLICA, Customer)
    assert not router.allow_migrate(REPLICA, "sessions")


def test_an_object_read_from_the_replica_may_be_related_to_one_from_the_primary(replica):
    customer = CustomerFactory.create()
    author = WorkerFactory.create(legal_entity=customer.legal_entity)
    with replica_reads():
        from_replica = Customer.objects.get(pk=customer.pk)
        assert from_replica._state.db == REPLICA
        note = Note.objects.create(
            legal_entity=customer.legal_entity,
            customer=from_replica,
            author=author,
            text="Prefers white gold.",
            created_at=timezone.now(),
        )
    assert note._state.db == PRIMARY
    assert Note.objects.filter(customer=customer).count() == 1


def serve(request: HttpRequest, *, write: bool = False) -> tuple[HttpResponseBase, list[str]]:
    """The middleware around a view that reads customers (and writes first, if asked);
    answers the response and the aliases the view's reads used."""
    used: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        used.append(Customer.objects.all().db)
        if write:
            CustomerFactory.create()
            used.append(Customer.objects.all().db)
        return HttpResponse("ok")

    return ReplicaReadsMiddleware(view)(request), used


def test_a_get_reads_the_replica_and_pins_nothing(replica):
    response, used = serve(RequestFactory().get("/book/"))
    assert used == [REPLICA]
    assert PIN_COOKIE not in response.cookies


def test_a_post_reads_the_primary_and_pins_the_next_pages_to_it(replica, settings):
    settings.REPLICA_PIN_SECONDS = 7
    response, used = serve(RequestFactory().post("/notes/"), write=True)
    assert used == [PRIMARY, PRIMARY]
    assert response.cookies[PIN_COOKIE]["max-age"] == 7
    assert response.cookies[PIN_COOKIE]["httponly"]

    after = RequestFactory().get("/book/")
    after.COOKIES[PIN_COOKIE] = "1"
    assert serve(after)[1] == [PRIMARY]


def test_a_post_that_wrote_nothing_pins_nothing(replica):
    response, used = serve(RequestFactory().post("/notes/"))
    assert used == [PRIMARY]
    assert PIN_COOKIE not in response.cookies


def test_a_get_that_writes_reads_the_primary_after_its_write(replica):
    response, used = serve(RequestFactory().get("/book/"), write=True)
    assert used == [REPLICA, PRIMARY]
    assert PIN_COOKIE not in response.cookies


def test_a_streamed_body_reads_like_its_request(replica):
    """An export's rows are read while the body streams, after the middleware returned."""
    used: list[str] = []

    def rows() -> Iterator[bytes]:
        for _ in range(2):
            used.append(Customer.objects.all().db)
            yield b"row\n"

    def view(request: HttpRequest) -> StreamingHttpResponse:
        return StreamingHttpResponse(rows())

    response = ReplicaReadsMiddleware(view)(RequestFactory().get("/book/export.csv"))
    assert isinstance(response, StreamingHttpResponse)
    assert b"".join(response.streaming_content) == b"row\nrow\n"  # type: ignore[arg-type]
    assert used == [REPLICA, REPLICA]
    # Between chunks, and after the body, nothing is left routed to the replica.
    assert Customer.objects.all().db == PRIMARY


def settings_with(**env: str) -> dict[str, object]:
    code = (
        "import json, clienteling.config.settings as s; print(json.dumps({"
        "'aliases': sorted(s.DATABASES), 'routers': getattr(s, 'DATABASE_ROUTERS', []),"
        "'mirror': s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'),"
        "'first_middleware': s.MIDDLEWARE[0]}))"
    )
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "PYTHONPATH": str(ROOT / "src"), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_without_a_replica_there_is_no_router():
    loaded = settings_with()
    assert loaded["aliases"] == ["default"]
    assert loaded["routers"] == []
    assert loaded["first_middleware"] != "clienteling.config.db_router.ReplicaReadsMiddleware"


def test_a_replica_url_adds_the_alias_the_router_and_its_middleware():
    loaded = settings_with(DATABASE_REPLICA_URL="postgresql://reader@replica.example:5432/cl")
    assert loaded["aliases"] == ["default", "replica"]
    assert loaded["routers"] == [ROUTER]
    # Tests read the replica as the primary itself.
    assert loaded["mirror"] == "default"
    assert loaded["first_middleware"] == "clienteling.config.db_router.ReplicaReadsMiddleware"
