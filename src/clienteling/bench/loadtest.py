"""The load of ``make loadtest``: associates of one store using the store app over HTTP.

Each associate is its own HTTP session, logged in through the login form. It deals its
actions from a shuffled deck whose cards are weighted like a day on the floor (reads far
outnumber writes): open the book, filter it, page on, search customers, look at the store's
client books (filtered or not), open a customer from the cards shown, write a note. Between
two actions it waits a think time drawn from an exponential distribution. Every answer is
checked (status and a marker of the right page); anything else counts as an error.

This module knows only HTTP and the store app's markup, not Django: the command supplies
the server, the usernames and the search terms.
"""

from __future__ import annotations

import asyncio
import html
import math
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

# Page kinds, in the order of the report, with what each one is.
PAGES: dict[str, str] = {
    "book": "my client book",
    "book_filter": "my client book, filtered (htmx)",
    "book_next": "my client book, next page (htmx)",
    "search": "customer search (htmx)",
    "store_books": "store client books",
    "store_filter": "store client books, filtered (htmx)",
    "customer": "customer page",
    "note": "write a note (POST)",
}
# One deck of 20 actions: a note is one action in 20 (its redirect is one more customer page).
DECK: dict[str, int] = {
    "book": 2,
    "book_filter": 3,
    "book_next": 2,
    "search": 2,
    "store_books": 2,
    "store_filter": 3,
    "customer": 5,
    "note": 1,
}
CATEGORIES = ("Handbags", "Shoes", "Jewellery", "Watches", "Ready-to-wear")
UPCOMING_DAYS = ("7", "14", "30")
PASSWORD = "bench"
TIMEOUT = 30.0
PROGRESS_EVERY = 10.0

CARD = re.compile(r'<li class="card" data-account="([^"]+)"')
SEARCH_ROW = re.compile(r'<tr data-account="([^"]+)"')
MORE = re.compile(r'<li class="more">\s*<a class="button" href="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Markers that do not depend on the associate's language.
BOOK_NAV = 'href="/book/" aria-current="page"'
STORE_NAV = 'href="/store-books/" aria-current="page"'
TODAY_NAV = 'href="/today/" aria-current="page"'
COUNT = 'data-testid="count"'
PROBLEM = 'class="message error"'


class LoadTestError(Exception):
    """The load could not start (a login failed): nothing was measured."""


@dataclass
class Plan:
    base_url: str
    usernames: Sequence[str]
    associates: int = 50
    duration: float = 120.0
    think: float = 2.0
    seed: int = 14
    search_terms: Sequence[str] = ("rossi", "bianchi", "anna", "marco")
    colleagues: Sequence[str] = ()


@dataclass
class Tally:
    """Response times (ms) and errors per page kind, shared by every associate."""

    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in PAGES})
    errors: dict[str, Counter[str]] = field(default_factory=lambda: {k: Counter() for k in PAGES})
    notes: int = 0

    def add(self, kind: str, ms: float, error: str | None) -> None:
        self.times[kind].append(ms)
        if error is not None:
            self.errors[kind][error] += 1

    @property
    def requests(self) -> int:
        return sum(len(t) for t in self.times.values())

    @property
    def error_count(self) -> int:
        return sum(sum(c.values()) for c in self.errors.values())


Check = Callable[[httpx.Response], str | None]


def page_check(
    status: int = 200, required: Sequence[str] = (), any_of: Sequence[str] = ()
) -> Check:
    """The expected status, every ``required`` marker, one of ``any_of``, and no error
    message on the page (a bad filter or a refused action renders one with status 200)."""

    def check(response: httpx.Response) -> str | None:
        if response.status_code != status:
            return f"HTTP {response.status_code}"
        text = response.text
        if any(marker not in text for marker in required):
            return "wrong page"
        if any_of and not any(marker in text for marker in any_of):
            return "wrong page"
        if PROBLEM in text:
            return "error message shown"
        return None

    return check


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted samples."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Associate:
    """One logged-in session and what it has on screen."""

    def __init__(self, number: int, username: str, plan: Plan, tally: Tally) -> None:
        self.number = number
        self.username = username
        self.plan = plan
        self.tally = tally
        self.rng = random.Random(f"{plan.seed}-{number}")
        self.client = httpx.AsyncClient(
            base_url=plan.base_url, timeout=TIMEOUT, follow_redirects=False
        )
        self.deck: list[str] = []
        self.shown: list[str] = []  # accounts of the cards or rows last shown
        self.book_next: str | None = None  # "Show more" of the book list last shown
        self.customer: tuple[str, str] | None = None  # the customer page open: account, CSRF
        self.written = 0

    async def close(self) -> None:
        await self.client.aclose()

    # --- session ----------------------------------------------------------------------------

    async def login(self) -> None:
        """Through the form, as a browser: the CSRF token from the page, then the landing
        page the login redirects to (Today, or the store's books for a manager) and, from
        Today, the book. Not measured."""
        try:
            form = await self.client.get("/login/")
            token = CSRF.search(form.text)
            if form.status_code != 200 or token is None:
                raise LoadTestError(f"login page answered {form.status_code} without a form")
            landed = await self.client.post(
                "/login/",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "username": self.username,
                    "password": PASSWORD,
                },
                headers={"Referer": f"{self.plan.base_url}/login/"},
                follow_redirects=True,
            )
        except httpx.HTTPError as error:
            raise LoadTestError(f"{self.username} could not log in: {error!r}") from error
        # An associate lands on Today (or, without it, on the book), a store manager on the
        # store's books.
        on_book = BOOK_NAV in landed.text
        on_today = TODAY_NAV in landed.text
        if landed.status_code != 200 or not (on_today or on_book or STORE_NAV in landed.text):
            raise LoadTestError(
                f"{self.username} could not log in: {landed.status_code} at {landed.url.path}"
            )
        if on_today:
            # Today shows no cards: the session opens its book, as the associate would,
            # before acting on the cards it shows (not measured either).
            try:
                landed = await self.client.get("/book/")
            except httpx.HTTPError as error:
                raise LoadTestError(
                    f"{self.username} could not open the book: {error!r}"
                ) from error
            on_book = BOOK_NAV in landed.text
            if landed.status_code != 200 or not on_book:
                raise LoadTestError(
                    f"{self.username} could not open the book: {landed.status_code}"
                )
        self.saw_list(landed.text, book=on_book)

    async def run(self, deadline: float) -> None:
        if self.plan.think > 0:
            # Staggered starts, so that the associates do not act in step.
            await self.pause(deadline, self.rng.uniform(0, self.plan.think))
        while time.monotonic() < deadline:
            await ACTIONS[self.draw()](self)
            if self.plan.think > 0:
                await self.pause(deadline, self.rng.expovariate(1 / self.plan.think))

    def draw(self) -> str:
        if not self.deck:
            self.deck = [kind for kind, n in DECK.items() for _ in range(n)]
            self.rng.shuffle(self.deck)
        return self.deck.pop()

    async def pause(self, deadline: float, seconds: float) -> None:
        await asyncio.sleep(max(0.0, min(seconds, deadline - time.monotonic())))

    async def fetch(
        self, kind: str, method: str, url: str, check: Check, **kwargs: Any
    ) -> httpx.Response | None:
        """One timed request; the response only if it passed ``check``."""
        start = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            self.tally.add(kind, (time.perf_counter() - start) * 1000, "timeout")
            return None
        except httpx.HTTPError as error:
            self.tally.add(kind, (time.perf_counter() - start) * 1000, type(error).__name__)
            return None
        problem = check(response)
        self.tally.add(kind, (time.perf_counter() - start) * 1000, problem)
        return response if problem is None else None

    def htmx(self, path: str, target: str | None) -> dict[str, str]:
        headers = {"HX-Request": "true", "HX-Current-URL": f"{self.plan.base_url}{path}"}
        if target:
            headers["HX-Target"] = target
        return headers

    def saw_list(self, text: str, *, book: bool) -> None:
        accounts = CARD.findall(text)
        if accounts:
            self.shown = accounts
        if book:
            more = MORE.search(text)
            self.book_next = f"/book/{html.unescape(more.group(1))}" if more else None

    # --- what the filters ask -------------------------------------------------------------

    def some_filter(self) -> dict[str, str]:
        """One of the filters associates combine: those of ``make bench`` (b) and (c), or a
        single criterion, a text search or the other sort."""
        rng = self.rng
        decade = rng.randrange(1950, 2000, 10)
        choices: list[dict[str, str]] = [
            {
                "attr.PREF_CATEGORY": "Handbags",
                "attr.ANNIVERSARY.min": "1980-01-01",
                "attr.ANNIVERSARY.max": "1999-12-31",
                "upcoming.BIRTHDAY": "14",
            },
            {"attr.PREF_CATEGORY": rng.choice(CATEGORIES)},
            {"upcoming.BIRTHDAY": rng.choice(UPCOMING_DAYS)},
            {"attr.ANNIVERSARY.min": f"{decade}-01-01", "attr.ANNIVERSARY.max": f"{decade + 9}-12-31"},
            {"attr.PREF_CATEGORY": rng.choice(CATEGORIES), "upcoming.BIRTHDAY": "30"},
            {"q": rng.choice(self.plan.search_terms)},
            {"sort": "added"},
        ]  # fmt: skip
        return rng.choice(choices)

    # --- actions --------------------------------------------------------------------------

    async def open_book(self) -> None:
        check = page_check(required=(BOOK_NAV, 'data-testid="cards"'))
        if response := await self.fetch("book", "GET", "/book/", check):
            self.saw_list(response.text, book=True)

    async def filter_book(self) -> None:
        check = page_check(required=(COUNT,))
        headers = self.htmx("/book/", "results")
        if response := await self.fetch(
            "book_filter", "GET", "/book/", check, params=self.some_filter(), headers=headers
        ):
            self.saw_list(response.text, book=True)

    async def next_page(self) -> None:
        if self.book_next is None:
            await self.open_book()  # the list shown had no next page: back to the book
        if self.book_next is None:
            return
        check = page_check(required=('<li class="card"',))
        headers = self.htmx("/book/", None)  # "Show more" swaps the closest <li>
        if response := await self.fetch("book_next", "GET", self.book_next, check, headers=headers):
            self.saw_list(response.text, book=True)

    async def search(self) -> None:
        term = self.rng.choice(self.plan.search_terms)
        check = page_check(any_of=('<table class="found">', '<p class="empty">'))
        headers = self.htmx("/customers/", "search-results")
        if response := await self.fetch(
            "search", "GET", "/customers/", check, params={"q": term}, headers=headers
        ):
            self.shown = SEARCH_ROW.findall(response.text) or self.shown

    async def open_store_books(self) -> None:
        check = page_check(required=(STORE_NAV, 'data-testid="cards"'))
        if response := await self.fetch("store_books", "GET", "/store-books/", check):
            self.saw_list(response.text, book=False)

    async def filter_store_books(self) -> None:
        params = self.some_filter()
        if self.plan.colleagues and self.rng.random() < 0.3:
            params["owner"] = self.rng.choice(self.plan.colleagues)
        check = page_check(required=(COUNT,))
        headers = self.htmx("/store-books/", "results")
        if response := await self.fetch(
            "store_filter", "GET", "/store-books/", check, params=params, headers=headers
        ):
            self.saw_list(response.text, book=False)

    async def open_customer(self) -> None:
        if not self.shown:
            await self.open_book()
        if not self.shown:
            return
        account = self.rng.choice(self.shown)
        check = page_check(required=(f'<article class="customer" data-account="{account}">',))
        if response := await self.fetch("customer", "GET", f"/customers/{account}/", check):
            token = CSRF.search(response.text)
            self.customer = (account, token.group(1)) if token else None

    async def write_note(self) -> None:
        """The note form of the customer page open (one is opened first if none is), then
        the page it redirects to, which must show the note."""
        if self.customer is None:
            await self.open_customer()
        if self.customer is None:
            return
        account, token = self.customer
        self.written += 1
        text = f"Load test note {self.written} of session {self.number} ({self.username})"
        here = f"/customers/{account}/"
        expected = f"{here}#timeline"

        def saved(response: httpx.Response) -> str | None:
            if response.status_code != 302:
                return f"HTTP {response.status_code}"
            if response.headers.get("location") != expected:
                return "redirected elsewhere"
            return None

        posted = await self.fetch(
            "note",
            "POST",
            here,
            saved,
            data={"csrfmiddlewaretoken": token, "action": "note", "text": text},
            headers={"Referer": f"{self.plan.base_url}{here}"},
        )
        if posted is None:
            return
        check = page_check(required=(f'<article class="customer" data-account="{account}">',))
        if shown := await self.fetch("customer", "GET", here, check):
            if html.escape(text) in shown.text:
                self.tally.notes += 1
            else:
                self.tally.errors["note"]["note not shown after saving"] += 1


ACTIONS: dict[str, Callable[[Associate], Awaitable[None]]] = {
    "book": Associate.open_book,
    "book_filter": Associate.filter_book,
    "book_next": Associate.next_page,
    "search": Associate.search,
    "store_books": Associate.open_store_books,
    "store_filter": Associate.filter_store_books,
    "customer": Associate.open_customer,
    "note": Associate.write_note,
}


async def run(plan: Plan, say: Callable[[str], None]) -> dict[str, Any]:
    """Log the sessions in, run the load for ``plan.duration`` seconds, return the report."""
    tally = Tally()
    associates = [
        Associate(n + 1, plan.usernames[n % len(plan.usernames)], plan, tally)
        for n in range(plan.associates)
    ]
    try:
        # A few logins at a time: the password hash is slow on purpose.
        gate = asyncio.Semaphore(4)

        async def login(associate: Associate) -> None:
            async with gate:
                await associate.login()

        started = time.monotonic()
        await asyncio.gather(*(login(a) for a in associates))
        say(
            f"{len(associates)} sessions logged in ({time.monotonic() - started:.1f} s, not measured)"
        )

        start = time.monotonic()
        deadline = start + plan.duration

        async def progress() -> None:
            while True:
                await asyncio.sleep(PROGRESS_EVERY)
                elapsed = time.monotonic() - start
                say(
                    f"[{elapsed:5.0f} s] {tally.requests:,} requests "
                    f"({tally.requests / elapsed:,.1f}/s), {tally.error_count:,} errors"
                )

        reporter = asyncio.create_task(progress())
        try:
            await asyncio.gather(*(a.run(deadline) for a in associates))
        finally:
            reporter.cancel()
        elapsed = time.monotonic() - start
    finally:
        await asyncio.gather(*(a.close() for a in associates))
    return report(tally, elapsed)


def figures(times: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    ordered = sorted(times)
    return {
        "requests": len(ordered),
        "per_second": len(ordered) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "errors": errors,
    }


def report(tally: Tally, elapsed: float) -> dict[str, Any]:
    pages = {
        kind: {
            "page": label,
            **figures(tally.times[kind], sum(tally.errors[kind].values()), elapsed),
            "error_kinds": dict(tally.errors[kind]),
        }
        for kind, label in PAGES.items()
    }
    every = [ms for times in tally.times.values() for ms in times]
    return {
        "elapsed_s": elapsed,
        "pages": pages,
        "all": figures(every, tally.error_count, elapsed),
        "notes_confirmed": tally.notes,
    }
