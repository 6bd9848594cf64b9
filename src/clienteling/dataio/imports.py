"""Reading a retailer's CSV files into the product (R-IO-2).

A file is streamed with Python's ``csv`` module and handed in batches to the bulk path of the
service that owns the data (``customers_upsert``, ``sales_upsert`` …), so every line meets the
rules the store app and the API apply, and memory stays flat however long the file is. A line
that breaks a rule is rejected with its line number, the column and the reason; the others
are written. A file whose header is wrong is refused before any line is read.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import sys
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, connection, connections, reset_queries, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from clienteling.attributes.models import AttributeValue
from clienteling.attributes.values import FALSE_WORDS, TRUE_WORDS
from clienteling.clientbooks.models import Membership, StoreEntry
from clienteling.clientbooks.services import attribute_values_upsert, book_assignments_upsert
from clienteling.core.errors import Invalid
from clienteling.core.text import is_safe_text
from clienteling.customers.models import Customer
from clienteling.customers.services import customers_upsert
from clienteling.dataio import columns as formats
from clienteling.dataio.columns import FORMULA_START
from clienteling.organization.models import LegalEntity
from clienteling.sales.models import SaleLine
from clienteling.sales.services import Line, sales_check, sales_upsert, sales_write
from clienteling.timeline.models import Activity, BookEvent
from clienteling.timeline.services import activities_import

# Lines a batch hands to its service, in one transaction; sales lines are small and many.
BATCH = 2000
SALES_BATCH = 2500
# Batches SQLite commits together: each commit writes to the log every page its
# transaction changed, and a batch of sales lines changes a page of the customer index per
# line (measured at a million lines: commits took 17.6 s of the import one batch at a
# time, 4.2 s ten at a time).
BATCHES_PER_COMMIT = 10
# Lines imported after which the tables' statistics are taken again.
ANALYZE_AFTER = 10_000
# Seconds a thread runs before another may take the interpreter, while a writer thread is on.
SWITCH_INTERVAL = 0.0005
# A field longer than this is a broken file (an unclosed quote swallowing the rest), not data.
MAX_FIELD = 100_000

Row = dict[str, str]
# A batch's rows, each with its line number and its values as read.
Batch = list[tuple[int, list[str], Row]]
Apply = Callable[[LegalEntity, Sequence[Row], frozenset[str]], dict[int, Invalid]]
# A kind whose service comes in two halves: a check that writes nothing, answering what is
# to be written and the refused rows; and the write of what the check accepted.
Check = Callable[[LegalEntity, Sequence[Row]], tuple[Any, dict[int, Invalid]]]
Write = Callable[[LegalEntity, Any], None]


@dataclass(frozen=True)
class Kind:
    """A kind of file: its columns and the bulk service its lines go to. ``apply`` gets the
    batch's rows (every column of the header, stripped) and the header's columns, and answers
    the refused rows by index, each naming its column."""

    name: str
    columns: formats.Columns
    apply: Apply
    batch: int = BATCH
    halves: tuple[Check, Write] | None = None
    # The tables its lines fill, whose statistics are brought up to date after a large import.
    tables: tuple[type[Model], ...] = ()


KINDS: dict[str, Kind] = {}


def kind(
    name: str,
    *,
    tables: tuple[type[Model], ...],
    batch: int = BATCH,
    halves: tuple[Check, Write] | None = None,
) -> Callable[[Apply], Apply]:
    def register(apply: Apply) -> Apply:
        KINDS[name] = Kind(name, formats.BY_KIND[name], apply, batch, halves, tables)
        return apply

    return register


def kind_get(name: str) -> Kind:
    found = KINDS.get(name)
    if found is None:
        raise Invalid(
            _("Unknown kind of import %(kind)s; use one of: %(kinds)s.")
            % {"kind": name, "kinds": ", ".join(sorted(KINDS))},
            field="kind",
            rule="unknown",
        )
    return found


@dataclass(frozen=True)
class Reject:
    line: int
    column: str
    reason: str
    fields: list[str]


@dataclass
class Outcome:
    imported: int = 0
    rejected: int = 0
    header: list[str] = field(default_factory=list)


def count_lines(stream: IO[bytes]) -> int:
    """The physical lines after the header, for progress (a quoted line break counts too)."""
    stream.seek(0)
    count = 0
    last = b"\n"
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    stream.seek(0)
    return max(count + (last != b"\n") - 1, 0)


def import_stream(
    *,
    kind: Kind,
    legal_entity: LegalEntity,
    stream: IO[bytes],
    on_reject: Callable[[Reject], None],
    on_progress: Callable[[int, int, int], None] = lambda processed, imported, rejected: None,
) -> Outcome:
    """Import every line of ``stream``. Raises Invalid, before writing anything, when the file
    is not a CSV of the kind's columns. ``on_progress`` gets the lines processed, imported and
    rejected so far, after each batch."""
    text, reader = _open(stream)
    try:
        header = _header(kind, next(reader))
        outcome = Outcome(header=header)
        run = _Run(kind, legal_entity, frozenset(header), outcome, on_reject, on_progress)
        batches = _batches(reader, header, kind.batch)
        if kind.halves is not None and _may_overlap():
            _import_overlapped(run, batches)
        else:
            _import_in_turn(run, batches)
        if outcome.imported >= ANALYZE_AFTER:
            _analyze(kind.tables)
    finally:
        text.detach()
    return outcome


@dataclass(frozen=True)
class _Run:
    """An import under way: what each batch is checked against, and where its results go."""

    kind: Kind
    legal_entity: LegalEntity
    columns: frozenset[str]
    outcome: Outcome
    on_reject: Callable[[Reject], None]
    on_progress: Callable[[int, int, int], None]

    def report(
        self, processed: int, batch: Batch, refused: Mapping[int, Invalid], rejects: list[Reject]
    ) -> None:
        """Count a written batch, report its rejects in line order, then the progress."""
        outcome = self.outcome
        outcome.imported += len(batch) - len(refused)
        for index, error in refused.items():
            line, fields, _row = batch[index]
            rejects.append(Reject(line, error.field or "", str(error.message), fields))
        outcome.rejected += len(rejects)
        for reject in sorted(rejects, key=lambda reject: reject.line):
            self.on_reject(reject)
        self.on_progress(processed, outcome.imported, outcome.rejected)


def _import_in_turn(run: _Run, batches: Iterator[tuple[int, Batch, list[Reject]]]) -> None:
    """Check and write each batch in turn on this connection, reporting each; on SQLite
    ``BATCHES_PER_COMMIT`` batches commit together."""
    per_commit = BATCHES_PER_COMMIT if connection.vendor == "sqlite" else 1
    while True:
        taken = 0
        with transaction.atomic():
            for processed, batch, rejects in itertools.islice(batches, per_commit):
                taken += 1
                # With DEBUG on, Django keeps the last 9,000 statements: a batch's INSERT is large.
                reset_queries()
                rows = _rows_of(batch)
                refused = run.kind.apply(run.legal_entity, rows, run.columns) if batch else {}
                run.report(processed, batch, refused, rejects)
        if taken < per_commit:
            return


def _analyze(tables: Iterable[type[Model]]) -> None:
    """Bring the database's statistics of these tables up to date, as one does after a bulk
    load. Without them PostgreSQL planned the next import's customer lookup as a scan of the
    whole legal entity (310 ms for 5,000 accounts, against 60 ms by the account's index)
    until autovacuum came round to the table."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def _batches(
    reader: Any, header: list[str], size: int
) -> Iterator[tuple[int, Batch, list[Reject]]]:
    """The file in batches of ``size`` rows, each with the lines read so far and the lines
    rejected since the last batch; the last batch may be empty."""
    batch: Batch = []
    rejects: list[Reject] = []
    for item in _rows(reader, header):
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield reader.line_num - 1, batch, rejects
            batch, rejects = [], []
    yield reader.line_num - 1, batch, rejects


def _rows_of(batch: Batch) -> list[Row]:
    return [row for _line, _fields, row in batch]


def _may_overlap() -> bool:
    """Whether a batch may be written on a connection of its own while the next is checked:
    on PostgreSQL, whose work then runs in its own process beside this one, and only outside
    a transaction (another connection would not see what the caller has not committed)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


@dataclass
class _Writing:
    """A batch handed to the writer thread: what the check found, and the write under way."""

    processed: int
    batch: Batch
    rejects: list[Reject]
    refused: dict[int, Invalid]
    written: Future[dict[int, Invalid] | None]


def _import_overlapped(run: _Run, batches: Iterator[tuple[int, Batch, list[Reject]]]) -> None:
    """Check each batch here while the one before is written in a second thread, on its own
    database connection: the checking is Python, the writing mostly waits for the database,
    so the two overlap on two cores. Batches are written one at a time, in file order, and
    reported in order once written."""
    kind, legal_entity = run.kind, run.legal_entity
    assert kind.halves is not None
    check = kind.halves[0]
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
    # The writer needs the interpreter only between its waits on the database; at the
    # default 5 ms switch interval each of a batch's round trips waited that long for it
    # (measured: 10 % of the import's time).
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    writing: _Writing | None = None
    try:
        writer.submit(_commit_without_waiting).result()
        for processed, batch, rejects in batches:
            reset_queries()
            rows = _rows_of(batch)
            accepted, refused = check(legal_entity, rows) if batch else (None, {})
            if writing is not None:
                _finish(writing, run)
            written = writer.submit(
                _write_or_again, kind, legal_entity, rows, run.columns, accepted
            )
            writing = _Writing(processed, batch, rejects, refused, written)
        if writing is not None:
            _finish(writing, run)
        writer.submit(_durable).result()
    finally:
        # Waits for a write under way; the thread's connection is closed in the thread.
        writer.submit(connections.close_all)
        writer.shutdown(wait=True)
        sys.setswitchinterval(switch)


def _commit_without_waiting() -> None:
    """The writer's batches commit without waiting for the log to reach the disk: a crash
    can lose the last batches written (each whole; the database stays consistent), and the
    import ends with a commit that waits (``_durable``), which makes every batch before it
    durable. An import is an upsert: run again after a crash, it brings back what was lost."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")


def _durable() -> None:
    """A commit that waits for the log, with a transaction id so that it writes a commit
    record: it makes every batch committed before it durable."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO ON")
        cursor.execute("SELECT txid_current()")


def _write_or_again(
    kind: Kind, legal_entity: LegalEntity, rows: list[Row], columns: frozenset[str], accepted: Any
) -> dict[int, Invalid] | None:
    """Write what the check accepted; None when it was written as checked. When something
    the check relied on changed before the write (a customer deleted meanwhile), the batch
    goes through the whole service again, checked and written in one transaction, and its
    refused rows are the answer."""
    assert kind.halves is not None
    reset_queries()
    if not rows:
        return None
    try:
        kind.halves[1](legal_entity, accepted)
    except IntegrityError:
        return kind.apply(legal_entity, rows, columns)
    return None


def _finish(writing: _Writing, run: _Run) -> None:
    """Wait for a batch's write, then count it and report its rejects."""
    again = writing.written.result()
    refused = writing.refused if again is None else again
    run.report(writing.processed, writing.batch, refused, writing.rejects)


def read_header(kind: Kind, stream: IO[bytes]) -> list[str]:
    """The columns of the file's header; Invalid unless they are the kind's."""
    text, reader = _open(stream)
    try:
        return _header(kind, next(reader))
    finally:
        text.detach()


def _open(stream: IO[bytes]) -> tuple[io.TextIOWrapper, Any]:
    """The file as text and as a CSV reader, with the delimiter of its header (Excel writes
    ``;`` where the decimal separator is a comma)."""
    # Bytes that are not UTF-8 become lone surrogates, which the text check then rejects
    # on their own line and column; the rest of the file still imports.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    first = text.readline()
    if not first.strip():
        text.detach()
        raise Invalid(_("The file is empty."), field="file", rule="empty")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return text, csv.reader(itertools.chain([first], text), delimiter=delimiter, strict=False)


def _header(kind: Kind, raw: list[str]) -> list[str]:
    header = [name.strip().lower() for name in raw]
    for name in header:
        if name not in kind.columns.all and name not in kind.columns.ignored:
            raise Invalid(
                _("Unknown column %(column)s; the columns of %(kind)s are: %(columns)s.")
                % {"column": name, "kind": kind.name, "columns": ", ".join(kind.columns.all)},
                field=name or "header",
                rule="unknown_column",
            )
    repeated = next((name for name in header if header.count(name) > 1), None)
    if repeated is not None:
        raise Invalid(
            _("Column %(column)s appears twice.") % {"column": repeated},
            field=repeated,
            rule="duplicate_column",
        )
    missing = [name for name in kind.columns.all if name in kind.columns.required - set(header)]
    if missing:
        raise Invalid(
            _("Column %(column)s is required.") % {"column": missing[0]},
            field=missing[0],
            rule="required_column",
        )
    return header


def _rows(reader: Any, header: list[str]) -> Iterator[Reject | tuple[int, list[str], Row]]:
    """Each line of the file as its first physical line number, its values and the row by
    column; or, when it cannot be read as a row of the header's columns, its reject."""
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Reject(line, "", _("unreadable: %s") % error, [])
            continue
        if not fields or fields == [""]:
            continue
        # The whole line is looked at once; each value only when the line needs it.
        joined = "".join(fields)
        if len(joined) > MAX_FIELD and any(len(value) > MAX_FIELD for value in fields):
            reason = _("a value is longer than %(max)d characters") % {"max": MAX_FIELD}
            yield Reject(line, "", reason, [])
        elif len(fields) != len(header):
            reason = _("has %(found)d values; the header has %(expected)d columns") % {
                "found": len(fields),
                "expected": len(header),
            }
            yield Reject(line, "", reason, fields)
        else:
            values = [value.strip() for value in fields]
            if "'" in joined:
                values = [_unescaped(value) for value in values]
            row = dict(zip(header, values, strict=True))
            if is_safe_text(joined):
                yield line, fields, row
            else:
                unsafe = next(name for name, value in row.items() if not is_safe_text(value))
                reason = _("contains a character that is not allowed, or is not UTF-8 text")
                yield Reject(line, unsafe, reason, fields)


def _unescaped(value: str) -> str:
    """The value an export wrote as ``'=…``, ``'+…`` (so that a spreadsheet shows it as text,
    not a formula) comes back without the apostrophe: an export imports again as it was."""
    if value[:1] == "'" and value[1:2] in FORMULA_START:
        return value[1:]
    return value


class RejectsWriter:
    """The rejects file: ``line,column,reason`` then the rejected line's own columns, in the
    file's own bytes (a line rejected for not being UTF-8 comes back as it was)."""

    def __init__(self, target: IO[bytes], header: Sequence[str]) -> None:
        self._text = codecs.getwriter("utf-8")(target, "surrogateescape")
        self._csv = csv.writer(self._text, lineterminator="\r\n")
        self._csv.writerow(["line", "column", "reason", *header])

    def __call__(self, reject: Reject) -> None:
        self._csv.writerow([reject.line, reject.column, reject.reason, *reject.fields])


# The kinds. Each turns the file's text into what its service takes, and names columns back.


def _boolean(row: Row, name: str) -> bool:
    value = row[name].lower()
    if value in TRUE_WORDS or value in FALSE_WORDS or not value:
        return value in TRUE_WORDS
    raise Invalid(_("must be true or false"), field=name, rule="boolean")


CUSTOMER_FIELDS: Mapping[str, str] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "street": "street",
    "city": "city",
    "postal_code": "postal_code",
    "country": "country",
    "language": "preferred_language",
}
CONSENTS = ("consent_email", "consent_phone", "consent_sms")


def _through(
    rows: Sequence[Row],
    prepare: Callable[[Row], Any],
    service: Callable[[list[Any]], dict[int, Invalid]],
) -> dict[int, Invalid]:
    """Turn each row into what ``service`` takes (``prepare`` may refuse it), call the
    service once with the rows kept, and answer every refusal by the row's index."""
    refused: dict[int, Invalid] = {}
    kept: list[int] = []
    prepared: list[Any] = []
    for index, row in enumerate(rows):
        try:
            prepared.append(prepare(row))
        except Invalid as error:
            refused[index] = error
            continue
        kept.append(index)
    for position, refusal in service(prepared).items():
        refused[kept[position]] = refusal
    return refused


@kind("customers", tables=(Customer, Customer.address_books.through))
def _customers(
    legal_entity: LegalEntity, rows: Sequence[Row], columns: frozenset[str]
) -> dict[int, Invalid]:
    given = [name for name in (*CUSTOMER_FIELDS, *CONSENTS) if name in columns]
    fields = [CUSTOMER_FIELDS.get(name, name) for name in given]
    books = "address_books" in columns

    def prepare(row: Row) -> dict[str, Any]:
        record: dict[str, Any] = {"account": row["account"]}
        for name, target in zip(given, fields, strict=True):
            record[target] = _boolean(row, name) if name in CONSENTS else row[name]
        if books:
            codes = row["address_books"].replace("|", ";").split(";")
            record["address_books"] = [code.strip() for code in codes if code.strip()]
        return record

    def upsert(records: list[dict[str, Any]]) -> dict[int, Invalid]:
        refused = customers_upsert(
            legal_entity=legal_entity, records=records, fields=fields, address_books=books
        )
        names = {target: name for name, target in CUSTOMER_FIELDS.items()}
        for error in refused.values():
            error.field = names.get(error.field or "", error.field)
        return refused

    return _through(rows, prepare, upsert)


@kind("attribute-values", tables=(AttributeValue, Membership, StoreEntry))
def _attribute_values(
    legal_entity: LegalEntity, rows: Sequence[Row], columns: frozenset[str]
) -> dict[int, Invalid]:
    return attribute_values_upsert(
        legal_entity=legal_entity,
        rows=[(row["account"], row["attribute"], row["value"]) for row in rows],
    )


@kind("book-assignments", tables=(Membership, StoreEntry, BookEvent))
def _book_assignments(
    legal_entity: LegalEntity, rows: Sequence[Row], columns: frozenset[str]
) -> dict[int, Invalid]:
    return book_assignments_upsert(
        legal_entity=legal_entity, rows=[(row["account"], row["worker"]) for row in rows]
    )


@kind("activities", tables=(Activity, Membership, StoreEntry))
def _activities(
    legal_entity: LegalEntity, rows: Sequence[Row], columns: frozenset[str]
) -> dict[int, Invalid]:
    zone = zoneinfo.ZoneInfo(legal_entity.time_zone)

    def prepare(row: Row) -> dict[str, Any]:
        return {
            **{name: row.get(name, "") for name in formats.ACTIVITIES.all},
            "occurred_at": moment(row["occurred_at"], "occurred_at", zone),
        }

    return _through(
        rows,
        prepare,
        lambda prepared: activities_import(legal_entity=legal_entity, rows=prepared),
    )


def _sales_check(
    legal_entity: LegalEntity, rows: Sequence[Row]
) -> tuple[list[Line], dict[int, Invalid]]:
    return sales_check(legal_entity=legal_entity, lines=rows)


def _sales_write(legal_entity: LegalEntity, accepted: list[Line]) -> None:
    sales_write(legal_entity=legal_entity, accepted=accepted)


@kind(
    "sales",
    tables=(SaleLine, Membership, StoreEntry),
    batch=SALES_BATCH,
    halves=(_sales_check, _sales_write),
)
def _sales(
    legal_entity: LegalEntity, rows: Sequence[Row], columns: frozenset[str]
) -> dict[int, Invalid]:
    return sales_upsert(legal_entity=legal_entity, lines=rows)


def moment(raw: str, column: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """An ISO 8601 date or date-time; without an offset, in ``zone`` (the legal entity's: a
    date alone is its midnight there)."""
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            _("must be an ISO 8601 date or date-time, e.g. 2026-11-24T15:30:00+01:00"),
            field=column,
            rule="datetime",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value
