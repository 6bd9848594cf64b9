"""``make loadtest``: associates of store S0001 using the store app over HTTP, against
gunicorn on the R-SCALE-1 data set (generated first if absent). The target: 50 associates
for 2 minutes on 2 cores with 0 errors and every page's p95 under 100 ms.

- Without ``--url`` the command starts ``gunicorn clienteling.config.wsgi`` itself on a free
  loopback port, with this process's environment and database (DEBUG off and
  ``DB_CONN_MAX_AGE=60`` unless the environment says otherwise), waits for ``/healthz`` and
  stops it at the end. With ``--url`` it loads that server, which must use the same database.
- The sessions log in through the login form as the associates of S0001 who have a client
  book (in the full data set ``bench`` and ``scale00001`` to ``scale00009``, 10,000 customers
  each; the store view holds 100,000), in turn: 50 sessions are 5 per associate. Logging in
  is not measured.
- What a session does is in ``clienteling.bench.loadtest``: a shuffled deck of actions
  weighted like a floor, a note being one action in 20; an exponential think time between
  actions (mean ``--think``; 0 runs closed-loop, to find the saturation throughput).
- Times are taken by the client, from sending a request to reading the whole answer, so they
  include connecting (gunicorn's sync workers close each connection) and queueing for a
  worker. The client runs on the same machine and takes some of its CPU.
- Each run adds its notes to the database; they are counted and reported.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from clienteling.bench import loadtest
from clienteling.bench.management.commands.seed_scale import FIRST, LAST, LEGAL_ENTITY
from clienteling.bench.server import gunicorn, log_tail
from clienteling.demo.production import refuse_production
from clienteling.organization.models import LegalEntity, Store, Worker
from clienteling.timeline.models import Note

STORE = "S0001"  # the only store whose associates have client books in the data set
TARGET_P95_MS = 100.0


class Command(BaseCommand):
    help = (
        "Load the store app with associates of S0001 over HTTP (gunicorn, R-SCALE-1 data set): "
        "throughput, p50/p95/p99 and errors per page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", help="load this running server (same database) instead of starting gunicorn"
        )
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
        parser.add_argument(
            "--associates", type=int, default=50, help="concurrent sessions (default 50)"
        )
        parser.add_argument(
            "--duration", type=float, default=120.0, help="seconds of load (default 120)"
        )
        parser.add_argument(
            "--think",
            type=float,
            default=2.0,
            help="mean seconds between an associate's actions, exponentially distributed "
            "(default 2.0); 0 for none: a closed-loop saturation run",
        )
        parser.add_argument("--seed", type=int, default=14, help="random seed of the associates")
        parser.add_argument(
            "--customers", type=int, default=None, help="passed to seed_scale if it has to run"
        )
        parser.add_argument("--json", action="store_true", help="print the results as JSON too")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("loadtest")
        if options["associates"] < 1 or options["duration"] <= 0 or options["think"] < 0:
            raise CommandError(
                "--associates must be at least 1, --duration above 0, --think 0 or more."
            )
        if not LegalEntity.objects.filter(code=LEGAL_ENTITY).exists():
            if options["url"]:
                raise CommandError(
                    f"The scale data set is not in this database: point DATABASE_URL at the "
                    f"database of {options['url']}."
                )
            extra = ["--customers", str(options["customers"])] if options["customers"] else []
            call_command("seed_scale", *extra, stdout=self.stdout)
        entity = LegalEntity.objects.get(code=LEGAL_ENTITY)
        store = Store.objects.get(legal_entity=entity, code=STORE)
        usernames = list(
            Worker.objects.filter(stores=store, client_books__legal_entity=entity)
            .order_by("user__username")
            .values_list("user__username", flat=True)
            .distinct()
        )
        if not usernames:
            raise CommandError(f"No associate of {STORE} has a client book.")
        # The first names and surnames the generator draws from: searches that find someone.
        terms = [name.lower() for name in LAST[:12]] + [name.lower() for name in FIRST[:6]]
        # Several sessions per associate when there are more sessions than associates.
        plan = loadtest.Plan(
            base_url="",
            usernames=usernames[: options["associates"]],
            associates=options["associates"],
            duration=options["duration"],
            think=options["think"],
            seed=options["seed"],
            search_terms=terms,
            colleagues=usernames,
        )
        notes_before = Note.objects.filter(legal_entity=entity).count()
        database = f"{connection.vendor} database {connection.settings_dict['NAME']}"
        connection.close()  # idle while the load runs; gunicorn has its own
        self.describe(plan, database)
        with gunicorn(options["url"], options["workers"], self.say) as (url, log):
            plan.base_url = url
            try:
                result = asyncio.run(loadtest.run(plan, self.say))
            except loadtest.LoadTestError as error:
                raise CommandError(f"{error}{log_tail(log)}") from error
            tail = log_tail(log) if result["all"]["errors"] else ""
        if log is not None and not tail:
            log.unlink(missing_ok=True)  # a clean run's log says nothing
        result["notes_written"] = Note.objects.filter(legal_entity=entity).count() - notes_before
        result["setup"] = {
            "url": options["url"] or "gunicorn (started by the command)",
            "workers": None if options["url"] else options["workers"],
            "associates": plan.associates,
            "accounts": list(plan.usernames),
            "duration_s": plan.duration,
            "think_s": plan.think,
            "database": database,
            "cpus": os.cpu_count(),
        }
        self.table(result)
        if tail:
            self.stdout.write(tail)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))

    # --- output -----------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def describe(self, plan: loadtest.Plan, database: str) -> None:
        users = plan.usernames
        each = plan.associates / len(users)
        spread = f"{each:.0f} each" if each == int(each) else f"{each:.1f} each on average"
        think = (
            f"exponential think time, mean {plan.think:g} s"
            if plan.think > 0
            else "no think time (closed loop)"
        )
        shown = ", ".join(users) if len(users) <= 4 else f"{users[0]}, {users[1]} … {users[-1]}"
        self.say(
            f"{plan.associates} sessions over {len(users)} associates of {STORE} with a "
            f"client book ({shown}; {spread}), {plan.duration:g} s, {think}, on {database}"
        )

    def table(self, result: dict[str, Any]) -> None:
        def ms(value: float | None) -> str:
            return "—" if value is None else f"{value:.1f}"

        def row(name: str, f: dict[str, Any]) -> str:
            return (
                f"| {name} | {f['requests']:,} | {f['per_second']:.1f} | {ms(f['p50_ms'])} | "
                f"{ms(f['p95_ms'])} | {ms(f['p99_ms'])} | {f['errors']:,} |"
            )

        lines = [
            "",
            f"{result['elapsed_s']:.1f} s measured",
            "",
            "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [row(f["page"], f) for f in result["pages"].values()]
        lines.append(row("**all**", result["all"]))
        for page in result["pages"].values():
            for reason, count in sorted(page["error_kinds"].items()):
                lines.append(f"errors on {page['page']}: {count:,} {reason}")
        lines.append(
            f"notes written: {result['notes_written']:,} new rows "
            f"({result['notes_confirmed']:,} seen on the customer page after saving)"
        )
        worst = max((f["p95_ms"] or 0.0) for f in result["pages"].values())
        met = result["all"]["errors"] == 0 and worst < TARGET_P95_MS
        lines.append(
            f"target (0 errors, p95 under {TARGET_P95_MS:.0f} ms on every page): "
            f"{'met' if met else 'not met'} ({result['all']['errors']:,} errors, "
            f"worst p95 {worst:.1f} ms)"
        )
        self.stdout.write("\n".join(lines) + "\n")
