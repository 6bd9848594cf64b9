"""The scale data set of SPEC R-SCALE-1 (CONTRACT.md "Scale data set"), for ``make bench``.

Rows are written in bulk, straight into the tables (COPY on PostgreSQL, batched INSERTs on
SQLite), because a million customers through the ORM would take an hour. The card rows are
computed exactly as the services compute them (``readmodel``), so pages read the same data
they would after the same additions through the store app.
"""

from __future__ import annotations

import datetime as dt
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, connections, transaction
from django.db.models import Model
from django.utils import timezone

from clienteling.attributes.models import (
    Attribute,
    AttributeChoice,
    AttributeGroup,
    AttributeGroupMember,
    AttributeValue,
    DataType,
)
from clienteling.attributes.values import month_day, slot_columns
from clienteling.clientbooks.facts import NO_PURCHASES
from clienteling.clientbooks.models import (
    FACT_COLUMNS,
    ClientBook,
    ClientelingParameters,
    Membership,
    NumberSequence,
    StoreEntry,
)
from clienteling.clientbooks.readmodel import (
    empty_slots,
    purchase_facts_refresh,
    search_text,
    stores_of_owner,
)
from clienteling.clientbooks.services import attribute_slots_sync
from clienteling.clientbooks.signals import forget_cached_reads
from clienteling.customers.models import Customer, name_sort_key, phone_digits, search_key
from clienteling.demo.production import refuse_production
from clienteling.organization.access import Operation
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker
from clienteling.sales.models import SaleLine
from clienteling.timeline.models import ActivityType

LEGAL_ENTITY = "SCALE"
SEED = 14
DEFAULT_CUSTOMERS = 1_000_000
BATCH = 20_000
CATEGORIES = ["Handbags", "Shoes", "Jewellery", "Watches", "Ready-to-wear"]
FIRST = [
    "Anna",
    "Marco",
    "Giulia",
    "Luca",
    "Sofia",
    "Matteo",
    "Chiara",
    "Paolo",
    "Elena",
    "Andrea",
    "Sara",
    "Davide",
    "Laura",
    "Simone",
    "Marta",
    "Pietro",
    "Alice",
    "Franco",
    "Irene",
    "Carlo",
    "Rasa",
    "Jonas",
    "Ieva",
    "Tomas",
    "Greta",
    "Lukas",
    "Emma",
    "Noah",
    "Olivia",
]
LAST = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "Costa",
    "Giordano",
    "Mancini",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Kazlauskas",
    "Petrauskas",
    "Jankauskas",
    "Butkus",
    "Smith",
    "Brown",
    "Wilson",
    "Taylor",
    "Martin",
]
ACTIVITY_TYPES = [
    ("VISIT", "Store visit", False),
    ("EMAIL", "E-mail", False),
    ("PHONE", "Phone call", False),
    ("APPOINTMENT", "Appointment", True),
]
BRANDS = ["Aurora", "Bellini", "Castello", "Dorato", "Elara", "Fiore", "Gemma", "Luna", "Vela"]


def attribute_specs() -> list[dict[str, Any]]:
    """30 attributes: the demo's first three in their display orders, then every type."""
    specs: list[dict[str, Any]] = [
        {"code": "BIRTHDAY", "name": "Birthday", "data_type": DataType.DATE, "refinable": True},
        {
            "code": "ANNIVERSARY",
            "name": "Anniversary",
            "data_type": DataType.DATE,
            "refinable": True,
        },
        {
            "code": "PREF_CATEGORY",
            "name": "Preferred category",
            "data_type": DataType.TEXT,
            "refinable": True,
            "choices": CATEGORIES,
        },
        {
            "code": "FAV_BRAND",
            "name": "Favourite brand",
            "data_type": DataType.TEXT,
            "refinable": True,
        },
        {
            "code": "RING_SIZE",
            "name": "Ring size",
            "data_type": DataType.DECIMAL,
            "refinable": False,
            "extra": {"min_value": 40, "max_value": 75, "unit": "mm"},
        },
    ]
    cycle = [
        (DataType.TEXT, True, True),  # a list
        (DataType.INTEGER, True, False),
        (DataType.BOOLEAN, True, False),
        (DataType.DATE, True, False),
        (DataType.DECIMAL, True, False),
        (DataType.TEXT, False, False),  # free text
    ]
    for n in range(6, 31):
        data_type, refinable, is_list = cycle[n % len(cycle)]
        spec: dict[str, Any] = {
            "code": f"ATTR_{n:02d}",
            "name": f"Attribute {n}",
            "data_type": data_type,
            "refinable": refinable,
        }
        if is_list:
            spec["choices"] = [f"Option {c}" for c in "ABCDEFGH"]
        specs.append(spec)
    return specs


def random_value(rng: random.Random, attribute: Attribute, choices: list[str]) -> Any:
    kind = attribute.data_type
    if kind == DataType.DATE:
        return dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    if kind == DataType.TEXT:
        if choices:
            return rng.choice(choices)
        return (
            rng.choice(BRANDS) if attribute.code == "FAV_BRAND" else f"note {rng.randrange(1000)}"
        )
    if kind == DataType.INTEGER:
        return Decimal(rng.randrange(0, 100))
    if kind == DataType.DECIMAL:
        return Decimal(rng.randrange(400, 750)) / 10
    return rng.random() < 0.5


def value_row(
    legal_entity_id: int, customer_id: int, attribute: Attribute, value: Any, now: Any
) -> tuple:
    kind = attribute.data_type
    return (
        legal_entity_id,
        customer_id,
        attribute.pk,
        value if kind == DataType.TEXT else None,
        value if kind in (DataType.INTEGER, DataType.DECIMAL) else None,
        value if kind == DataType.DATE else None,
        value if kind == DataType.BOOLEAN else None,
        month_day(value) if kind == DataType.DATE else None,
        now,
    )


class Command(BaseCommand):
    help = "Generate the scale data set (R-SCALE-1) into the configured database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help="how many customers (default 1,000,000); everything else scales in proportion",
        )
        parser.add_argument(
            "--sales",
            type=int,
            default=0,
            metavar="N",
            help="sales lines per customer over the last three years (default 0, none). An "
            "option because it multiplies the data set: 20 lines for each of 1,000,000 "
            "customers is 20 million rows, which take a long time to write and their own "
            "gigabytes; the pages of cards do not need them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("seed_scale")
        customers: int = options["customers"]
        if customers < 1000:
            raise CommandError("--customers must be at least 1,000.")
        sales: int = options["sales"]
        if sales < 0:
            raise CommandError("--sales must be 0 or more.")
        if LegalEntity.objects.filter(code=LEGAL_ENTITY).exists():
            raise CommandError(
                f"The scale data set is already in this database (legal entity {LEGAL_ENTITY}). "
                "Use another DATABASE_URL, or drop the database to generate it again."
            )
        self.started = time.monotonic()
        self.rng = random.Random(SEED)
        # Timestamps as the ORM writes them: naive UTC on SQLite (which compares text).
        now = timezone.now()
        self.now = (
            now
            if connection.vendor == "postgresql"
            else now.astimezone(dt.UTC).replace(tzinfo=None)
        )
        scale = customers / DEFAULT_CUSTOMERS
        self.shape = {
            "customers": customers,
            "stores": max(5, round(500 * scale)),
            "workers": max(50, round(5000 * scale)),
            "book": max(100, round(10_000 * scale)),
            "store_books": max(1000, round(100_000 * scale)),
        }
        self.say(
            "generating {customers:,} customers, {stores:,} stores, {workers:,} workers, a book "
            "of {book:,} and store books of {store_books:,} into {vendor}".format(
                vendor=connection.vendor, **self.shape
            )
        )
        with transaction.atomic():
            entity = self.organisation()
            attributes = self.attributes(entity)
        self.customers(entity, attributes)
        with transaction.atomic():
            self.books(entity)
        if sales:
            self.sales(entity, sales)
        self.reset_sequences()
        self.analyze()
        forget_cached_reads()  # workers and their stores were written in bulk
        self.say(f"done in {time.monotonic() - self.started:,.0f} s")

    # --- output -------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self.started:7.1f}s] {text}")
        self.stdout.flush()

    # --- writing rows -------------------------------------------------------------------

    def insert(self, model: type[Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """Write rows into ``model``'s table: COPY on PostgreSQL, batched INSERTs on SQLite.
        ``rows`` must not read the database: the connection is busy while they are written."""
        table = model._meta.db_table
        names = ", ".join(f'"{c}"' for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join("%s" for _ in columns)
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
                for chunk in chunks(rows, BATCH):
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
        return count

    def next_id(self, model: type[Model]) -> int:
        """The first free primary key: rows written in bulk get their ids from here, so
        nothing has to be read back, and the sequences are moved past them at the end."""
        last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
        return (last or 0) + 1

    def reset_sequences(self) -> None:
        if connection.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT follows explicit ids by itself.
        statements = connection.ops.sequence_reset_sql(no_style(), [Customer, Membership])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    # --- organisation -------------------------------------------------------------------

    def organisation(self) -> LegalEntity:
        entity = LegalEntity.objects.create(
            code=LEGAL_ENTITY, name="Scale test retailer", time_zone="Europe/Rome"
        )
        Store.objects.bulk_create(
            [
                Store(legal_entity=entity, code=f"S{n:04d}", name=f"Store {n}")
                for n in range(1, self.shape["stores"] + 1)
            ],
            batch_size=1000,
        )
        stores = list(Store.objects.filter(legal_entity=entity).order_by("code"))
        AddressBook.objects.bulk_create(
            [AddressBook(legal_entity=entity, code=s.code, name=s.name) for s in stores],
            batch_size=1000,
        )
        books = list(AddressBook.objects.filter(legal_entity=entity).order_by("code"))
        Store.address_books.through.objects.bulk_create(
            [
                Store.address_books.through(store_id=s.pk, addressbook_id=b.pk)
                for s, b in zip(stores, books, strict=True)
            ],
            batch_size=5000,
        )
        self.stores, self.address_books = stores, books
        role, _ = Group.objects.get_or_create(name="Scale: all client book operations")
        role.permissions.set(
            [
                Permission.objects.get(
                    content_type__app_label=op.permission.split(".")[0],
                    codename=op.permission.split(".")[1],
                )
                for op in Operation
            ]
        )
        password = make_password("bench")
        users = [
            User(
                username="bench" if n == 0 else f"scale{n:05d}",
                first_name=self.rng.choice(FIRST),
                last_name=self.rng.choice(LAST),
                password=password,
            )
            for n in range(self.shape["workers"])
        ]
        User.objects.bulk_create(users, batch_size=2000)
        users = list(
            User.objects.filter(username__in=[u.username for u in users]).order_by("username")
        )
        users.sort(key=lambda u: (u.username != "bench", u.username))
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=u.pk, group_id=role.pk) for u in users],
            batch_size=5000,
        )
        Worker.objects.bulk_create(
            [Worker(user=u, personnel_number=f"P{n:05d}") for n, u in enumerate(users)],
            batch_size=2000,
        )
        workers = list(Worker.objects.filter(user__in=users).select_related("user"))
        workers.sort(key=lambda w: (w.user.username != "bench", w.user.username))
        # Ten workers a store (in proportion), each in its store's address book; the bench
        # worker is the first of S0001.
        per_store = max(1, len(workers) // len(stores))
        self.store_of: dict[int, Store] = {}
        worker_le, worker_store, worker_book = [], [], []
        for index, worker in enumerate(workers):
            store_index = min(index // per_store, len(stores) - 1)
            self.store_of[worker.pk] = stores[store_index]
            worker_le.append(
                Worker.legal_entities.through(worker_id=worker.pk, legalentity_id=entity.pk)
            )
            worker_store.append(
                Worker.stores.through(worker_id=worker.pk, store_id=stores[store_index].pk)
            )
            worker_book.append(
                Worker.address_books.through(
                    worker_id=worker.pk, addressbook_id=books[store_index].pk
                )
            )
        Worker.legal_entities.through.objects.bulk_create(worker_le, batch_size=5000)
        Worker.stores.through.objects.bulk_create(worker_store, batch_size=5000)
        Worker.address_books.through.objects.bulk_create(worker_book, batch_size=5000)
        self.workers = workers
        self.book_owners = [w for w in workers if self.store_of[w.pk].pk == stores[0].pk]
        for order, (code, name, appointment) in enumerate(ACTIVITY_TYPES, start=1):
            ActivityType.objects.create(
                legal_entity=entity,
                code=code,
                name=name,
                is_appointment=appointment,
                display_order=order,
            )
        self.say(
            f"organisation: {len(stores):,} stores with their address books, "
            f"{len(workers):,} workers, {len(ACTIVITY_TYPES)} activity types"
        )
        return entity

    def attributes(self, entity: LegalEntity) -> list[tuple[Attribute, list[str]]]:
        group, _ = AttributeGroup.objects.get_or_create(
            code="CLIENTBOOK", defaults={"name": "Client book"}
        )
        result = []
        for order, spec in enumerate(attribute_specs(), start=1):
            attribute, created = Attribute.objects.get_or_create(
                code=spec["code"],
                defaults={
                    "name": spec["name"],
                    "data_type": spec["data_type"],
                    "can_be_refined": spec["refinable"],
                    **spec.get("extra", {}),
                },
            )
            if created:
                for position, value in enumerate(spec.get("choices", [])):
                    AttributeChoice.objects.create(
                        attribute=attribute, value=value, position=position
                    )
            AttributeGroupMember.objects.get_or_create(
                group=group, attribute=attribute, defaults={"display_order": order}
            )
            result.append((attribute, attribute.allowed_value_list()))
        attribute_slots_sync()
        result = [(Attribute.objects.get(pk=a.pk), choices) for a, choices in result]
        sequence = NumberSequence.objects.create(
            legal_entity=entity, code="CLIENTBOOK", format="CB-######"
        )
        ClientelingParameters.objects.create(
            legal_entity=entity,
            enabled=True,
            attribute_group=group,
            client_book_sequence=sequence,
        )
        slotted = sum(1 for a, _ in result if a.filter_slot)
        self.say(
            f"attributes: {len(result)} in the client book attribute group, "
            f"{slotted} of them in filter slots"
        )
        return result

    # --- customers ------------------------------------------------------------------------

    def customers(self, entity: LegalEntity, attributes: list[tuple[Attribute, list[str]]]) -> None:
        total = self.shape["customers"]
        columns = [
            "id", "legal_entity_id", "account", "first_name", "last_name", "email", "phone",
            "phone_digits", "street", "city", "postal_code", "country", "preferred_language",
            "consent_email", "consent_phone", "consent_sms", "sort_name", "search_name",
            "created_at", "updated_at",
        ]  # fmt: skip
        value_columns = [
            "legal_entity_id", "customer_id", "attribute_id", "value_text", "value_number",
            "value_date", "value_boolean", "month_day", "updated_at",
        ]  # fmt: skip
        # The first customers fill the books: what their card rows copy is kept in memory.
        in_books = self.shape["store_books"]
        self.card_of: dict[int, dict[str, Any]] = {}
        first, rest = attributes[:3], attributes[3:]
        base = self.next_id(Customer)
        self.first_customer_id = base
        step = 50_000
        values_written = 0

        def write(batch: tuple[list[tuple], list[tuple], list[tuple]]) -> None:
            rows, links, values = batch
            with transaction.atomic():
                self.insert(Customer, columns, rows)
                self.insert(
                    Customer.address_books.through, ["customer_id", "addressbook_id"], links
                )
                self.insert(AttributeValue, value_columns, values)

        writer = Writer(write, threaded=not connection.in_atomic_block)
        for start in range(0, total, step):
            stop = min(total, start + step)
            rows = []
            values = []
            for n in range(start, stop):
                customer_id = base + n
                first_name, last_name = self.rng.choice(FIRST), self.rng.choice(LAST)
                phone = f"+39 02 {n:07d}"
                email = f"c{n}@example.com"
                sort_name = name_sort_key(first_name, last_name)
                rows.append(
                    (
                        customer_id, entity.pk, f"C{n:07d}", first_name, last_name, email, phone,
                        phone_digits(phone), f"Via Roma {n % 200 + 1}", "Milano", "20121", "IT",
                        "it", n % 3 == 0, n % 4 == 0, n % 5 == 0, sort_name,
                        search_key(first_name, last_name, email), self.now, self.now,
                    )
                )  # fmt: skip
                chosen = [a for a in first if self.rng.random() < 0.9]
                chosen += self.rng.sample(rest, 7)
                drawn = [(a, random_value(self.rng, a, c)) for a, c in chosen]
                for attribute, value in drawn:
                    values.append(value_row(entity.pk, customer_id, attribute, value, self.now))
                if n < in_books:
                    # Exactly what readmodel.card_columns computes for this customer.
                    card = {
                        "sort_name": sort_name,
                        "search_text": search_text(
                            Customer(
                                first_name=first_name,
                                last_name=last_name,
                                email=email,
                                phone_digits=phone_digits(phone),
                            )
                        ),
                        **empty_slots(),
                        **NO_PURCHASES,
                    }
                    for attribute, value in drawn:
                        if attribute.filter_slot is not None:
                            card.update(slot_columns(attribute.filter_slot, value))
                    self.card_of[customer_id] = card
            links = [
                (base + n, self.address_books[n % len(self.address_books)].pk)
                for n in range(start, stop)
            ]
            writer.put((rows, links, values))
            values_written += len(values)
            elapsed = time.monotonic() - self.started
            self.say(
                f"customers {stop:,}/{total:,}, attribute values {values_written:,} "
                f"({stop / max(elapsed, 0.001):,.0f} customers/s overall)"
            )
        writer.close()
        self.say(f"customers written ({total / (time.monotonic() - self.started):,.0f}/s overall)")

    # --- client books -----------------------------------------------------------------------

    def books(self, entity: LegalEntity) -> None:
        """The books of S0001's workers hold the first customers: the bench worker's the
        first ones (the size of a full book), the other workers' the rest, up to the size of
        the store books. Card rows as ``client_book_add_customers`` writes them."""
        phase = time.monotonic()
        sequence = NumberSequence.objects.get(legal_entity=entity)
        owners = self.book_owners
        per_book = self.shape["book"]
        customer_ids = sorted(self.card_of)[: self.shape["store_books"]]
        slices: list[tuple[Worker, list[int]]] = [(owners[0], customer_ids[:per_book])]
        remaining = customer_ids[per_book:]
        others = owners[1:] or owners[:1]
        share = -(-len(remaining) // len(others)) if remaining else 0
        for i, owner in enumerate(others):
            part = remaining[i * share : (i + 1) * share]
            if part:
                slices.append((owner, part))
        copied = ["sort_name", "search_text", "added_at", *empty_slots().keys(), *FACT_COLUMNS]
        membership_columns = [
            "id",
            "legal_entity_id",
            "book_id",
            "customer_id",
            "is_primary",
            "added_by_id",
            *copied,
        ]
        entry_columns = [
            "legal_entity_id",
            "store_id",
            "membership_id",
            "customer_id",
            "owner_id",
            *copied,
        ]
        store_ids_of: dict[int, list[int]] = {}
        membership_id = self.next_id(Membership)
        memberships: list[tuple] = []
        entries: list[tuple] = []
        for number, (owner, ids) in enumerate(slices, start=1):
            book = ClientBook.objects.create(
                legal_entity=entity, owner=owner, identifier=sequence.render(number)
            )
            if owner.pk not in store_ids_of:
                store_ids_of[owner.pk] = [s.pk for s in stores_of_owner(owner)]
            for k, customer_id in enumerate(ids):
                card = self.card_of[customer_id]
                # Added one after the other, a second apart, the newest first.
                card["added_at"] = self.now - dt.timedelta(seconds=k)
                cells = [card[c] for c in copied]
                memberships.append(
                    (membership_id, entity.pk, book.pk, customer_id, True, owner.pk, *cells)
                )
                for store_id in store_ids_of[owner.pk]:
                    entries.append(
                        (entity.pk, store_id, membership_id, customer_id, owner.pk, *cells)
                    )
                membership_id += 1
        self.insert(Membership, membership_columns, memberships)
        self.insert(StoreEntry, entry_columns, entries)
        sequence.next_value = len(slices) + 1
        sequence.save(update_fields=["next_value"])
        elapsed = time.monotonic() - phase
        self.say(
            f"client books: {len(slices)} of {self.stores[0].code}'s workers holding "
            f"{len(memberships):,} customers ({len(slices[0][1]):,} in the book of bench), "
            f"{len(entries):,} store client book rows ({len(memberships) / max(elapsed, 0.001):,.0f}/s)"
        )

    # --- sales ------------------------------------------------------------------------------

    def sales(self, entity: LegalEntity, per_customer: int) -> None:
        """``per_customer`` sales lines for every customer, two lines to a receipt, over the
        last three years, one in five online; from a random generator of their own, so the
        rest of the data set is the same with or without them."""
        phase = time.monotonic()
        rng = random.Random(f"{SEED}-sales")
        total = self.shape["customers"]
        store_ids = [s.pk for s in self.stores]
        products = [
            (f"{category[:2].upper()}-{n:03d}", f"{category} item {n}", category)
            for category in CATEGORIES
            for n in range(1, 41)
        ]
        columns = [
            "legal_entity_id", "transaction", "line", "customer_id", "sold_at", "store_id",
            "product", "product_name", "category", "quantity", "amount", "currency",
        ]  # fmt: skip
        written = 0
        step = max(1, 100_000 // per_customer)

        def write(rows: list[tuple]) -> None:
            with transaction.atomic():
                self.insert(SaleLine, columns, rows)

        writer = Writer(write, threaded=not connection.in_atomic_block)
        for start in range(0, total, step):
            rows: list[tuple] = []
            for n in range(start, min(total, start + step)):
                customer_id = self.first_customer_id + n
                home = store_ids[n % len(store_ids)]
                for k in range(per_customer):
                    if k % 2 == 0:
                        sold_at = self.now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
                        store_id = None if rng.random() < 0.2 else home
                    code, name, category = rng.choice(products)
                    rows.append(
                        (
                            entity.pk, f"C{n:07d}-{k // 2:04d}", k % 2 + 1, customer_id,
                            sold_at, store_id, code, name, category, 1,
                            Decimal(rng.randrange(50, 5000)), "EUR",
                        )
                    )  # fmt: skip
            writer.put(rows)
            written += len(rows)
            elapsed = time.monotonic() - phase
            self.say(
                f"sales lines {written:,}/{total * per_customer:,} "
                f"({written / max(elapsed, 0.001):,.0f}/s)"
            )
        writer.close()
        phase = time.monotonic()
        with transaction.atomic():
            carded = purchase_facts_refresh(legal_entity=entity, days=None)
        self.say(
            f"purchase facts of the {carded:,} customers in books "
            f"({carded / max(time.monotonic() - phase, 0.001):,.0f}/s)"
        )

    def analyze(self) -> None:
        phase = time.monotonic()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # VACUUM also sets the visibility map, so index-only scans (counts) stay
                # index-only on freshly copied tables.
                cursor.execute("VACUUM ANALYZE")
            else:
                cursor.execute("ANALYZE")
        self.say(f"statistics updated ({time.monotonic() - phase:,.0f} s)")


class Writer:
    """Writes batches on a second thread and connection while the next batch is generated,
    so Python and the database work at the same time. Inline inside an outer transaction
    (tests), where a second connection would not see the rows written so far."""

    def __init__(self, write: Callable[[Any], None], *, threaded: bool) -> None:
        self.write = write
        self.error: BaseException | None = None
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        if threaded:
            self.thread = threading.Thread(target=self.run, name="seed_scale writer", daemon=True)
            self.thread.start()

    def run(self) -> None:
        try:
            while (batch := self.queue.get()) is not None:
                if self.error is None:
                    self.write(batch)
        except BaseException as error:  # noqa: BLE001 -- handed to the main thread in put() and close()
            self.error = error
            while self.queue.get() is not None:
                pass
        finally:
            connections.close_all()

    def put(self, batch: Any) -> None:
        self.check()
        if self.thread is None:
            self.write(batch)
        else:
            self.queue.put(batch)

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        self.check()

    def check(self) -> None:
        if self.error is not None:
            raise self.error


def chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
