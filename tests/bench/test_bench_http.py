"""`make bench-http` (issue "Pages at the floor"): its verdicts follow the targets, and it
writes its table between the markers of docs/performance.md and nowhere else."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from clienteling.bench.management.commands import bench_http
from clienteling.bench.management.commands.bench_http import Command, Measured, Page

OPTIONS = {"workers": 2, "requests": 200, "warmup": 20}


def measured(kind: str, p50: float, p95: float, queries: int = 5, face: str = "api") -> Measured:
    return Measured(Page(f"{face} {kind}", "/x", face, kind), p50, p95, queries, 1.0, 0)


def verdicts(table: str) -> dict[str, bool]:
    lines = [line[2:] for line in table.splitlines() if line.startswith("- ")]
    return {line.split(": ", 1)[1]: line.startswith("met") for line in lines}


def test_pages_within_the_targets_are_met():
    table = Command().table(
        [
            measured("me", 10, 12, queries=2),
            measured("book", 15, 25),
            measured("store", 19, 45),
            measured("page 100", 16, 28),
            measured("today", 19, 48),
        ],
        OPTIONS,
        "postgresql database bench",
    )
    assert "Targets met: 10 of 10." in table
    assert "| api book | 15.0 | 25.0 | 1.5 | 5 | 1.0 | 0 |" in table


def test_each_target_missed_is_named():
    table = Command().table(
        [
            measured("me", 10, 12, queries=6),
            measured("book", 25, 31),
            measured("store", 19, 51),
            measured("page 100", 31, 20),
            measured("today", 19, 52),
        ],
        OPTIONS,
        "postgresql database bench",
    )
    found = verdicts(table)
    assert found["`/api/v1/me` in at most 2 queries (6 queries)"] is False
    assert found["api book: p50 at most twice `/api/v1/me` (2.5 times)"] is False
    assert found["api book: p95 ≤ 30 ms (31.0 ms)"] is False
    assert found["api store: p95 ≤ 50 ms (51.0 ms)"] is False
    assert found["api store: p50 at most twice `/api/v1/me` (1.9 times)"] is True
    assert found["page 100 within 20 % of page 1 (+24 %)"] is False
    assert found["api today: p95 ≤ 50 ms (52.0 ms)"] is False


def test_the_table_replaces_only_what_is_between_the_markers(tmp_path, monkeypatch):
    docs = tmp_path / "performance.md"
    docs.write_text(f"before\n{bench_http.START}\nold table\n{bench_http.END}\nafter\n")
    monkeypatch.setattr(bench_http, "DOCS", docs)

    Command().write_docs("| new | table |\n")

    text = docs.read_text()
    assert text.startswith("before\n") and text.endswith("after\n")
    assert "old table" not in text and "| new | table |" in text


def test_documents_without_markers_are_left_alone(tmp_path, monkeypatch):
    docs = tmp_path / "performance.md"
    docs.write_text("no markers\n")
    monkeypatch.setattr(bench_http, "DOCS", docs)

    with pytest.raises(CommandError, match="markers"):
        Command().write_docs("| new | table |\n")
    assert docs.read_text() == "no markers\n"
