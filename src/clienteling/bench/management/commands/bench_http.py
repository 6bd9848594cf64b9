"""``make bench-http``: the pages at the floor as users get them, over HTTP from gunicorn, on
the R-SCALE-1 data set (generated first if absent), beside ``/api/v1/me``, the framework's
own cost.

One client asks each page in turn, ``--warmup`` times unmeasured then ``--requests`` times,
as the worker ``bench`` (a client book of 10,000; the store view of S0001 holds 100,000):
through the API with a token, and through the store app with a session. Times are taken by
the client, from sending the request to reading the whole answer, on one kept connection.

Beside each page: the queries it runs and the SQL floor, the time the database takes for
exactly those queries, replayed in-process by the same worker (``--runs`` times, the
median). What a page costs above its floor is Python: the framework, the ORM, the response.

The targets (issue "Pages at the floor"): every page's p50 within twice ``/api/v1/me``'s; p95
within 30 ms for book pages and 50 ms for the filtered store view; page 100 within 20 % of
page 1; ``/api/v1/me`` in at most 2 queries. Today (issue "Acting on the book"), for the same
book of 10,000: p95 within 50 ms, the target of docs/performance.md. ``--write`` puts the table into
docs/performance.md between its markers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clienteling.api.services import api_token_create, api_token_revoke
from clienteling.bench.loadtest import PASSWORD
from clienteling.bench.management.commands.bench import FILTERS
from clienteling.bench.management.commands.seed_scale import LEGAL_ENTITY
from clienteling.bench.server import gunicorn, log_tail
from clienteling.demo.production import refuse_production
from clienteling.organization.models import LegalEntity, Worker

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
API = f"/api/v1/legal-entities/{LEGAL_ENTITY}"
STORE = "S0001"
START, END = "<!-- bench-http:start -->", "<!-- bench-http:end -->"
DOCS = Path(settings.BASE_DIR) / "docs" / "performance.md"


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # with its query string
    face: str  # "api" or "store app"
    kind: str  # "me", "book", "store", "page 100" or "today": which target applies


@dataclass
class Measured:
    page: Page
    p50_ms: float
    p95_ms: float
    queries: int
    floor_ms: float
    errors: int


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = (
        "The book and store pages over HTTP from gunicorn (R-SCALE-1 data set), beside "
        "/api/v1/me and each page's SQL floor: p50, p95, queries, and the targets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="measure this running server (same database)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
        parser.add_argument("--requests", type=int, default=200, help="measured per page")
        parser.add_argument("--warmup", type=int, default=20, help="unmeasured per page first")
        parser.add_argument("--runs", type=int, default=30, help="replays of the SQL floor")
        parser.add_argument(
            "--customers", type=int, default=None, help="passed to seed_scale if it has to run"
        )
        parser.add_argument("--write", action="store_true", help="write docs/performance.md")
        parser.add_argument("--json", action="store_true", help="print the results as JSON too")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("bench_http")
        if min(options["requests"], options["runs"]) < 1 or options["warmup"] < 0:
            raise CommandError("--requests and --runs must be at least 1, --warmup 0 or more.")
        if not LegalEntity.objects.filter(code=LEGAL_ENTITY).exists():
            if options["url"]:
                raise CommandError(
                    f"The scale data set is not in this database: point DATABASE_URL at the "
                    f"database of {options['url']}."
                )
            extra = ["--customers", str(options["customers"])] if options["customers"] else []
            call_command("seed_scale", *extra, stdout=self.stdout)
        worker = Worker.objects.select_related("user").get(user__username="bench")
        issued = api_token_create(
            owner=worker, name="bench-http", expires_at=timezone.now() + dt.timedelta(hours=1)
        )
        token = issued.token
        pages = self.pages(worker, token)
        floors = {page.path: self.floor(page, worker, token, options["runs"]) for page in pages}
        database = f"{connection.vendor} database {connection.settings_dict['NAME']}"
        connection.close()  # idle while gunicorn works
        self.say(
            f"{len(pages)} pages, {options['warmup']} warm-up then {options['requests']} "
            f"requests each, one client, as bench, on {database}"
        )
        with gunicorn(options["url"], options["workers"], self.say) as (url, log):
            try:
                results = self.measure(url, pages, floors, token, options)
            except httpx.HTTPError as error:
                raise CommandError(f"{error!r}{log_tail(log)}") from error
        api_token_revoke(token=issued.record)
        if log is not None:
            log.unlink(missing_ok=True)
        table = self.table(results, options, database)
        self.stdout.write(table)
        if options["write"]:
            self.write_docs(table)
        if options["json"]:
            self.stdout.write(
                json.dumps([{**asdict(m), "page": asdict(m.page)} for m in results], indent=2)
            )

    # --- what is measured -----------------------------------------------------------------

    def pages(self, worker: Worker, token: str) -> list[Page]:
        filters = urlencode(FILTERS)
        # Page 100 by its cursor, as "Show more" reaches it: 99 pages of 50 followed.
        cursor = ""
        api = Client(headers={"authorization": f"Bearer {token}"})
        for _ in range(99):
            answer = api.get(f"{API}/client-book", {"limit": "50", "cursor": cursor})
            if answer.status_code != 200 or not answer.json().get("next_cursor"):
                raise CommandError("bench's book has fewer than 100 pages of 50.")
            cursor = answer.json()["next_cursor"]
        return [
            Page("`/api/v1/me` (the framework's own cost)", "/api/v1/me", "api", "me"),
            Page("client book, 50 cards", f"{API}/client-book?limit=50", "api", "book"),
            Page("client book, 4 filters", f"{API}/client-book?limit=50&{filters}", "api", "book"),
            Page(
                "store client books, 4 filters",
                f"{API}/stores/{STORE}/client-books?limit=50&{filters}",
                "api",
                "store",
            ),
            Page(
                "client book, page 100 by cursor",
                f"{API}/client-book?{urlencode({'limit': 50, 'cursor': cursor})}",
                "api",
                "page 100",
            ),
            Page("Today, book of 10,000", f"{API}/today", "api", "today"),
            Page("store app: client book", "/book/", "store app", "book"),
            Page("store app: client book, 4 filters", f"/book/?{filters}", "store app", "book"),
            Page(
                "store app: store client books, 4 filters",
                f"/store-books/?{filters}",
                "store app",
                "store",
            ),
            Page("store app: Today, book of 10,000", "/today/", "store app", "today"),
        ]

    def floor(self, page: Page, worker: Worker, token: str, runs: int) -> tuple[int, float]:
        """The page's queries, run in-process to capture them (once the caches are warm, as
        they are for gunicorn after the warm-up), then replayed: how many, and the median time
        the database takes for all of them."""
        if page.face == "api":
            client = Client(headers={"authorization": f"Bearer {token}"})
        else:
            client = Client()
            client.force_login(worker.user)
        client.get(page.path)
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(page.path)
        if answer.status_code != 200:
            raise CommandError(f"{page.path} answered {answer.status_code} in-process.")
        statements = [q["sql"] for q in captured.captured_queries]
        # Replayed as the text the database received (parameters already in it).
        replay = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
        samples = []
        with connection.cursor() as cursor:
            for _ in range(runs + 3):
                start = time.perf_counter()
                for sql in replay:
                    cursor.execute(sql.replace("%", "%%"))
                    if cursor.description is not None:
                        cursor.fetchall()
                samples.append((time.perf_counter() - start) * 1000)
        return len(statements), statistics.median(samples[3:])

    def measure(
        self,
        url: str,
        pages: list[Page],
        floors: dict[str, tuple[int, float]],
        token: str,
        options: dict[str, Any],
    ) -> list[Measured]:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
        store = httpx.Client(base_url=url)
        self.login(store, url)
        results = []
        try:
            for page in pages:
                client = api if page.face == "api" else store
                samples, errors = self.timed(
                    client, page.path, options["warmup"], options["requests"]
                )
                queries, floor_ms = floors[page.path]
                measured = Measured(
                    page,
                    statistics.median(samples),
                    percentile(samples, 0.95),
                    queries,
                    floor_ms,
                    errors,
                )
                results.append(measured)
                self.say(
                    f"{page.name}: p50 {measured.p50_ms:.1f} ms, p95 {measured.p95_ms:.1f} ms, "
                    f"{queries} queries, floor {floor_ms:.1f} ms, {errors} errors"
                )
        finally:
            api.close()
            store.close()
        return results

    def timed(
        self, client: httpx.Client, path: str, warmup: int, requests: int
    ) -> tuple[list[float], int]:
        errors = 0
        for _ in range(warmup):
            client.get(path)
        samples = []
        for _ in range(requests):
            start = time.perf_counter()
            answer = client.get(path)
            answer.read()
            samples.append((time.perf_counter() - start) * 1000)
            errors += answer.status_code != 200
        return samples, errors

    def login(self, client: httpx.Client, url: str) -> None:
        form = client.get("/login/")
        token = CSRF.search(form.text)
        if token is None:
            raise CommandError(f"/login/ answered {form.status_code} without a form.")
        landed = client.post(
            "/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": "bench",
                "password": PASSWORD,
            },
            headers={"Referer": f"{url}/login/"},
            follow_redirects=True,
        )
        if landed.status_code != 200 or "/login/" in str(landed.url):
            raise CommandError(f"bench could not log in to the store app: {landed.status_code}")

    # --- output -----------------------------------------------------------------------------

    def table(self, results: list[Measured], options: dict[str, Any], database: str) -> str:
        me = next(m for m in results if m.page.kind == "me")
        first = next(m for m in results if m.page.kind == "book" and m.page.face == "api")
        lines = [
            f"{database}, gunicorn with {options['workers']} workers and DEBUG off, "
            f"{'Redis' if settings.REDIS_URL else 'a per-process'} cache, one client, "
            f"{options['requests']} requests after {options['warmup']} warm-up, "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end.",
            "",
            "| page | p50 ms | p95 ms | p50 ÷ `/api/v1/me` | queries | SQL floor ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for m in results:
            lines.append(
                f"| {m.page.name} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.p50_ms / me.p50_ms:.1f} "
                f"| {m.queries} | {m.floor_ms:.1f} | {m.errors} |"
            )
        checks = [
            ("`/api/v1/me` in at most 2 queries", me.queries <= 2, f"{me.queries} queries"),
        ]
        for m in results:
            if m.page.kind == "me":
                continue
            checks.append(
                (
                    f"{m.page.name}: p50 at most twice `/api/v1/me`",
                    m.p50_ms <= 2 * me.p50_ms,
                    f"{m.p50_ms / me.p50_ms:.1f} times",
                )
            )
            limit = 50.0 if m.page.kind in ("store", "today") else 30.0
            checks.append(
                (f"{m.page.name}: p95 ≤ {limit:.0f} ms", m.p95_ms <= limit, f"{m.p95_ms:.1f} ms")
            )
        deep = next(m for m in results if m.page.kind == "page 100")
        checks.append(
            (
                "page 100 within 20 % of page 1",
                deep.p50_ms <= 1.2 * first.p50_ms,
                f"{(deep.p50_ms / first.p50_ms - 1) * 100:+.0f} %",
            )
        )
        met = sum(ok for _name, ok, _figure in checks)
        lines += ["", f"Targets met: {met} of {len(checks)}.", ""]
        lines += [
            f"- {'met' if ok else 'NOT met'}: {name} ({figure})" for name, ok, figure in checks
        ]
        return "\n".join(lines) + "\n"

    def write_docs(self, table: str) -> None:
        text = DOCS.read_text()
        if START not in text or END not in text:
            raise CommandError(f"{DOCS} has no {START} … {END} markers.")
        before, rest = text.split(START, 1)
        _old, after = rest.split(END, 1)
        command = "make bench-http BENCH_HTTP_DATABASE=postgresql://postgres@127.0.0.1:5432/bench"
        DOCS.write_text(f"{before}{START}\nCommand: `{command}`.\n\n{table}{END}{after}")
        self.say(f"written into {DOCS}")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
