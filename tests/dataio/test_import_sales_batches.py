"""A sales file of many batches (R-IO-2, R-SALE-1). On PostgreSQL, outside a transaction,
each batch is written on a second connection while the next is checked; on SQLite, or inside
a transaction, one after the other. Either way the outcome is the same."""

from __future__ import annotations

import dataclasses
import io
import threading

import pytest
from django.db import connection, transaction

from clienteling.customers.models import Customer
from clienteling.dataio import imports
from clienteling.dataio.services import import_file
from clienteling.sales.models import SaleLine
from tests.dataio.conftest import csv_bytes, run_import
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "transaction,line,account,sold_at,store,category,amount"


@pytest.fixture
def small_batches(monkeypatch):
    """Sales in batches of 3 lines, and the names of the threads that wrote them."""
    sales = imports.KINDS["sales"]
    assert sales.halves is not None
    check, write = sales.halves
    writers: list[str] = []

    def recorded(legal_entity, accepted):
        writers.append(threading.current_thread().name)
        write(legal_entity, accepted)

    monkeypatch.setitem(
        imports.KINDS, "sales", dataclasses.replace(sales, batch=3, halves=(check, recorded))
    )
    return writers


def test_every_batch_is_written_in_file_order_with_its_rejects_in_line_order(
    legal_entity, store, small_batches
):
    """The rejects of each batch come in line order; a line sent again in a later batch wins
    over the earlier one; progress reaches the whole file."""
    for account in ("IT1", "IT2"):
        CustomerFactory.create(legal_entity=legal_entity, account=account)
    data = csv_bytes(
        HEADER,
        "T1,1,IT1,2026-03-01,MI01,Handbags,100",
        "T1,2,IT9,2026-03-01,MI01,Shoes,10",
        "T1,3,IT2,2026-03-01,MI01,Shoes,20",
        "T2,1,IT2,2026-03-02,MI01,Shoes,ten",
        "T2,2,IT2,2026-03-02,,Shoes,30",
        "T1,1,IT1,2026-03-01,MI01,Handbags,150",
        "T3,1,IT1,2026-03-03,XX01,Shoes,5",
        "T3,2,IT1,2026-03-03,MI01,Jewellery,40",
    )
    progress: list[tuple[int, int, int]] = []
    rejects = io.BytesIO()
    outcome = import_file(
        legal_entity=legal_entity,
        kind="sales",
        source=io.BytesIO(data),
        rejects=rejects,
        on_progress=lambda *counts: progress.append(counts),
    )
    rows = rejects.getvalue().decode().splitlines()
    assert (outcome.imported, outcome.rejected) == (5, 3)
    assert [row.split(",")[:2] for row in rows[1:]] == [
        ["3", "account"],
        ["5", "amount"],
        ["8", "store"],
    ]
    assert progress[-1] == (8, 5, 3)
    assert [counts[0] for counts in progress] == sorted(counts[0] for counts in progress)
    amounts = {
        (t, n): int(a) for t, n, a in SaleLine.objects.values_list("transaction", "line", "amount")
    }
    assert amounts == {("T1", 1): 150, ("T1", 3): 20, ("T2", 2): 30, ("T3", 2): 40}
    on_postgresql = connection.vendor == "postgresql"
    assert bool(small_batches) == on_postgresql
    assert all(name.startswith("import-writer") for name in small_batches)


def test_a_customer_deleted_between_check_and_write_makes_the_batch_go_again(legal_entity, store):
    """The write fails on the lines' foreign key and changes nothing; the batch then goes
    through the whole service, which refuses the deleted customer's line by its column."""
    keep = CustomerFactory.create(legal_entity=legal_entity, account="IT1")
    gone = CustomerFactory.create(legal_entity=legal_entity, account="IT2")
    sales = imports.KINDS["sales"]
    assert sales.halves is not None
    rows = [
        {
            "transaction": "T1",
            "line": "1",
            "account": "IT1",
            "sold_at": "2026-03-01",
            "amount": "10",
        },
        {
            "transaction": "T1",
            "line": "2",
            "account": "IT2",
            "sold_at": "2026-03-01",
            "amount": "20",
        },
    ]
    accepted, refused = sales.halves[0](legal_entity, rows)
    assert len(accepted) == 2 and refused == {}
    Customer.objects.filter(pk=gone.pk).delete()
    again = imports._write_or_again(
        sales, legal_entity, rows, frozenset(HEADER.split(",")), accepted
    )
    assert again is not None and list(again) == [1]
    assert again[1].field == "account" and again[1].rule == "unknown"
    assert list(SaleLine.objects.values_list("customer_id", "amount")) == [(keep.pk, 10)]


def test_inside_a_transaction_the_batches_are_written_on_its_own_connection(
    legal_entity, store, small_batches
):
    """Another connection would not see what the caller has not committed: here the
    customer exists only in the caller's transaction."""
    with transaction.atomic():
        CustomerFactory.create(legal_entity=legal_entity, account="IT1")
        data = csv_bytes(HEADER, *(f"T{n},1,IT1,2026-03-01,MI01,Shoes,{n}" for n in range(1, 8)))
        outcome, _rows = run_import(legal_entity, "sales", data)
    assert (outcome.imported, outcome.rejected) == (7, 0)
    assert small_batches == []
    assert SaleLine.objects.count() == 7


def test_on_sqlite_batches_commit_together_and_report_progress_one_by_one(
    legal_entity, store, small_batches, monkeypatch
):
    """SQLite commits several batches at once (each commit writes every page it changed);
    progress still comes after each batch. On PostgreSQL the writer's connection commits."""
    CustomerFactory.create(legal_entity=legal_entity, account="IT1")
    monkeypatch.setattr(imports, "BATCHES_PER_COMMIT", 4)
    commits: list[int] = []
    commit = connection.commit

    def counted() -> None:
        commits.append(1)
        commit()

    monkeypatch.setattr(connection, "commit", counted)
    data = csv_bytes(HEADER, *(f"T{n},1,IT1,2026-03-01,MI01,Shoes,{n}" for n in range(1, 41)))
    progress: list[tuple[int, int, int]] = []
    outcome = import_file(
        legal_entity=legal_entity,
        kind="sales",
        source=io.BytesIO(data),
        rejects=io.BytesIO(),
        on_progress=lambda *counts: progress.append(counts),
    )
    assert (outcome.imported, outcome.rejected) == (40, 0)
    assert [counts[0] for counts in progress] == [*range(3, 40, 3), 40]
    assert SaleLine.objects.count() == 40
    # 40 lines in batches of 3: 14 batches, the last of one line.
    on_sqlite = connection.vendor == "sqlite"
    assert len(commits) == (4 if on_sqlite else 0)
    assert len(small_batches) == (0 if on_sqlite else 14)
