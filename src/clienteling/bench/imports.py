"""Import throughput and peak memory (R-IO-2), as `make bench` reports them.

Each import runs as `manage.py import_data` in a process of its own, on a database of its own
(a fresh SQLite file, or a fresh PostgreSQL database beside the benchmark's), so its peak
memory is the process's own and the R-SCALE-1 data set is left as it is.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from django.conf import settings

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
CUSTOMER_HEADER = (
    "account,first_name,last_name,email,phone,city,country,language,consent_email,address_books"
)
SALES_HEADER = "transaction,line,account,sold_at,store,product,product_name,category,amount"
FIRST = ["Giulia", "Marco", "Sara", "Luca", "Anna", "Paolo", "Elena", "Rūta", "Jonas", "Niccolò"]
LAST = ["Rossi", "Bianchi", "Verdi", "Ferrari", "Esposito", "Kazlauskas", "Petrauskaitė"]
CATEGORIES = ["Handbags", "Shoes", "Jewellery", "Watches", "Ready-to-wear"]


@dataclass(frozen=True)
class Measured:
    kind: str
    lines: int
    seconds: float
    peak_mb: float
    last_line: str

    @property
    def per_second(self) -> float:
        return self.lines / self.seconds


def customers_csv(path: Path, count: int) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as out:
        out.write(CUSTOMER_HEADER + "\n")
        for n in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            out.write(
                f"IM{n:08d},{first},{last},c{n}@example.com,+39 02 {n:07d},"
                f"Milano,IT,it,{'true' if n % 3 else 'false'},MI01\n"
            )


def sales_csv(path: Path, customers: int, lines: int) -> None:
    rng = random.Random(2)
    with path.open("w", encoding="utf-8") as out:
        out.write(SALES_HEADER + "\n")
        for n in range(lines):
            day = 1 + n % 28
            out.write(
                f"T{n // 2:09d},{n % 2 + 1},IM{rng.randrange(customers):08d},2026-0{1 + n % 9}-{day:02d},"
                f"MI01,P{n % 5000:05d},Item {n % 5000},{CATEGORIES[n % 5]},{rng.randrange(50, 5000)}.00\n"
            )


@contextmanager
def scratch_database(base_url: str, folder: Path) -> Iterator[str]:
    """A new, migrated database on the same kind of server as ``base_url``, dropped after."""
    parsed = urlparse(base_url)
    if parsed.scheme.startswith("postgres"):
        name = f"bench_import_{uuid.uuid4().hex[:8]}"
        admin = urlunparse(parsed._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        url = urlunparse(parsed._replace(path=f"/{name}"))
    else:
        name = None
        url = f"sqlite:///{folder}/import.sqlite3"
    try:
        _manage(url, "migrate", "--no-input", "-v0")
        _manage(
            url,
            "shell",
            "-c",
            "from clienteling.organization.models import LegalEntity, AddressBook, Store;"
            "le = LegalEntity.objects.create(code='IMP', name='Import benchmark');"
            "AddressBook.objects.create(legal_entity=le, code='MI01', name='Milano');"
            "Store.objects.create(legal_entity=le, code='MI01', name='Milano')",
        )
        yield url
    finally:
        if name is not None:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(url: str, *args: str) -> None:
    subprocess.run([*MANAGE, *args], env={**os.environ, "DATABASE_URL": url}, check=True)


def timed_import(url: str, kind: str, path: Path, lines: int) -> Measured:
    """Run ``import_data`` in a child process; its wall time and peak resident memory."""
    started = time.monotonic()
    child = subprocess.Popen(
        [*MANAGE, "import_data", kind, str(path), "--legal-entity", "IMP"],
        # As an operator runs it: with DEBUG on, Django formats every statement for its
        # query log, which cost an import on SQLite 15 % of its time.
        env={**os.environ, "DATABASE_URL": url, "DEBUG": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert child.stdout is not None
    output = child.stdout.read().decode()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"import_data {kind} failed with {child.returncode}")
    # ru_maxrss is in kilobytes on Linux.
    return Measured(kind, lines, seconds, usage.ru_maxrss / 1024, output.strip().splitlines()[-1])


def measure_imports(
    base_url: str, customers: int, sales: int, say: Callable[[str], None]
) -> list[Measured]:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        say(f"writing {customers:,} customers and {sales:,} sales lines …")
        customers_csv(folder / "customers.csv", customers)
        sales_csv(folder / "sales.csv", customers, sales)
        with scratch_database(base_url, folder) as url:
            results = [timed_import(url, "customers", folder / "customers.csv", customers)]
            say(_line(results[-1]))
            if sales:
                results.append(timed_import(url, "sales", folder / "sales.csv", sales))
                say(_line(results[-1]))
            again = timed_import(url, "customers", folder / "customers.csv", customers)
            results.append(replace(again, kind="customers again (all updates)"))
            say(_line(results[-1]))
    return results


def _line(measured: Measured) -> str:
    return (
        f"import {measured.kind}: {measured.lines:,} lines in {measured.seconds:,.1f} s "
        f"({measured.per_second:,.0f} lines/s), peak {measured.peak_mb:,.0f} MB — {measured.last_line}"
    )
