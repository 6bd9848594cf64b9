"""The demo data of CONTRACT.md: a jewellery-and-fashion retailer in Italy and Lithuania.

Idempotent: a second run finds everything in place and changes nothing. It makes only
what it never made: what users changed since (a customer taken out of giulia's book, a store
taken from a worker, a role's permissions, a label HQ retranslated) stays as they left it.
Each part is made in one transaction, and a part that exists counts as made. Deterministic
apart from "today": birthdays and anniversaries are spread so that some fall in the next
14 days of the day the demo is first seeded.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clienteling.attributes.models import (
    Attribute,
    AttributeChoice,
    AttributeGroup,
    AttributeGroupMember,
    AttributeValue,
    DataType,
)
from clienteling.attributes.values import parse_value, value_columns
from clienteling.clientbooks.models import (
    ClientBook,
    ClientelingParameters,
    MembershipMode,
    NumberSequence,
)
from clienteling.clientbooks.services import attribute_slots_sync, client_book_add_customers
from clienteling.clientbooks.signals import forget_cached_reads
from clienteling.customers.models import Customer
from clienteling.demo.engagement import seed_engagement
from clienteling.demo.production import refuse_production
from clienteling.demo.sales import seed_sales
from clienteling.organization.access import Operation
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker
from clienteling.timeline.models import Activity, ActivityType
from clienteling.timeline.services import activity_record, activity_type_save, note_create

PASSWORD = "demo"
SEED = 20261124
CUSTOMERS_PER_LEGAL_ENTITY = 2000
UPCOMING_DAYS = 14

LEGAL_ENTITIES = [
    ("ITJW", "Jewellery & Fashion Italia S.p.A.", "Europe/Rome"),
    ("LTFA", "Jewellery & Fashion Lietuva UAB", "Europe/Vilnius"),
]
STORES = [
    ("ITJW", "MI01", "Milano Montenapoleone"),
    ("ITJW", "RM01", "Roma Condotti"),
    ("LTFA", "VL01", "Vilnius Gedimino"),
]

ASSOCIATE = [
    Operation.VIEW_OWN_BOOK,
    Operation.VIEW_STORE_BOOKS,
    Operation.ADD_CUSTOMER,
    Operation.REMOVE_CUSTOMERS,
    Operation.READ_CUSTOMER_DETAILS,
    Operation.EDIT_CUSTOMER_ATTRIBUTES,
]
ROLES: dict[str, list[Operation]] = {
    "Sales associate": ASSOCIATE,
    "Sales associate (own book)": [op for op in ASSOCIATE if op != Operation.VIEW_STORE_BOOKS],
    "Store manager": [op for op in Operation if op is not Operation.IMPORT_DATA],
    "Customer service": [Operation.READ_CUSTOMER_DETAILS],
}
# The HQ back-office role (R-SEC-3): every permission of the product's apps and of logins
# and roles (auth's users and groups), for a staff user who is not a superuser.
HQ_ROLE = "HQ administrator"
HQ_APPS = (
    "organization",
    "customers",
    "attributes",
    "clientbooks",
    "timeline",
    "sales",
    "insights",
    "api",
    "jobs",
    "axes",
)
HQ_AUTH_MODELS = ("user", "group")


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str | None
    legal_entities: tuple[str, ...]
    stores: tuple[str, ...]
    superuser: bool = False
    staff: bool = False
    book_size: int = 0


USERS = [
    DemoUser("giulia", "Giulia", "Conti", "Sales associate", ("ITJW",), ("MI01",), book_size=320),
    DemoUser(
        "marco",
        "Marco",
        "Galli",
        "Sales associate (own book)",
        ("ITJW",),
        ("MI01", "RM01"),
        book_size=260,
    ),
    DemoUser("sara", "Sara", "Moretti", "Store manager", ("ITJW",), ("MI01",)),
    DemoUser(
        "rasa", "Rasa", "Kazlauskienė", "Sales associate", ("LTFA",), ("VL01",), book_size=300
    ),
    DemoUser("carla", "Carla", "De Luca", "Customer service", ("ITJW",), ()),
    DemoUser("admin", "Anna", "Admin", None, ("ITJW", "LTFA"), (), superuser=True),
    DemoUser("hq_it", "Ilaria", "Testa", HQ_ROLE, ("ITJW",), (), staff=True),
    # An associate of RM01 only, whose book MI01's manager must not move (R-SEC-4).
    DemoUser(
        "paolo", "Paolo", "Ferri", "Sales associate (own book)", ("ITJW",), ("RM01",), book_size=40
    ),
]

CATEGORIES = ["Handbags", "Shoes", "Jewellery", "Watches", "Ready-to-wear"]
# The allowed values of PREF_CATEGORY in Italian and Lithuanian (CONTRACT.md, R-UX-2).
CATEGORY_LABELS = {
    "Handbags": ("Borse", "Rankinės"),
    "Shoes": ("Scarpe", "Batai"),
    "Jewellery": ("Gioielli", "Papuošalai"),
    "Watches": ("Orologi", "Laikrodžiai"),
    "Ready-to-wear": ("Prêt-à-porter", "Drabužiai"),
}
BRANDS = ["Aurora", "Bellini", "Castello", "Dorato", "Elara", "Fiore", "Gemma", "Luna", "Vela"]
# (code, English, Italian, Lithuanian, type, refinable); display order is the list order.
ATTRIBUTES = [
    ("BIRTHDAY", "Birthday", "Compleanno", "Gimtadienis", DataType.DATE, True),
    ("ANNIVERSARY", "Anniversary", "Anniversario", "Sukaktis", DataType.DATE, True),
    (
        "PREF_CATEGORY",
        "Preferred category",
        "Categoria preferita",
        "Mėgstama kategorija",
        DataType.TEXT,
        True,
    ),
    (
        "FAV_BRAND",
        "Favourite brand",
        "Marca preferita",
        "Mėgstamas prekės ženklas",
        DataType.TEXT,
        True,
    ),
    ("RING_SIZE", "Ring size", "Misura anello", "Žiedo dydis", DataType.DECIMAL, False),
]


def names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


# (code, English, Italian, Lithuanian, appointment)
ACTIVITY_TYPES = [
    ("VISIT", "Store visit", "Visita in negozio", "Apsilankymas parduotuvėje", False),
    ("EMAIL", "E-mail", "E-mail", "El. laiškas", False),
    ("PHONE", "Phone call", "Telefonata", "Skambutis", False),
    ("APPOINTMENT", "Appointment", "Appuntamento", "Susitikimas", True),
]
SUBJECTS = {
    "VISIT": ["Tried on the new collection", "Looked at engagement rings", "Collected a repair"],
    "EMAIL": ["Sent the autumn lookbook", "Invitation to the private sale", "Thank-you note"],
    "PHONE": ["Called about a special order", "Birthday wishes", "Asked about a watch service"],
    "APPOINTMENT": ["Private viewing", "Ring sizing", "Styling session"],
}
NOTES = [
    "Prefers to be called in the afternoon.",
    "Allergic to nickel: only gold or platinum.",
    "Buying an anniversary gift for her husband every May.",
    "Likes understated pieces; dislikes logos.",
    "Interested in vintage watches.",
]

NAMES = {
    "ITJW": (
        "it",
        "+39 02",
        names(
            "Alessandro, Giulia, Francesca, Lorenzo, Chiara, Matteo, Sofia, Andrea, "
            "Valentina, Federico, Martina, Riccardo, Elena, Davide, Alessia, Tommaso, "
            "Beatrice, Gabriele, Camilla, Niccolò, Ludovica, Edoardo, Aurora, Pietro, "
            "Vittoria, Filippo, Ginevra, Leonardo"
        ),
        names(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, "
            "Greco, Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, "
            "Lombardi, Moretti, Barbieri, Fontana, Santoro, Mariani, Rinaldi, Caruso, "
            "Ferrara, Galli, Martini"
        ),
    ),
    "LTFA": (
        "lt",
        "+370 5",
        names(
            "Lukas, Emilija, Matas, Gabija, Jonas, Austėja, Dominykas, Urtė, Nojus, "
            "Kamilė, Benas, Ieva, Tomas, Rūta, Mantas, Greta, Paulius, Eglė, Karolis, "
            "Justina, Domantas, Viktorija"
        ),
        names(
            "Kazlauskas, Jankauskas, Petrauskas, Stankevičius, Vasiliauskas, Žukauskas, "
            "Butkus, Paulauskas, Urbonas, Kavaliauskas, Ramanauskas, Navickas, "
            "Sakalauskas, Rimkus, Baranauskas, Adomaitis, Vaitkus"
        ),
    ),
}
CITIES = {"ITJW": ["Milano", "Roma", "Monza", "Bergamo", "Como"], "LTFA": ["Vilnius", "Kaunas"]}
STREETS = {
    "ITJW": ["Via Manzoni", "Corso Venezia", "Via Garibaldi", "Via Roma", "Viale Monza"],
    "LTFA": ["Gedimino pr.", "Pilies g.", "Vokiečių g.", "Laisvės al.", "Savanorių pr."],
}


def ascii_letters(text: str) -> str:
    """Niccolò Kazlauskienė → niccolo.kazlauskiene: what a mail address may hold."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain if ch.isalnum() or ch == ".")


class Command(BaseCommand):
    help = "Load the demo retailer (two legal entities, eight users, ~2,000 customers each)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=CUSTOMERS_PER_LEGAL_ENTITY,
            help="customers per legal entity (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("seed_demo")
        per_entity: int = options["customers"]
        if per_entity < 1:
            raise CommandError("--customers must be at least 1.")
        self.rng = random.Random(SEED)
        self.today = dt.date.today()
        with transaction.atomic():
            group = self._attributes()
            entities = self._organisation(group)
            roles = self._roles()
            workers = self._users(entities, roles)
        for code, entity in entities.items():
            with transaction.atomic():
                created = self._customers(entity, per_entity)
                self._progress(f"{code}: {created} customers created")
            for user in USERS:
                if user.book_size and code in user.legal_entities:
                    with transaction.atomic():
                        added = self._book(workers[user.username], entity, user.book_size)
                    self._progress(f"{code}: {added} customers added to {user.username}'s book")
            with transaction.atomic():
                recorded = self._interactions(entity, workers)
            self._progress(f"{code}: {recorded} activities and notes recorded")
            # After the books: the sales also bring the cards' purchase facts up to date.
            with transaction.atomic():
                sold = seed_sales(entity, today=self.today, progress=self._progress)
            self._progress(f"{code}: {sold} sales lines recorded")
            with transaction.atomic():
                templates = seed_engagement(entity)
            self._progress(f"{code}: {templates} e-mail templates")
        forget_cached_reads()  # rows written in bulk, with a server perhaps running
        self.stdout.write(
            self.style.SUCCESS(
                "Demo ready. Log in at /login/ as giulia, marco, paolo, sara, rasa or carla, "
                "or at /admin/ as admin or hq_it; the password is 'demo'."
            )
        )

    def _progress(self, text: str) -> None:
        self.stdout.write(f"  {text}")
        self.stdout.flush()

    # --- HQ setup -------------------------------------------------------------------------

    def _attributes(self) -> AttributeGroup:
        group, new_group = AttributeGroup.objects.get_or_create(
            code="CLIENTBOOK",
            defaults={"name": "Client book", "name_it": "Client book", "name_lt": "Klientų knyga"},
        )
        for order, (code, en, it, lt, data_type, refinable) in enumerate(ATTRIBUTES, start=1):
            extra: dict[str, Any] = {}
            if code == "RING_SIZE":
                extra = {"unit": "mm", "min_value": 40, "max_value": 75}
            attribute, created = Attribute.objects.get_or_create(
                code=code,
                defaults={
                    "name": en,
                    "name_it": it,
                    "name_lt": lt,
                    "data_type": data_type,
                    "can_be_refined": refinable,
                    **extra,
                },
            )
            if code == "PREF_CATEGORY" and created:
                for position, value in enumerate(CATEGORIES):
                    label_it, label_lt = CATEGORY_LABELS[value]
                    AttributeChoice.objects.create(
                        attribute=attribute,
                        value=value,
                        label_it=label_it,
                        label_lt=label_lt,
                        position=position,
                    )
            if code == "PREF_CATEGORY" and not created:
                self._category_labels(attribute)
            if new_group or created:
                AttributeGroupMember.objects.get_or_create(
                    group=group, attribute=attribute, defaults={"display_order": order}
                )
        attribute_slots_sync()
        self._progress("attributes and the client book attribute group")
        return group

    def _category_labels(self, attribute: Attribute) -> None:
        """Italian and Lithuanian labels for a demo seeded before allowed values had them:
        given only while no value of the list has a label yet, so HQ's own stay."""
        choices = list(AttributeChoice.objects.filter(attribute=attribute))
        if any(c.label_it or c.label_lt for c in choices):
            return
        for choice in choices:
            if choice.value in CATEGORY_LABELS:
                choice.label_it, choice.label_lt = CATEGORY_LABELS[choice.value]
                choice.save(update_fields=["label_it", "label_lt"])

    def _organisation(self, group: AttributeGroup) -> dict[str, LegalEntity]:
        entities: dict[str, LegalEntity] = {}
        for code, name, zone in LEGAL_ENTITIES:
            entity, created = LegalEntity.objects.get_or_create(
                code=code, defaults={"name": name, "time_zone": zone}
            )
            entities[code] = entity
            if not created:
                continue  # made by an earlier run, with what HQ changed since
            self._activity_types(entity)
            sequence, _ = NumberSequence.objects.get_or_create(
                legal_entity=entity, code="CLIENTBOOK", defaults={"format": "CB-######"}
            )
            ClientelingParameters.objects.get_or_create(
                legal_entity=entity,
                defaults={
                    "enabled": True,
                    "membership_mode": MembershipMode.EXCLUSIVE,
                    "attribute_group": group,
                    "client_book_sequence": sequence,
                },
            )
        for le_code, code, name in STORES:
            entity = entities[le_code]
            store, created = Store.objects.get_or_create(
                legal_entity=entity, code=code, defaults={"name": name}
            )
            if not created:
                continue
            book, _ = AddressBook.objects.get_or_create(
                legal_entity=entity, code=code, defaults={"name": name}
            )
            store.address_books.add(book)
        self._progress("legal entities ITJW and LTFA, stores MI01, RM01, VL01")
        return entities

    def _roles(self) -> dict[str, Group]:
        groups = {}
        for name, operations in ROLES.items():
            group, created = Group.objects.get_or_create(name=name)
            groups[name] = group
            if not created:
                continue  # HQ may have changed the role's operations since
            for op in operations:
                app_label, codename = op.permission.split(".")
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
        hq, created = Group.objects.get_or_create(name=HQ_ROLE)
        if created:
            hq.permissions.add(
                *Permission.objects.filter(
                    Q(content_type__app_label__in=HQ_APPS)
                    | Q(content_type__app_label="auth", content_type__model__in=HQ_AUTH_MODELS)
                )
            )
        groups[HQ_ROLE] = hq
        return groups

    def _users(
        self, entities: dict[str, LegalEntity], roles: dict[str, Group]
    ) -> dict[str, Worker]:
        workers = {}
        for spec in USERS:
            user, created = User.objects.get_or_create(
                username=spec.username,
                defaults={
                    "first_name": spec.first_name,
                    "last_name": spec.last_name,
                    "email": f"{spec.username}@demo.clienteling.example",
                    "is_staff": spec.superuser or spec.staff,
                    "is_superuser": spec.superuser,
                },
            )
            worker, _ = Worker.objects.get_or_create(user=user)
            workers[spec.username] = worker
            if not created:
                continue  # their roles, employers and stores are HQ's to change now
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            if spec.role:
                user.groups.add(roles[spec.role])
            worker.legal_entities.add(*(entities[code] for code in spec.legal_entities))
            for store in Store.objects.filter(code__in=spec.stores).prefetch_related(
                "address_books"
            ):
                worker.stores.add(store)
                worker.address_books.add(*store.address_books.all())
        usernames = [spec.username for spec in USERS]
        self._progress(
            f"users {', '.join(usernames[:-1])} and {usernames[-1]} (password '{PASSWORD}')"
        )
        return workers

    def _activity_types(self, entity: LegalEntity) -> None:
        for order, (code, en, it, lt, appointment) in enumerate(ACTIVITY_TYPES, start=1):
            if not ActivityType.objects.filter(legal_entity=entity, code=code).exists():
                activity_type_save(
                    activity_type=ActivityType(
                        legal_entity=entity,
                        code=code,
                        name=en,
                        name_it=it,
                        name_lt=lt,
                        is_appointment=appointment,
                        display_order=order,
                    )
                )

    # --- Customers --------------------------------------------------------------------------

    def _customers(self, entity: LegalEntity, count: int) -> int:
        """The legal entity's customers, made once: a customer HQ deleted since stays away."""
        if Customer.objects.filter(legal_entity=entity).exists():
            return 0
        language, phone_prefix, first_names, last_names = NAMES[entity.code]
        prefix = entity.code[:2]
        wanted = [f"{prefix}{n:06d}" for n in range(1, count + 1)]
        existing = set(
            Customer.objects.filter(legal_entity=entity, account__in=wanted).values_list(
                "account", flat=True
            )
        )
        books = list(AddressBook.objects.filter(legal_entity=entity).order_by("code"))
        attributes = {
            a.code: a for a in Attribute.objects.filter(code__in=[a[0] for a in ATTRIBUTES])
        }
        rng = random.Random(f"{SEED}-{entity.code}")
        new: list[Customer] = []
        values: list[tuple[int, dict[str, object]]] = []
        for index, account in enumerate(wanted):
            # Draw for every account, created or not, so reruns give the same people.
            first = rng.choice(first_names)
            last = rng.choice(last_names)
            drawn = self._attribute_draw(rng, index)
            home = rng.choice(books) if books else None
            if account in existing:
                continue
            email_name = ascii_letters(f"{first}.{last}".lower())
            customer = Customer(
                legal_entity=entity,
                account=account,
                first_name=first,
                last_name=last,
                email=f"{email_name}.{index + 1}@example.com",
                phone=f"{phone_prefix} {rng.randrange(1000000, 9999999)}",
                street=f"{rng.choice(STREETS[entity.code])} {rng.randrange(1, 120)}",
                postal_code=f"{rng.randrange(10000, 99999)}",
                city=rng.choice(CITIES[entity.code]),
                country=entity.code[:2],
                preferred_language=language if rng.random() < 0.8 else "en",
                consent_email=rng.random() < 0.7,
                consent_phone=rng.random() < 0.5,
                consent_sms=rng.random() < 0.3,
            )
            customer.refresh_derived()
            customer.full_clean(exclude=["legal_entity"], validate_unique=False)
            new.append(customer)
            values.append((len(new) - 1, {"home": home, **drawn}))
        Customer.objects.bulk_create(new, batch_size=500)
        created = Customer.objects.filter(legal_entity=entity, account__in=[c.account for c in new])
        by_account = {c.account: c for c in created}
        self._address_books(by_account, new, values)
        self._attribute_values(entity, attributes, by_account, new, values)
        return len(new)

    def _attribute_draw(self, rng: random.Random, index: int) -> dict[str, object]:
        """Birthdays for most, about one in ten within the next two weeks; anniversaries for some."""
        drawn: dict[str, object] = {}
        if rng.random() < 0.9:
            if rng.random() < 0.12:
                drawn["BIRTHDAY"] = self._date_in(rng.randrange(UPCOMING_DAYS + 1), rng, 1955, 2003)
            else:
                drawn["BIRTHDAY"] = self._date_in(rng.randrange(365), rng, 1955, 2003)
        if rng.random() < 0.4:
            soon = rng.random() < 0.15
            days = rng.randrange(UPCOMING_DAYS + 1) if soon else rng.randrange(365)
            drawn["ANNIVERSARY"] = self._date_in(days, rng, 1985, 2024)
        if rng.random() < 0.85:
            drawn["PREF_CATEGORY"] = CATEGORIES[index % len(CATEGORIES)]
        if rng.random() < 0.6:
            drawn["FAV_BRAND"] = rng.choice(BRANDS)
        if rng.random() < 0.3:
            drawn["RING_SIZE"] = str(rng.randrange(44, 66) + rng.choice([0, 0.5]))
        return drawn

    def _date_in(self, days: int, rng: random.Random, first_year: int, last_year: int) -> dt.date:
        target = self.today + dt.timedelta(days=days)
        year = rng.randrange(first_year, last_year + 1)
        try:
            return target.replace(year=year)
        except ValueError:  # 29 February: take a leap year
            return target.replace(year=year - year % 4)

    def _address_books(
        self,
        by_account: dict[str, Customer],
        new: Sequence[Customer],
        values: Sequence[tuple[int, dict[str, object]]],
    ) -> None:
        through = Customer.address_books.through
        rows = [
            through(customer_id=by_account[new[i].account].id, addressbook_id=drawn["home"].pk)  # type: ignore[attr-defined]
            for i, drawn in values
            if drawn["home"] is not None
        ]
        through.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)

    def _attribute_values(
        self,
        entity: LegalEntity,
        attributes: dict[str, Attribute],
        by_account: dict[str, Customer],
        new: Sequence[Customer],
        values: Iterable[tuple[int, dict[str, object]]],
    ) -> None:
        rows = []
        for i, drawn in values:
            customer = by_account[new[i].account]
            for code, raw in drawn.items():
                if code == "home":
                    continue
                attribute = attributes[code]
                typed = parse_value(attribute, raw.isoformat() if isinstance(raw, dt.date) else raw)
                rows.append(
                    AttributeValue(
                        legal_entity=entity,
                        customer=customer,
                        attribute=attribute,
                        **value_columns(attribute, typed),
                    )
                )
        AttributeValue.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)

    # --- Activities and notes -------------------------------------------------------------

    def _interactions(self, entity: LegalEntity, workers: dict[str, Worker]) -> int:
        """Activities and notes on about one customer in ten of each associate's book, written
        through the services; skipped when the legal entity already has some."""
        if Activity.objects.filter(legal_entity=entity).exists():
            return 0
        rng = random.Random(f"{SEED}-{entity.code}-timeline")
        now = timezone.now()
        count = 0
        for spec in USERS:
            if not spec.book_size or entity.code not in spec.legal_entities:
                continue
            author = workers[spec.username]
            store = author.stores.filter(legal_entity=entity).order_by("code").first()
            members = Customer.objects.filter(
                book_memberships__book__owner=author, legal_entity=entity
            ).order_by("account")
            for customer in members[: spec.book_size // 10]:
                for _n in range(rng.randrange(1, 4)):
                    code = rng.choice(["VISIT", "EMAIL", "PHONE"])
                    activity_record(
                        actor=author,
                        customer=customer,
                        type_code=code,
                        subject=rng.choice(SUBJECTS[code]),
                        occurred_at=now - dt.timedelta(days=rng.randrange(1, 400)),
                        store=store if code == "VISIT" else None,
                    )
                    count += 1
                if rng.random() < 0.3:
                    activity_record(
                        actor=author,
                        customer=customer,
                        type_code="APPOINTMENT",
                        subject=rng.choice(SUBJECTS["APPOINTMENT"]),
                        store=store,
                        scheduled_start=(now + dt.timedelta(days=rng.randrange(1, 30))).replace(
                            minute=0, second=0, microsecond=0
                        ),
                        duration_minutes=rng.choice([30, 45, 60]),
                    )
                    count += 1
                if rng.random() < 0.5:
                    note_create(actor=author, customer=customer, text=rng.choice(NOTES))
                    count += 1
        return count

    # --- Client books -----------------------------------------------------------------------

    def _book(self, owner: Worker, entity: LegalEntity, size: int) -> int:
        """Fill the owner's new book with ``size`` customers of their stores' address books who
        are in no book yet, through the service, so the cards are what the app would make.
        A book that exists is the owner's: customers they took out stay out."""
        if ClientBook.objects.filter(owner=owner, legal_entity=entity).exists():
            return 0
        free = (
            Customer.objects.filter(
                legal_entity=entity, address_books__in=owner.address_books.all()
            )
            .exclude(book_memberships__isnull=False)
            .distinct()
            .order_by("account")
        )
        picked = list(free[:size])
        client_book_add_customers(actor=owner, legal_entity=entity, customers=picked)
        return len(picked)
