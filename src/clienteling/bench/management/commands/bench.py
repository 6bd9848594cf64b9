"""``make bench``: client book pages at the scale of R-SCALE-1, against their SQL floor.

Each measure runs the real selector or service as the ``bench`` worker, and beside it the one
hand-written SQL query that returns the same rows: the floor no ORM can beat. Reports p50
and p95 over repeated runs and the number of queries, at two page sizes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clienteling.attributes.models import Attribute
from clienteling.bench.imports import measure_imports
from clienteling.bench.management.commands.seed_scale import LEGAL_ENTITY
from clienteling.clientbooks import selectors, services
from clienteling.clientbooks.filters import upcoming_ranges
from clienteling.clientbooks.models import Membership
from clienteling.customers.models import Customer
from clienteling.dataio import exports
from clienteling.demo.production import refuse_production
from clienteling.engagement import selectors as engagement_selectors
from clienteling.engagement import services as engagement_services
from clienteling.engagement.models import EmailTemplate
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline import selectors as timeline_selectors
from clienteling.timeline import services as timeline_services

FILTERS = {
    "attr.PREF_CATEGORY": "Handbags",
    "attr.ANNIVERSARY.min": "1980-01-01",
    "attr.ANNIVERSARY.max": "1999-12-31",
    "upcoming.BIRTHDAY": "14",
}
CARD_COLUMNS = "c.account, c.first_name, c.last_name, c.email, c.phone"
MEASURES = ("a", "b", "c", "c2", "d", "e", "timeline", "today", "outreach")


class Command(BaseCommand):
    help = "Measure client book pages and reassignment at scale (generates the data if absent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=None, help="passed to seed_scale")
        parser.add_argument("--runs", type=int, default=30, help="timed runs per measure")
        parser.add_argument("--json", action="store_true", help="print the results as JSON too")
        parser.add_argument(
            "--import-customers",
            type=int,
            default=1_000_000,
            help="customers to import into a scratch database (R-IO-2); 0 skips the imports",
        )
        parser.add_argument(
            "--import-sales", type=int, default=1_000_000, help="sales lines imported after them"
        )
        parser.add_argument(
            "--no-exports", action="store_true", help="skip the exports (R-IO-3), the longest part"
        )
        parser.add_argument(
            "--only",
            default="",
            help="run only these measures, comma-separated, of "
            f"{','.join(MEASURES)} (no exports, no imports); e.g. --only today",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("bench")
        if not LegalEntity.objects.filter(code=LEGAL_ENTITY).exists():
            extra = ["--customers", str(options["customers"])] if options["customers"] else []
            call_command("seed_scale", *extra, stdout=self.stdout)
        self.runs = max(3, options["runs"])
        self.entity = LegalEntity.objects.get(code=LEGAL_ENTITY)
        self.actor = Worker.objects.select_related("user").get(user__username="bench")
        self.store = Store.objects.get(legal_entity=self.entity, code="S0001")
        self.book = self.actor.client_books.get(legal_entity=self.entity)
        self.slots: dict[str, str] = {
            a.code: a.filter_slot for a in Attribute.objects.all() if a.filter_slot is not None
        }
        self.filtered = selectors.card_filter_parse(legal_entity=self.entity, params=FILTERS)
        self.unfiltered = selectors.card_filter_parse(legal_entity=self.entity, params={})
        vendor = connection.vendor
        customers = Customer.objects.filter(legal_entity=self.entity).count()
        book_size = self.book_size = Membership.objects.filter(book=self.book).count()
        self.stdout.write(
            f"\n{vendor}: {customers:,} customers, book of bench {book_size:,}, "
            f"{self.runs} runs a measure\n"
        )
        measures: dict[str, Callable[[], dict[str, Any]]] = {
            "a": lambda: self.page("(a) client book, 50 cards", self.book_page(self.unfiltered), self.sql_book(False)),
            "b": lambda: self.page("(b) client book, 3 filters", self.book_page(self.filtered), self.sql_book(True)),
            "c": lambda: self.page("(c) store client books, 3 filters", self.store_page(self.filtered), self.sql_store(True)),
            "c2": lambda: self.page("(c2) store client books, unfiltered", self.store_page(self.unfiltered), self.sql_store(False)),
            "d": self.page_100,
            "e": self.reassign,
            "timeline": self.timeline,
            "today": self.today,
            "outreach": self.outreach,
        }  # fmt: skip
        only = [name.strip() for name in options["only"].split(",") if name.strip()]
        unknown = sorted(set(only) - set(measures))
        if unknown:
            raise CommandError(
                f"Unknown measure {', '.join(unknown)}: choose from {', '.join(MEASURES)}."
            )
        results = [measures[name]() for name in only or MEASURES]
        self.table(results)
        if only:
            options["no_exports"], options["import_customers"] = True, 0
        export_results = [] if options["no_exports"] else self.exports()
        if export_results:
            self.export_table(export_results)
        import_results = [
            {**vars(m), "per_second": round(m.per_second)}
            for m in measure_imports(
                os.environ.get("DATABASE_URL", "sqlite://"),
                customers=options["import_customers"],
                sales=options["import_sales"],
                say=self.stdout.write,
            )
        ] if options["import_customers"] else []  # fmt: skip
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "database": vendor,
                        "results": results,
                        "exports": export_results,
                        "imports": import_results,
                    },
                    indent=2,
                )
            )

    # --- measuring ----------------------------------------------------------------------------

    def timed(self, work: Callable[[], Any], runs: int | None = None) -> tuple[float, float]:
        for _ in range(3):
            work()
        samples = []
        for _ in range(runs or self.runs):
            start = time.perf_counter()
            work()
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        return statistics.median(samples), p95

    def queries(self, work: Callable[[], Any]) -> int:
        with CaptureQueriesContext(connection) as captured:
            work()
        return len(captured)

    def page(
        self, name: str, page: Callable[[int], Any], floor: tuple[str, list[Any]]
    ) -> dict[str, Any]:
        p50, p95 = self.timed(lambda: page(50))
        sql, params = floor
        floor_p50, _floor_p95 = self.timed(lambda: self.run_sql(sql, params))
        rows = page(50)
        return {
            "measure": name,
            "p50_ms": p50,
            "p95_ms": p95,
            "queries_10": self.queries(lambda: page(10)),
            "queries_50": self.queries(lambda: page(50)),
            "floor_ms": floor_p50,
            "ratio": p50 / floor_p50 if floor_p50 else None,
            "cards": len(rows.items),
            "matches": getattr(rows, "total", None),
        }

    def run_sql(self, sql: str, params: list[Any]) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # --- the pages ----------------------------------------------------------------------------

    def book_page(self, card_filter: Any) -> Callable[[int], Any]:
        return lambda limit: selectors.client_book_cards(
            actor=self.actor, legal_entity=self.entity, card_filter=card_filter, limit=limit
        )

    def store_page(self, card_filter: Any) -> Callable[[int], Any]:
        return lambda limit: selectors.store_client_book_cards(
            actor=self.actor,
            legal_entity=self.entity,
            store=self.store,
            card_filter=card_filter,
            limit=limit,
        )

    def where_filters(self, alias: str) -> tuple[str, list[Any]]:
        category, anniversary, birthday = (
            self.slots["PREF_CATEGORY"],
            self.slots["ANNIVERSARY"],
            self.slots["BIRTHDAY"],
        )
        today = selectors.local_today(self.entity)
        ranges = upcoming_ranges(today, 14)
        md = f"md_{birthday.rsplit('_', 1)[1]}"
        upcoming = " OR ".join(f"{alias}.{md} BETWEEN %s AND %s" for _ in ranges)
        clause = (
            f" AND {alias}.{category} IN (%s) AND {alias}.{anniversary} BETWEEN %s AND %s"
            f" AND ({upcoming})"
        )
        params: list[Any] = ["handbags", dt.date(1980, 1, 1), dt.date(1999, 12, 31)]
        for low, high in ranges:
            params += [low, high]
        return clause, params

    def sql_book(self, filtered: bool) -> tuple[str, list[Any]]:
        clause, params = self.where_filters("m") if filtered else ("", [])
        return (
            f"SELECT m.id, m.sort_name, {CARD_COLUMNS} FROM clientbooks_membership m "
            f"JOIN customers_customer c ON c.id = m.customer_id WHERE m.book_id = %s{clause} "
            "ORDER BY m.sort_name, m.id LIMIT 51",
            [self.book.pk, *params],
        )

    def sql_store(self, filtered: bool) -> tuple[str, list[Any]]:
        clause, params = self.where_filters("e") if filtered else ("", [])
        return (
            f"SELECT e.id, e.sort_name, e.owner_id, {CARD_COLUMNS} FROM clientbooks_storeentry e "
            f"JOIN customers_customer c ON c.id = e.customer_id WHERE e.store_id = %s{clause} "
            "ORDER BY e.sort_name, e.id LIMIT 51",
            [self.store.pk, *params],
        )

    def page_100(self) -> dict[str, Any]:
        cursor = None
        pages = 1
        for _ in range(99):
            page = selectors.client_book_cards(
                actor=self.actor,
                legal_entity=self.entity,
                card_filter=self.unfiltered,
                cursor=cursor,
            )
            if page.next_cursor is None:
                break
            cursor, pages = page.next_cursor, pages + 1
        rows = self.run_sql(
            "SELECT m.sort_name, m.id FROM clientbooks_membership m WHERE m.book_id = %s "
            "ORDER BY m.sort_name, m.id LIMIT 1 OFFSET %s",
            [self.book.pk, (pages - 1) * 50 - 1],
        )
        sort_name, last_id = rows[0] if rows else ("", 0)

        def walk(limit: int) -> Any:
            return selectors.client_book_cards(
                actor=self.actor,
                legal_entity=self.entity,
                card_filter=self.unfiltered,
                cursor=cursor,
                limit=limit,
            )

        floor = (
            f"SELECT m.id, m.sort_name, {CARD_COLUMNS} FROM clientbooks_membership m "
            "JOIN customers_customer c ON c.id = m.customer_id WHERE m.book_id = %s "
            "AND (m.sort_name > %s OR (m.sort_name = %s AND m.id > %s)) "
            "ORDER BY m.sort_name, m.id LIMIT 51",
            [self.book.pk, sort_name, sort_name, last_id],
        )
        return self.page(f"(d) client book, page {pages} by cursor", walk, floor)

    def reassign(self) -> dict[str, Any]:
        target = (
            Worker.objects.filter(client_books__legal_entity=self.entity)
            .exclude(pk=self.actor.pk)
            .order_by("user__username")
            .first()
        )
        assert target is not None
        ids = list(
            Membership.objects.filter(book=self.book)
            .order_by("id")
            .values_list("customer_id", flat=True)[:5000]
        )
        customers = list(Customer.objects.filter(id__in=ids))

        def move() -> None:
            with transaction.atomic():
                services.customers_reassign(
                    actor=self.actor,
                    legal_entity=self.entity,
                    customers=customers,
                    to_worker=target,
                )
                transaction.set_rollback(True)

        target_book = target.client_books.get(legal_entity=self.entity)

        # The ids are integers read from the database: safe to write into the statement.
        in_list = ",".join(str(int(i)) for i in ids)

        def floor() -> None:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE clientbooks_membership SET book_id = %s "
                        f"WHERE book_id = %s AND customer_id IN ({in_list})",
                        [target_book.pk, self.book.pk],
                    )
                transaction.set_rollback(True)

        runs = max(3, self.runs // 6)
        p50, p95 = self.timed(move, runs)
        floor_p50, _ = self.timed(floor, runs)
        return {
            "measure": f"(e) reassign {len(customers):,} customers",
            "p50_ms": p50,
            "p95_ms": p95,
            "queries_10": None,
            "queries_50": self.queries(move),
            "floor_ms": floor_p50,
            "ratio": p50 / floor_p50 if floor_p50 else None,
            "cards": None,
            "matches": None,
        }

    def timeline(self) -> dict[str, Any]:
        """A customer with 10,000 timeline entries: the first page, constant queries."""
        customer = Customer.objects.filter(legal_entity=self.entity).order_by("id").first()
        assert customer is not None
        from clienteling.timeline.models import Note

        have = Note.objects.filter(customer=customer).count()
        if have < 10_000:
            timeline_services.note_create(actor=self.actor, customer=customer, text="first")
            first = Note.objects.filter(customer=customer).order_by("id").first()
            assert first is not None
            notes = [
                Note(
                    legal_entity=self.entity,
                    customer=customer,
                    author=self.actor,
                    text=f"note {n}",
                    created_at=first.created_at - dt.timedelta(minutes=n),
                )
                for n in range(10_000 - have - 1)
            ]
            Note.objects.bulk_create(notes, batch_size=2000)

        def page(limit: int) -> Any:
            return timeline_selectors.timeline(actor=self.actor, customer=customer, limit=limit)

        floor = (
            "SELECT n.id, n.text, n.created_at, n.author_id FROM timeline_note n "
            "WHERE n.customer_id = %s AND n.deleted_at IS NULL ORDER BY n.created_at DESC, n.id DESC LIMIT 51",
            [customer.pk],
        )
        result = self.page("timeline of 10,000 entries, first page", page, floor)
        result["matches"] = Note.objects.filter(customer=customer).count()
        return result

    def today(self) -> dict[str, Any]:
        """The bench worker's Today (R-TODAY-1) on their book (10,000): birthdays and
        anniversaries of the 14 days ahead (six date attributes, four of them in slots), the
        follow-ups and appointments, and the customers not contacted lately. Its floor is the
        database's time for exactly the queries the selector runs, replayed in-process."""

        def page() -> Any:
            return engagement_selectors.today_page(actor=self.actor, legal_entity=self.entity)

        p50, p95 = self.timed(page)
        with CaptureQueriesContext(connection) as captured:
            shown = page()
        replay = [q["sql"] for q in captured.captured_queries]

        def floor() -> None:
            with connection.cursor() as cursor:
                for sql in replay:
                    cursor.execute(sql.replace("%", "%%"))
                    if cursor.description is not None:
                        cursor.fetchall()

        floor_p50, _ = self.timed(floor)
        return {
            "measure": f"today, book of {self.book_size:,}",
            "p50_ms": p50,
            "p95_ms": p95,
            "queries_10": None,
            "queries_50": len(replay),
            "floor_ms": floor_p50,
            "ratio": p50 / floor_p50 if floor_p50 else None,
            "cards": len(shown.dates) + len(shown.quiet),
            "matches": shown.dates_total + shown.quiet_total,
        }

    def outreach(self) -> dict[str, Any]:
        """An e-mail to the bench worker's whole book (R-OUT-1): counting who may be written
        to, one message row each and the sending job, queued in one transaction (target:
        under 2 s for 10,000). Rolled back after each run; the sending is the job's."""
        ids = list(Membership.objects.filter(book=self.book).values_list("customer_id", flat=True))
        queued: dict[str, int] = {}

        def queue() -> None:
            with transaction.atomic():
                EmailTemplate.objects.create(
                    legal_entity=self.entity,
                    code="BENCH",
                    language="en",
                    subject="A new collection, {first_name}",
                    body="Dear {first_name}, come and see it.",
                )
                outreach, skipped = engagement_services.outreach_start(
                    actor=self.actor,
                    legal_entity=self.entity,
                    template_code="BENCH",
                    customer_ids=ids,
                )
                queued.update(skipped, recipients=outreach.recipients)
                transaction.set_rollback(True)

        runs = max(3, self.runs // 10)
        p50, p95 = self.timed(queue, runs)
        return {
            "measure": f"outreach queued to a book of {len(ids):,}",
            "p50_ms": p50,
            "p95_ms": p95,
            "queries_10": None,
            "queries_50": self.queries(queue),
            "floor_ms": None,
            "ratio": None,
            "cards": queued.get("recipients"),
            "matches": len(ids),
        }

    # --- exports (R-IO-3) ---------------------------------------------------------------------

    def exports(self) -> list[dict[str, Any]]:
        """The book and the store view exported unfiltered, as the store app and the API send
        them: the time of one run, then the peak of Python memory during a second run
        (tracemalloc): flat means the same peak for 10,000 rows and 100,000. Tracing makes
        openpyxl several times slower, so the large workbook is not traced: the growth of the
        process's peak resident memory stands for it."""
        sources = {
            "client book": lambda: exports.client_book_export(
                actor=self.actor, legal_entity=self.entity, card_filter=self.unfiltered
            ),
            "store client books": lambda: exports.store_client_books_export(
                actor=self.actor,
                legal_entity=self.entity,
                store=self.store,
                card_filter=self.unfiltered,
            ),
        }
        results = []
        for name, source in sources.items():
            for file_format in exports.Format:
                rows = source().count()

                def run(make: Any = source, fmt: exports.Format = file_format) -> int:
                    return sum(len(chunk) for chunk in exports.export_file(make(), fmt).chunks)

                start = time.perf_counter()
                size = run()
                seconds = time.perf_counter() - start
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                peak: float | None = None
                if file_format is exports.Format.CSV or name == "client book":
                    tracemalloc.start()
                    try:
                        run()
                        peak = tracemalloc.get_traced_memory()[1] / 2**20
                    finally:
                        tracemalloc.stop()
                rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
                results.append(
                    {
                        "export": f"{name}, {file_format.code}",
                        "rows": rows,
                        "seconds": seconds,
                        "rows_per_s": rows / seconds if seconds else None,
                        "bytes": size,
                        "peak_python_mb": peak,
                        "process_peak_growth_mb": rss_growth / 1024,
                    }
                )
        return results

    def export_table(self, results: list[dict[str, Any]]) -> None:
        lines = [
            "\n| export (R-IO-3) | rows | s | rows/s | MB written | peak Python MB "
            "(tracemalloc) | process peak +MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in results:
            lines.append(
                f"| {r['export']} | {r['rows']:,} | {r['seconds']:.1f} | "
                f"{r['rows_per_s'] or 0:,.0f} | {r['bytes'] / 2**20:.1f} | "
                f"{'—' if r['peak_python_mb'] is None else format(r['peak_python_mb'], '.1f')} | "
                f"{r['process_peak_growth_mb']:.0f} |"
            )
        self.stdout.write("\n".join(lines) + "\n")

    # --- report -------------------------------------------------------------------------------

    def table(self, results: list[dict[str, Any]]) -> None:
        def ms(value: float | None) -> str:
            return "—" if value is None else f"{value:.1f}"

        lines = [
            "| measure | p50 ms | p95 ms | queries (10 / 50 a page) | SQL floor p50 ms | x floor |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in results:
            queries = (
                f"{r['queries_10']} / {r['queries_50']}"
                if r["queries_10"] is not None
                else str(r["queries_50"])
            )
            ratio = "—" if r["ratio"] is None else f"{r['ratio']:.1f}"
            lines.append(
                f"| {r['measure']} | {ms(r['p50_ms'])} | {ms(r['p95_ms'])} | {queries} | "
                f"{ms(r['floor_ms'])} | {ratio} |"
            )
        self.stdout.write("\n".join(lines) + "\n")
